"""`enamel report weekly`: scan, record, compare with the scan about a week before, and
email the compliance officer (or write the same email as .eml with --out).

The email is built from reports/templates/email/weekly.{txt,html}.j2, which include one
template per entry of SECTIONS (email/sections/<name>.{txt,html}.j2). To add a section,
drop the two templates there and append its name to SECTIONS; each section reads the
view built by `email_view` (add what it needs under a new key)."""

from __future__ import annotations

import re
from datetime import timedelta

from enamel_hipaa.workflows import drift as drift_mod
from enamel_hipaa.outputs import history, mailer
from enamel_hipaa.core.values import format_value
from enamel_hipaa.core.model import SEVERITIES
from enamel_hipaa.outputs import RenderContext, citation_title, render
from enamel_hipaa.outputs.templating import env
from enamel_hipaa.core.report import FAILING

SECTIONS = ["summary", "new", "resolved", "open", "waivers", "changes"]
RULES_SHOWN = 20  # rule rows per section; the rest is in the attached report
NAMES_SHOWN = 3  # resources named per rule row
CHANGES_SHOWN = 20
TREND_CID = "trend@enamel"
WEEK = timedelta(days=7)
TOLERANCE = timedelta(hours=12)  # a scan 6.5 days earlier still counts as "last week's"
TREND_SCANS = 8


def baseline(all_scans: list[dict], to: dict) -> tuple[dict | None, str]:
    """The last scan at or before ~7 days before `to`, else the previous one, else None."""
    earlier = history.up_to(all_scans, to["id"])
    if not earlier:
        return None, "first recorded scan"
    cutoff = history.parse_time(to["started_at"]) - WEEK + TOLERANCE
    week_ago = [s for s in earlier if history.parse_time(s["started_at"]) <= cutoff]
    if week_ago:
        return week_ago[-1], "scan about a week before"
    return earlier[-1], "previous scan (none a week before)"


def first_scan_drift(report: dict) -> dict:
    """What the email shows when nothing was recorded before: every problem is new."""
    problems = [f for f in report["findings"] if f["status"] in FAILING]
    return {
        "kind": "scan",
        "tenant": report["scan"]["tenant"],
        "baseline": "first recorded scan",
        "from": None,
        "to": {
            "id": report["scan"]["id"],
            "started_at": report["scan"]["started_at"],
            "complete": report["scan"]["complete"],
            "summary": report["summary"],
        },
        "summary": {
            "new": len(problems),
            "resolved": 0,
            "open": 0,
            "waivers_expiring": 0,
            "resources_added": 0,
            "resources_removed": 0,
            "properties_changed": 0,
        },
        "new_failures": problems,
        "resolved_failures": [],
        "open_failures": [],
        "waivers_expiring": [],
        "resources_added": [],
        "resources_removed": [],
        "properties_changed": [],
    }


def trend(all_scans: list[dict], to: dict) -> list[dict]:
    upto = history.up_to(all_scans, to["id"], inclusive=True)[-TREND_SCANS:]
    return [
        {
            "started_at": s["started_at"],
            "date": s["started_at"][:16].replace("T", " "),
            "by_severity": s["summary"]["by_severity"],
            "open": sum(s["summary"]["by_severity"].values()),
        }
        for s in upto
    ]


def rule_rows(items: list[dict], extra=None, shown: int = RULES_SHOWN) -> dict:
    """Findings as one row per rule (worst severity, then most resources first), each naming a
    few resources: the email stays small at any number of resources. `extra(findings)` adds a
    column. -> {"rows": [...], "more_rules": n, "total": n}"""
    by_rule: dict[str, list[dict]] = {}
    for f in items:
        by_rule.setdefault(f["rule_id"], []).append(f)
    rows = []
    for rule_id, fs in by_rule.items():
        names = sorted(str(f["resource"].get("name") or f["resource"].get("id")) for f in fs)
        rows.append(
            {
                "rule_id": rule_id,
                "title": fs[0]["title"],
                "severity": fs[0]["severity"],
                "hipaa": fs[0]["hipaa"],
                "count": len(fs),
                "names": names[:NAMES_SHOWN],
                "more": max(0, len(names) - NAMES_SHOWN),
                "type": fs[0]["resource"].get("type", ""),
                "extra": extra(fs) if extra else None,
            }
        )
    rows.sort(key=lambda r: (SEVERITIES.index(r["severity"]), -r["count"], r["rule_id"]))
    return {"rows": rows[:shown], "more_rules": max(0, len(rows) - shown), "total": len(items)}


def _open_since(fs: list[dict]) -> str:
    oldest = min(fs, key=lambda f: f["first_seen"])
    return f"{oldest['first_seen'][:10]} ({oldest['age_days']} days)"


def email_view(report: dict, drift: dict, trend_rows: list[dict], ctx: RenderContext) -> dict:
    def by_sev(items):
        return [
            (s, [f for f in items if f["severity"] == s]) for s in SEVERITIES if any(f["severity"] == s for f in items)
        ]

    open_now = sum(report["summary"]["by_severity"].values())
    before = trend_rows[-2]["open"] if len(trend_rows) > 1 else None
    return {
        "report": report,
        "scan": report["scan"],
        "summary": report["summary"],
        "drift": drift,
        "severities": SEVERITIES,
        "sections": SECTIONS,
        "trend": trend_rows,
        "open_now": open_now,
        "open_delta": None if before is None else open_now - before,
        "new_by_severity": by_sev(drift["new_failures"]),
        "resolved_by_severity": by_sev(drift["resolved_failures"]),
        "open_by_severity": by_sev(drift["open_failures"]),
        "new_rows": rule_rows(drift["new_failures"]),
        "resolved_rows": rule_rows(
            drift["resolved_failures"], extra=lambda fs: ", ".join(sorted({f["now_status"] for f in fs}))
        ),
        "open_rows": rule_rows(drift["open_failures"], extra=_open_since),
        "changes_shown": CHANGES_SHOWN,
        "trend_cid": None,
        "resolved_extra": lambda f: f["now_status"],
        "open_extra": lambda f: f"{f['first_seen'][:10]} ({f['age_days']} days)",
        "cite": lambda c: citation_title(ctx, c),
        "fmt": format_value,
    }


def subject(view: dict) -> str:
    s, tenant = view["drift"]["summary"], view["scan"]["tenant"]
    return (
        f"Enamel weekly HIPAA report{' - ' + tenant if tenant else ''}: {s['new']} new, "
        f"{s['resolved']} resolved, {view['open_now']} open"
    )


def render_email(view: dict) -> tuple[str, str]:
    return (
        env(False).get_template("email/weekly.txt.j2").render(**view),
        env(True).get_template("email/weekly.html.j2").render(**view),
    )


def _slug(text: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", "-", (text or "all").lower()).strip("-") or "all"


def compose(conn, report: dict, ctx: RenderContext, rules, sender: str, to: list[str]):
    """The email for a recorded scan: (message, view)."""
    tenant = report["scan"]["tenant"]
    all_scans = history.scans(conn, tenant)
    this = next(s for s in all_scans if s["id"] == report["scan"]["id"])
    frm, how = baseline(all_scans, this)
    drift = drift_mod.scan_drift(conn, frm, this, rules, tenant, how) if frm else first_scan_drift(report)
    view = email_view(report, drift, trend(all_scans, this), ctx)
    images = []
    if len(view["trend"]) > 1:
        from enamel_hipaa.outputs import trend_png

        if trend_png.available():
            images.append((TREND_CID, trend_png.render(view["trend"], SEVERITIES)))
            view["trend_cid"] = TREND_CID
    text, html = render_email(view)
    day = report["scan"]["started_at"][:10]
    attachments = [
        csv_attachment(f"enamel-report-{day}.csv", render("csv", report, ctx)),
        (f"enamel-report-{day}.html", "text/html", render("html", report, ctx)),
    ]
    msg = mailer.build_message(
        subject=subject(view), sender=sender, to=to, text=text, html=html, attachments=attachments, inline_images=images
    )
    return msg, view


ZIP_ABOVE = 1_000_000  # bytes of CSV; above this the CSV travels zipped (mail size limits)


def csv_attachment(name: str, text: str) -> tuple[str, str, str | bytes]:
    """The CSV as is, or zipped when large (a 1,000-bucket CSV is ~8 MB, ~0.5 MB zipped)."""
    data = text.encode("utf-8")
    if len(data) <= ZIP_ABOVE:
        return name, "text/csv", text
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return name + ".zip", "application/zip", buf.getvalue()


def eml_name(report: dict) -> str:
    return f"enamel-weekly-{_slug(report['scan']['tenant'])}-{report['scan']['started_at'][:10]}.eml"
