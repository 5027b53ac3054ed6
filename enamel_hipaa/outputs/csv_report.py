"""CSV: one row per finding, for spreadsheets (compliance officers live in them)."""

import csv
import io
import json

from enamel_hipaa.core import cleantext

COLUMNS = [
    "status",
    "severity",
    "rule_id",
    "title",
    "hipaa",
    "resource_type",
    "resource_id",
    "resource_name",
    "source",
    "account",
    "region",
    "message",
    "evidence",
    "remediation",
    "waiver_reason",
    "waiver_expires",
    "tenant",
    "scanned_at",
    "scan_id",
]


def _cell(v: str) -> str:
    # one line, no escapes, and no cell a spreadsheet would execute as a formula
    return cleantext.csv_cell(v)


def render(report: dict, ctx) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    scan = report["scan"]
    for f in report["findings"]:
        r, wv = f["resource"], f.get("waiver") or {}
        row = [
            f["status"],
            f["severity"],
            f["rule_id"],
            f["title"],
            " ".join(f["hipaa"]),
            r["type"],
            r["id"],
            r.get("name") or "",
            r["source"],
            r.get("account") or "",
            r.get("region") or "",
            f["message"],
            json.dumps(f["evidence"], default=str, sort_keys=True),
            f["remediation"],
            wv.get("reason", ""),
            wv.get("expires") or "",
            scan.get("tenant") or "",
            scan["started_at"],
            scan["id"],
        ]
        w.writerow([_cell(str(x)) for x in row])
    return buf.getvalue()
