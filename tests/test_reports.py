"""Every report format, written by the real CLI, checked against its schema."""

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
import xmlschema
from junitparser import JUnitXml

from conftest import check_sarif, run_enamel, validate_report

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def demo_out(demo_run):
    assert demo_run.proc.returncode == 1, demo_run.proc.stderr  # the demo practice has critical findings
    return demo_run.out


def load_json(p):
    return json.loads(Path(p).read_text())


def test_json_report_is_schema_valid_and_has_contract_fields(demo_out):
    report = load_json(demo_out / "enamel-report.json")
    validate_report(report)
    s = report["summary"]["by_status"]
    assert s["fail"] > 0 and s["pass"] > 0 and s["waived"] == 1 and s["unknown"] > 0
    assert report["summary"]["expired_waivers"] == 1
    f = next(f for f in report["findings"] if f["status"] == "fail")
    assert set(f) >= {
        "rule_id",
        "title",
        "severity",
        "status",
        "resource",
        "hipaa",
        "message",
        "evidence",
        "remediation",
        "waiver",
    }
    expired = [f for f in report["findings"] if f["waiver"] and f["waiver"]["expired"]]
    assert expired and expired[0]["status"] == "fail"


def test_sarif_is_valid_sarif_2_1_0(demo_out):
    check_sarif(load_json(demo_out / "enamel-report.sarif"), load_json(demo_out / "enamel-report.json"))


def test_junit_is_schema_valid_one_case_per_rule_and_resource(demo_out):
    path = demo_out / "enamel-junit.xml"
    xmlschema.XMLSchema(str(HERE / "schemas" / "junit.xsd")).validate(str(path))
    report = load_json(demo_out / "enamel-report.json")
    xml = JUnitXml.fromfile(str(path))
    cases = [c for suite in xml for c in suite]
    assert len(cases) == len(report["findings"])
    assert sum(1 for c in cases if c.result and c.result[0]._tag == "failure") == report["summary"]["by_status"]["fail"]


def test_csv_has_one_row_per_finding(demo_out):
    rows = list(csv.DictReader(io.StringIO((demo_out / "enamel-report.csv").read_text())))
    report = load_json(demo_out / "enamel-report.json")
    assert len(rows) == len(report["findings"])
    assert {r["status"] for r in rows} >= {"pass", "fail", "waived"}


def test_markdown_has_summary_findings_and_citations(demo_out):
    md = (demo_out / "enamel-report.md").read_text()
    assert md.startswith("# Enamel HIPAA report")
    for heading in (
        "## Summary",
        "## Findings to fix",
        "## By safeguard family",
        "## Waivers",
        "## HIPAA Security Rule paragraphs cited",
    ):
        assert heading in md
    assert "164.312(a)(2)(iv) Encryption and decryption" in md
    assert "**Expired**" in md


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.external = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        for k in ("src", "href"):
            v = a.get(k) or ""
            if v.startswith(("http:", "https:", "//")):
                self.external.append(v)


def test_html_is_standalone_and_printable(demo_out):
    html = (demo_out / "enamel-report.html").read_text()
    p = _Assets()
    p.feed(html)
    assert p.external == [] and p.scripts == 1  # the small inline filter/sort script, nothing fetched
    assert "@media print" in html and "<table>" in html and "<svg" in html
    assert "Compliance score" in html and "HIPAA paragraphs × status" in html and '<section class="group' in html
    assert "bsd-referrals-share" in html and "Expired: no longer applies" in html


def test_html_escapes_resource_names(tmp_path):
    res = {
        "resources": [
            {
                "type": "aws.s3_bucket",
                "id": "x",
                "name": "<script>alert(1)</script>",
                "source": "file",
                "properties": {"versioning": {"status": "Suspended"}},
            }
        ]
    }
    (tmp_path / "r.json").write_text(json.dumps(res))
    r = run_enamel("scan", "--resources", tmp_path / "r.json", "--format", "html,json", "--output-dir", tmp_path / "o")
    assert r.returncode == 1, r.stderr
    html = (tmp_path / "o" / "enamel-report.html").read_text()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    validate_report(load_json(tmp_path / "o" / "enamel-report.json"))


def test_pass_demo_html_report_renders_summary_first_in_chromium(demo_out, tmp_path):
    import big_scan
    from test_report_screens import keep, not_blank

    if big_scan.chromium() is None:
        pytest.skip("Debian chromium not installed (make test installs it)")
    page = demo_out / "enamel-report.html"
    png = big_scan.screenshot(page, tmp_path / "demo.png", (1280, 1400), tmp_path / "profile")
    not_blank(png)
    keep(png, "report-demo.png")
    m = big_scan.measure_print_layout(page.read_text(), 703, tmp_path)  # A4 printable width
    assert m["bad"] == [], m
