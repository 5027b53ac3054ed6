"""What the terminal and the HTML report show as "observed" is the finding's structured
`observed` value (Finding.observed), never a parse of its message text."""

from __future__ import annotations

import io

import big_scan
from conftest import shipped_rules
from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.core.model import Resource
from enamel_hipaa.core.report import build
from enamel_hipaa.outputs.plain import observed
from enamel_hipaa.outputs.terminal import make_console, print_report


def failing_report() -> dict:
    rs = shipped_rules()
    records = big_scan.bucket_records(1, seed=1, prefix="observed-bucket")
    records[0]["properties"]["versioning"]["status"] = "Suspended"
    rules = [r for r in rs.rules if r.id == "s3-bucket-versioning"]
    assert rules, "the versioning rule is shipped"
    return build(
        evaluate(rules, [Resource(**records[0])]),
        [],
        started_at="2026-11-28T06:00:00Z",
        tenant=None,
        sources=["file"],
        rules_digest=rs.digest,
        fail_on="high",
    )


def shown(report: dict) -> str:
    buf = io.StringIO()
    print_report(report, make_console(env={"COLUMNS": "200"}, file=buf), max_rows=5)
    return buf.getvalue()


def test_pass_terminal_shows_the_structured_observed_value():
    rep = failing_report()
    (f,) = [f for f in rep["findings"] if f["status"] == "fail"]
    assert "(expected:" in f["message"] and "(expected:" not in f["observed"]
    f["observed"] = "OBSERVED-SENTINEL"  # what the engine saw, as the report carries it
    out = shown(rep)
    assert "OBSERVED-SENTINEL" in out and "(expected:" not in out


def test_pass_report_without_observed_shows_its_whole_message_unparsed():
    f = {"message": "versioning is Suspended (expected: versioning status is “Enabled”)"}
    assert observed(f) == f["message"]  # an old report's message is shown as written
    assert observed({"message": "m", "observed": "seen"}) == "seen"
