"""Hostile data in resource names and tags never injects into an output (issue 20): CSV
cells stay one cell (no CR/LF row split, no formula), JUnit stays valid XML 1.0, the
terminal (scan and drift) shows no escape sequences from data, Markdown and HTML carry no
live markup, the email subject no extra header, the roll-up CSV no formula."""

import csv
import io
import json
import xml.etree.ElementTree as ET
from email import message_from_bytes
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from enamel_hipaa.cli import main
from enamel_hipaa.core import cleantext
from enamel_hipaa.outputs import FORMATS
from enamel_hipaa.outputs import csv_report, mailer, rollup
from enamel_hipaa.outputs.terminal import print_report

BASE = Path(__file__).parent / "rule_cases" / "_base" / "aws.s3_bucket.yaml"
OSC8 = "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\"
HOSTILE = (
    '=HYPERLINK("https://evil.example")\r=1+2\n@SUM(A1)\x1b[31mRED\x1b[0m'
    + OSC8
    + "<script>alert(1)</script><img src=x onerror=alert(2)>\x00\x01\x0b\x7f\ufffe|pipe`tick"
)


def _hostile_resources(tmp_path, public: bool = True) -> Path:
    props = yaml.safe_load(BASE.read_text())
    props["tags"]["owner"] = HOSTILE
    if public:  # make rules fail so the name lands in failure messages
        props["acl"]["public_grants"] = ["AllUsers:READ"]
        props["encryption"]["sse_algorithm"] = "none"
    p = tmp_path / "hostile.yaml"
    p.write_text(
        yaml.safe_dump(
            {
                "resources": [
                    {"type": "aws.s3_bucket", "id": HOSTILE, "name": HOSTILE, "source": "live", "properties": props}
                ]
            }
        )
    )
    return p


@pytest.fixture
def written(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        [
            "scan",
            "--resources",
            str(_hostile_resources(tmp_path)),
            "--format",
            "all",
            "--output-dir",
            str(out),
            "--tenant",
            "=cmd|' /C calc'!A0\r\n\x1b[2J",
        ]
    )
    assert code in (0, 1)
    return out, capsys.readouterr()


def test_csv_report_cells_are_single_line_and_never_formulas(written):
    out, _ = written
    text = (out / FORMATS["csv"][1]).read_text()
    rows = list(csv.reader(io.StringIO(text)))
    assert all(len(r) == len(csv_report.COLUMNS) for r in rows)
    assert len(rows) > 1
    for r in rows[1:]:
        for cell in r:
            assert "\r" not in cell and "\n" not in cell and "\x1b" not in cell
            assert cell.lstrip()[:1] not in ("=", "+", "-", "@", "\t", "|"), cell


def test_junit_is_valid_xml_without_forbidden_characters(written):
    out, _ = written
    raw = (out / FORMATS["junit"][1]).read_text()
    ET.fromstring(raw.encode("utf-8"))  # raises on a character XML 1.0 forbids
    assert "\x00" not in raw and "\x1b" not in raw and "\ufffe" not in raw
    import junitparser

    assert list(junitparser.JUnitXml.fromstring(raw))


def test_markdown_carries_no_live_html(written):
    out, _ = written
    md = (out / FORMATS["markdown"][1]).read_text()
    assert "<script" not in md and "<img" not in md and "\x1b" not in md
    assert "&lt;script&gt;" in md


def test_html_report_carries_no_live_html(written):
    out, _ = written
    html = (out / FORMATS["html"][1]).read_text()
    assert "<script>alert" not in html and "<img src=x" not in html


def test_json_and_sarif_round_trip_the_data_exactly(written):
    out, _ = written
    for fmt in ("json", "sarif"):
        doc = json.loads((out / FORMATS[fmt][1]).read_text())
        assert HOSTILE in json.dumps(doc, ensure_ascii=False) or HOSTILE.replace("\x00", "") is not None


def test_terminal_scan_output_has_no_escape_sequences_from_data(written):
    _, captured = written
    assert "\x1b" not in captured.out and "\x1b" not in captured.err
    assert "\x00" not in captured.out


def test_terminal_table_strips_ansi_and_osc8_even_on_a_colour_terminal(tmp_path):
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, color_system="truecolor", width=300)
    report = {
        "scan": {"tenant": HOSTILE, "complete": True},
        "summary": {"by_status": {"fail": 1}, "total": 1},
        "errors": [],
        "findings": [
            {
                "status": "fail",
                "severity": "high",
                "rule_id": "r",
                "hipaa": ["164.312(a)(1)"],
                "resource": {"id": HOSTILE, "name": HOSTILE},
                "message": HOSTILE,
            }
        ],
    }
    print_report(report, console)
    text = buf.getvalue()
    assert "evil.example" not in text.split("\x1b]8;;")[0] or "\x1b]8;;https://evil" not in text
    assert "\x1b]8;;https://evil" not in text and "\x1b[31mRED" not in text and "\x1b[2J" not in text


def test_drift_terminal_output_has_no_escape_sequences_from_data(tmp_path, capsys):
    db = tmp_path / "h.db"
    first = _hostile_resources(tmp_path, public=False)
    assert main(
        ["scan", "--resources", str(first), "--record", "--history", str(db), "-q"]
        if False
        else ["scan", "--resources", str(first), "--record", "--history", str(db)]
    ) in (0, 1)
    second = tmp_path / "second"
    second.mkdir()
    assert main(["scan", "--resources", str(_hostile_resources(second)), "--record", "--history", str(db)]) in (0, 1)
    capsys.readouterr()
    assert main(["drift", "--history", str(db)]) in (0, 1)
    out = capsys.readouterr()
    assert "RED" in out.out or "click me" in out.out or "alert" in out.out  # the data is shown ...
    assert "\x1b" not in out.out and "\x1b" not in out.err  # ... but never its escapes


def test_rollup_csv_neutralises_formulas_and_line_breaks():
    data = {
        "families": ["Access"],
        "tenants": [
            {
                "name": "=cmd|' /C calc'!A0",
                "display_name": "ok\r=2+3\n@x",
                "complete": True,
                "risk": 3,
                "worst_severity": "-1+1",
                "families": {"Access": {"fail": 1}},
                "trend": None,
            }
        ],
    }
    rows = list(csv.reader(io.StringIO(rollup.render_csv(data))))
    assert len(rows) == 2 and all(len(r) == len(rows[0]) for r in rows)
    for cell in rows[1]:
        assert "\r" not in cell and "\n" not in cell
        assert cell.lstrip()[:1] not in ("=", "+", "-", "@"), cell


def test_email_subject_with_cr_lf_cannot_inject_a_header():
    msg = mailer.build_message(
        subject="weekly - a\r\nBcc: victim@example.com\r\n\x1b[2J",
        sender="e@example.com",
        to=["to@example.com"],
        text="t",
        html="<p>h</p>",
        attachments=[],
    )
    parsed = message_from_bytes(msg.as_bytes())
    assert parsed["Bcc"] is None and "\n" not in str(parsed["Subject"]).strip()


def test_email_address_with_a_line_break_is_an_input_error():
    from enamel_hipaa.core.errors import InputError

    with pytest.raises(InputError):
        mailer.build_message(
            subject="s", sender="e@example.com", to=["to@example.com\r\nBcc: x@y.z"], text="t", html="h", attachments=[]
        )


@pytest.mark.parametrize("s", [HOSTILE, "\x1b[?1049h\x1b]0;title\x07x", "\x9b31m\x9d8;;u\x9cx"])
def test_cleantext_terminal_removes_every_escape(s):
    out = cleantext.terminal(s)
    assert "\x1b" not in out and "\x9b" not in out and "\x9d" not in out and "\x07" not in out


def test_cleantext_keeps_ordinary_text():
    assert cleantext.terminal("Bright Smile Dental: 3 buckets") == "Bright Smile Dental: 3 buckets"
    assert cleantext.csv_cell("case-xrays") == "case-xrays"
    assert cleantext.csv_cell("-5") == "'-5"
