"""Malformed answers to the live on-prem probes never read as a pass: a PACS REST endpoint
(Orthanc's /system) answering empty, garbled, truncated, with a 5xx or a redirect; a DICOM
port that aborts, closes or speaks garbage; a TLS port that closes at once or speaks garbage.
Each becomes error/unknown for the properties it feeds. Small loopback servers (127.0.0.1,
one thread, bounded connections, stopped at teardown)."""

import socket
import threading
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest

from conftest import shipped_rules
from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.sources.onprem import dicom, tls, web

NOW = datetime(2026, 11, 24, tzinfo=timezone.utc)
RULES = {r.id: r for r in shipped_rules().rules}
TIMEOUT = 2.0


def status(rule_id: str, res) -> str:
    (f,) = evaluate([RULES[rule_id]], [res], now=NOW)
    return f.status


@contextmanager
def canned(*answers: bytes, repeat_last: bool = True, max_connections: int = 40):
    """A loopback TCP server: the n-th connection reads what the client sends first, then gets
    answers[n] (the last one again for later connections) and is closed. Yields the port."""
    srv = socket.create_server(("127.0.0.1", 0))
    srv.settimeout(0.2)
    stop = threading.Event()

    def serve():
        n = 0
        while not stop.is_set() and n < max_connections:
            try:
                conn, _ = srv.accept()
            except (socket.timeout, TimeoutError):
                continue
            with conn:
                conn.settimeout(1.0)
                try:
                    conn.recv(65536)
                    answer = answers[min(n, len(answers) - 1)] if repeat_last or n < len(answers) else b""
                    if answer:
                        conn.sendall(answer)
                except OSError:
                    pass
            n += 1

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield srv.getsockname()[1]
    finally:
        stop.set()
        t.join(5)
        srv.close()


def http(status_line: str, body: bytes = b"", headers: str = "") -> bytes:
    length = headers if "Content-Length" in headers else f"Content-Length: {len(body)}\r\n"
    return f"HTTP/1.1 {status_line}\r\n{length}{headers}Connection: close\r\n\r\n".encode() + body


DENIED = http("401 Unauthorized", headers='WWW-Authenticate: Basic realm="Orthanc"\r\n')
GARBLED = b"\x00\xff\x13garbled \x1b[31m not http at all\r\n\r\n"
TRUNCATED = http("200 OK", b'{"Versi', headers="Content-Length: 400\r\n")
SYSTEM = http("200 OK", b'{"Version": "1.12.1", "Name": "ORTHANC"}', headers="Content-Type: application/json\r\n")


def probe_web(*answers: bytes):
    with canned(*answers) as port:
        entry = {"name": "pacs", "url": f"http://127.0.0.1:{port}", "default_credentials": ["orthanc:orthanc"]}
        return web.collect(entry, TIMEOUT)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(http("500 Internal Server Error"), id="5xx"),
        pytest.param(http("302 Found", headers="Location: http://127.0.0.1:1/login\r\n"), id="redirect"),
        pytest.param(GARBLED, id="garbled"),
        pytest.param(TRUNCATED, id="truncated"),
        pytest.param(b"", id="closed-without-answer"),
    ],
)
def test_bad_answer_to_the_default_credentials_is_unknown_never_rejected(answer):
    res = probe_web(DENIED, answer)
    assert res.properties["anonymous_access"] is False
    assert res.error or isinstance(res.properties["default_credentials_accepted"], dict), res.properties
    assert status("pacs-web-default-credentials-rejected", res) in ("unknown", "error")


def test_refusal_of_every_default_credential_is_a_pass_as_a_reference():
    res = probe_web(DENIED)
    assert res.properties["default_credentials_accepted"] is False
    assert status("pacs-web-default-credentials-rejected", res) == "pass"
    assert status("pacs-web-requires-authentication", res) == "pass"


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(GARBLED, id="garbled"),
        pytest.param(TRUNCATED, id="truncated"),
        pytest.param(b"", id="closed-without-answer"),
        pytest.param(b"HTTP/1.1 2", id="cut-in-the-status-line"),
    ],
)
def test_malformed_anonymous_answer_makes_the_web_resource_error(answer):
    res = probe_web(answer)
    assert res.error, res.properties
    for rule in ("pacs-web-requires-authentication", "pacs-web-default-credentials-rejected"):
        assert status(rule, res) == "error"


@pytest.mark.parametrize("answer", [http("200 OK"), SYSTEM, http("200 OK", b"\x00\xff{not json")])
def test_any_2xx_without_credentials_is_anonymous_access_and_fails(answer):
    res = probe_web(answer)
    assert res.properties["anonymous_access"] is True
    assert status("pacs-web-requires-authentication", res) == "fail"


# an A-ABORT PDU (PS3.8 9.3.8): type 0x07, length 4, reserved, source 2 (provider), reason 0
A_ABORT = bytes([0x07, 0, 0, 0, 0, 4, 0, 0, 2, 0])
DICOM_RULES = (
    "dicom-endpoint-tls",
    "dicom-endpoint-rejects-unknown-called-ae",
    "dicom-endpoint-rejects-unknown-calling-ae",
)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(A_ABORT, id="a-abort"),
        pytest.param(GARBLED, id="garbled"),
        pytest.param(b"", id="closed-at-once"),
        pytest.param(bytes([0x02, 0, 0, 0, 0xFF, 0xFF]) + b"\x00" * 8, id="truncated-a-associate-ac"),
    ],
)
def test_aborted_or_malformed_dicom_answer_is_error_never_a_pass(answer):
    with canned(answer) as port:
        res = dicom.collect({"name": "scp", "host": "127.0.0.1", "port": port, "ae_title": "ORTHANC"}, TIMEOUT)
    assert res.error, res.properties
    for rule in DICOM_RULES:
        assert status(rule, res) == "error", (rule, res.properties)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(GARBLED, id="garbled"),
        pytest.param(b"", id="closed-at-once"),
        pytest.param(http("400 Bad Request"), id="plain-http"),
        pytest.param(b"\x16\x03\x03\x00\x05\x02\x00\x00\x01\x00", id="truncated-server-hello"),
    ],
)
def test_tls_port_that_closes_or_speaks_garbage_is_error(answer):
    with canned(answer) as port:
        res = tls.collect({"name": "tls", "host": "127.0.0.1", "port": port}, TIMEOUT)
    assert res.error, res.properties
    for rule in ("tls-endpoint-legacy-protocols-disabled", "tls-endpoint-certificate-valid"):
        assert status(rule, res) == "error"
