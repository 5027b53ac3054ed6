"""AWS answers through a fault-injecting HTTP proxy (loopback, in front of the suite's moto
server): per operation, the proxy answers empty, truncated, garbled, 5xx, throttled, reset
or slow-drip. For every fault class: no rule passes where the true answer is fail, and the
report says `complete: false` (issue 20)."""

import http.client
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

pytest.importorskip("moto")

import awsstack as stack  # noqa: E402
from enamel_hipaa.core.engine import evaluate  # noqa: E402
from enamel_hipaa.core.report import build  # noqa: E402
from enamel_hipaa.sources.aws import kms, logs, runner, s3, shapes  # noqa: E402
from conftest import shipped_rules

FAULTS = ("empty", "truncated", "garbled", "5xx", "throttled", "reset", "slow-drip")
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def operation(method: str, path: str, headers, body: bytes) -> str:
    """The AWS operation of a request, for the operations these tests fault."""
    target = headers.get("X-Amz-Target") or ""
    if target:
        return target.rsplit(".", 1)[-1]
    if b"Action=" in body:
        return body.split(b"Action=", 1)[1].split(b"&", 1)[0].decode()
    url = urlsplit(path)
    if url.path.startswith("/backup-vaults"):
        return "ListBackupVaults"
    if method == "GET" and url.path in ("", "/") and not url.query:
        return "ListBuckets"
    if method == "GET" and url.query.split("&")[0] in ("acl", "acl="):
        return "GetBucketAcl"
    return f"{method} {url.path}?{url.query}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):  # quiet
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        srv: FaultProxy = self.server  # type: ignore[assignment]
        op = operation(self.command, self.path, self.headers, body)
        fault = srv.plan.get(op)
        if fault:
            srv.hits.append((op, fault))
        if fault == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.close_connection = True
            self.connection.close()
            return
        up = http.client.HTTPConnection(srv.upstream_host, srv.upstream_port, timeout=30)
        try:
            up.request(
                self.command,
                self.path,
                body=body,
                headers={**{k: v for k, v in self.headers.items() if k.lower() not in HOP}, "Connection": "close"},
            )  # a body without a length ends at close
            resp = up.getresponse()
            status, data = resp.status, resp.read()
            headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP]
        finally:
            up.close()
        if fault == "empty":
            data = b""
        elif fault == "truncated":
            data = data[: len(data) // 2]
        elif fault == "garbled":
            data = bytes((b * 7 + 13) % 256 for b in data[:200]) or b"\x00\xff<<garbled"
        elif fault == "5xx":
            status, data = 500, b""
        elif fault == "throttled":
            status = 400 if "X-Amz-Target" in self.headers else 503
            data = (
                b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'
                if status == 400
                else b"<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>"
            )
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if fault == "slow-drip":  # one byte at a time, far slower than the request deadline allows
            for i in range(min(len(data), 12)):
                try:
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(1.0)
            self.close_connection = True
            return
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _handle


class FaultProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str, plan: dict):
        u = urlsplit(upstream)
        self.upstream_host, self.upstream_port = u.hostname, u.port
        self.plan, self.hits = plan, []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def proxy(account, monkeypatch):
    servers = []

    def start(plan: dict) -> FaultProxy:
        p = FaultProxy(account, plan)
        threading.Thread(target=p.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        servers.append(p)
        monkeypatch.setenv("AWS_ENDPOINT_URL", p.url)
        return p

    monkeypatch.setenv("ENAMEL_AWS_REQUEST_DEADLINE", "5")
    monkeypatch.setattr(runner, "modules", lambda: [s3, kms, logs])  # the services faulted here
    yield start
    for p in servers:
        p.shutdown()
        p.server_close()


@pytest.fixture(scope="module")
def account(moto_account):
    """A public-read PHI bucket, a customer key without rotation, a log group without a KMS
    key: all three rules' true answer is fail."""
    sess = stack.session()
    s3c = sess.client("s3")
    s3c.create_bucket(Bucket="phi-public-xrays")
    s3c.put_bucket_tagging(Bucket="phi-public-xrays", Tagging={"TagSet": [{"Key": "data_class", "Value": "phi"}]})
    s3c.put_bucket_acl(Bucket="phi-public-xrays", ACL="public-read")
    sess.client("kms").create_key(Description="phi key, no rotation")
    sess.client("logs").create_log_group(logGroupName="/pacs/audit")
    yield moto_account


RULES = {r.id: r for r in shipped_rules().rules}
TRUE_FAIL = ("s3-bucket-no-public-grants", "kms-key-rotation", "log-group-kms-encryption")


def _scan():
    col, _ = runner.scan(regions=stack.HOME)
    rules = [RULES[r] for r in TRUE_FAIL]
    findings = evaluate(rules, col.resources, errors=col.errors)
    report = build(
        findings,
        col.errors,
        started_at="2026-11-28T00:00:00Z",
        tenant=None,
        sources=col.sources,
        rules_digest="x",
        fail_on="high",
        waivers=[],
    )
    return {f["rule_id"]: f["status"] for f in report["findings"]}, report


def test_reference_scan_without_faults_fails_all_three_and_is_complete(proxy):
    proxy({})
    statuses, report = _scan()
    assert {r: statuses.get(r) for r in TRUE_FAIL} == {r: "fail" for r in TRUE_FAIL}
    assert report["scan"]["complete"] is True


@pytest.mark.parametrize("fault", FAULTS)
def test_fault_on_every_faulted_operation_never_passes_and_marks_the_scan_incomplete(proxy, fault):
    p = proxy({"GetBucketAcl": fault, "GetResources": fault, "ListKeys": fault, "DescribeLogGroups": fault})
    statuses, report = _scan()
    assert p.hits, "the proxy saw no faulted operation"
    for rule in TRUE_FAIL:
        assert statuses.get(rule) != "pass", (rule, fault)
    assert report["scan"]["complete"] is False


@pytest.mark.parametrize("fault", ["empty", "truncated", "garbled"])
def test_malformed_list_buckets_never_removes_the_buckets_silently(proxy, fault):
    proxy({"ListBuckets": fault})
    statuses, report = _scan()
    assert statuses.get("s3-bucket-no-public-grants") in ("error", "fail")
    assert report["scan"]["complete"] is False


def test_empty_get_bucket_acl_is_an_error_not_no_grants(proxy):
    proxy({"GetBucketAcl": "empty"})
    statuses, report = _scan()
    assert statuses["s3-bucket-no-public-grants"] == "error"
    assert any(
        "malformed answer" in f["message"] for f in report["findings"] if f["rule_id"] == "s3-bucket-no-public-grants"
    )


def test_every_required_key_table_entry_names_a_real_operation():
    import botocore.session

    sess = botocore.session.get_session()
    for service, op in shapes.REQUIRED:
        model = sess.get_service_model(service)
        assert op in model.operation_names, (service, op)
        out = model.operation_model(op).output_shape
        for key in shapes.REQUIRED[(service, op)]:
            assert key in out.members, (service, op, key)


def test_slow_drip_hits_the_total_request_deadline_quickly(proxy):
    proxy({"ListKeys": "slow-drip"})
    t0 = time.monotonic()
    statuses, _ = _scan()
    assert statuses.get("kms-key-rotation") == "error"
    assert time.monotonic() - t0 < 60
    assert os.environ["ENAMEL_AWS_REQUEST_DEADLINE"] == "5"
