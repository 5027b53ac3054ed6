"""Outputs other tools ingest: OCSF Compliance Findings (validated with the OCSF models of
py-ocsf-models, the library Prowler emits OCSF with), AWS Security Hub ASFF sent with
BatchImportFindings to the moto server, the Slack/Teams webhook against a loopback HTTP
server, and the CSV's tenant and scan-time columns."""

from __future__ import annotations

import csv
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from conftest import run_enamel, validate_report
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.outputs import ALL_FILE_FORMATS, FORMATS, RenderContext, asff, ocsf, webhook, write_reports

RESOURCES = {
    "resources": [
        {
            "type": "aws.s3_bucket",
            "id": "arn:aws:s3:::bsd-xray-archive",
            "name": "bsd-xray-archive",
            "source": "file",
            "account": "123456789012",
            "region": "us-east-1",
            "properties": {"versioning": {"status": "Enabled"}, "tags": {"data_class": "phi"}},
        },
        {
            "type": "aws.s3_bucket",
            "id": "arn:aws:s3:::bsd-marketing",
            "name": "bsd-marketing",
            "source": "file",
            "account": "123456789012",
            "region": "us-east-1",
            "properties": {
                "versioning": {"status": "Suspended"},
                "tags": {"data_class": "phi"},
                "public_access_block": {
                    "block_public_acls": False,
                    "ignore_public_acls": False,
                    "block_public_policy": False,
                    "restrict_public_buckets": False,
                },
                "policy": {"present": True, "denies_insecure_transport": {"$unknown": "AccessDenied"}},
            },
        },
    ]
}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    d = tmp_path_factory.mktemp("ingest")
    (d / "r.json").write_text(json.dumps(RESOURCES))
    r = run_enamel(
        "scan",
        "--resources",
        d / "r.json",
        "--tenant",
        "Bright Smile Dental",
        "--format",
        "json,csv",
        "--output-dir",
        d / "out",
    )
    assert r.returncode == 1, r.stderr
    report = json.loads((d / "out" / "enamel-report.json").read_text())
    validate_report(report)
    # the CLI's --format list is wired by the CLI; the report writer knows the format already
    write_reports(report, ["ocsf"], d / "out", RenderContext())
    return d / "out", report


def test_pass_ocsf_is_a_registered_report_format(scanned):
    out, _ = scanned
    assert "ocsf" in FORMATS and "ocsf" in ALL_FILE_FORMATS and (out / FORMATS["ocsf"][1]).is_file()


def test_pass_ocsf_events_validate_as_compliance_findings(scanned):
    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

    out, report = scanned
    events = json.loads((out / "enamel-report.ocsf.json").read_text())
    evaluated = [f for f in report["findings"] if f["status"] != "skip"]
    assert len(events) == len(evaluated) > 0
    known = set(ComplianceFinding.model_fields)
    for ev in events:
        model = ComplianceFinding.model_validate(ev)
        assert model.class_uid == 2003 and int(model.type_uid) == 200301 and model.category_uid == 2
        profiles = set(ev["metadata"].get("profiles", []))
        assert set(ev) - known <= profiles, set(ev) - known  # the class's attributes, or a declared profile's
        if "cloud" in ev:
            from py_ocsf_models.objects.cloud import Cloud

            assert Cloud.model_validate(ev["cloud"]).provider == "AWS"
        assert ev["compliance"]["standards"] and ev["compliance"]["requirements"][0].startswith("164.")
        assert ev["metadata"]["tenant_uid"] == "Bright Smile Dental"


def test_pass_ocsf_status_mapping_never_turns_unknown_or_error_into_pass(scanned):
    out, report = scanned
    events = json.loads((out / "enamel-report.ocsf.json").read_text())
    by_status = {}
    for ev in events:
        by_status.setdefault(ev["status_code"], set()).add(ev["compliance"]["status_id"])
    assert by_status["pass"] == {1} and by_status["fail"] == {3} and by_status["unknown"] == {2}
    err = dict(report["findings"][0], status="error")
    assert ocsf.event(err, report, None)["compliance"]["status_id"] == 0  # Unknown, not Pass


def test_pass_csv_carries_tenant_and_scan_time(scanned):
    out, report = scanned
    rows = list(csv.DictReader(io.StringIO((out / "enamel-report.csv").read_text())))
    assert rows and {r["tenant"] for r in rows} == {"Bright Smile Dental"}
    assert {r["scanned_at"] for r in rows} == {report["scan"]["started_at"]}
    assert {r["scan_id"] for r in rows} == {report["scan"]["id"]}


@pytest.mark.usefixtures("moto_account")
def test_pass_asff_export_imports_every_finding_into_security_hub(scanned):
    import boto3

    _, report = scanned
    session = boto3.Session(region_name="us-east-1")
    result = asff.export_asff(report, session)
    evaluated = [f for f in report["findings"] if f["status"] != "skip"]
    assert result == {"sent": len(evaluated), "imported": len(evaluated), "failed": []}
    hub = session.client("securityhub")
    got = hub.get_findings(MaxResults=100)["Findings"]
    assert len(got) == len(evaluated)
    statuses = {(g["ProductFields"]["enamel/status"], g["Compliance"]["Status"]) for g in got}
    assert ("fail", "FAILED") in statuses and ("pass", "PASSED") in statuses and ("unknown", "WARNING") in statuses
    assert all(g["ProductArn"].endswith("/default") and g["Types"] == asff.TYPES for g in got)


def test_fail_asff_export_without_a_region_is_bad_input():
    class NoRegion:
        region_name = None

    with pytest.raises(InputError, match="needs a region"):
        asff.export_asff({"findings": []}, NoRegion())


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.headers["Content-Type"], json.loads(body)))
        self.send_response(self.server.status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def hook_server():
    started = []

    def start(status=200):
        srv = HTTPServer(("127.0.0.1", 0), _Hook)
        srv.received, srv.status = [], status
        t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        t.start()
        started.append((srv, t))
        return srv, f"http://127.0.0.1:{srv.server_port}/hooks/T000/secret-token"

    yield start
    for srv, t in started:
        srv.shutdown()
        srv.server_close()
        t.join(timeout=5)


def test_pass_webhook_posts_new_critical_and_high_findings_for_slack_and_teams(scanned, hook_server):
    _, report = scanned
    srv, url = hook_server()
    expected = webhook.new_problems(report["findings"])
    assert expected and all(f["severity"] in ("critical", "high") for f in expected)
    assert webhook.notify(url, report["findings"], tenant="Bright Smile Dental") == len(expected)
    [(ctype, body)] = srv.received
    assert ctype == "application/json"
    assert "Bright Smile Dental" in body["text"] and "bsd-marketing" in body["text"]  # Slack: text + blocks
    assert body["blocks"][0]["type"] == "header"
    card = body["attachments"][0]  # Teams: an Adaptive Card attachment
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard" and card["content"]["body"]
    assert "AccessDenied" not in json.dumps(body) or "unknown" in body["text"]  # no evidence dumps


def test_pass_webhook_sends_nothing_without_new_critical_or_high(scanned, hook_server):
    _, report = scanned
    srv, url = hook_server()
    known = [dict(f, baseline="unchanged") for f in report["findings"]]
    assert webhook.notify(url, known) == 0 and srv.received == []


def test_fail_webhook_delivery_error_names_no_url(scanned, hook_server):
    _, report = scanned
    srv, url = hook_server(status=500)
    with pytest.raises(InputError) as e:
        webhook.notify(url, report["findings"])
    assert "HTTP 500" in str(e.value) and "secret-token" not in str(e.value)
