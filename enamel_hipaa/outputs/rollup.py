"""The MSP roll-up: one table of tenants x HIPAA control families, sorted by risk.
Built only from tenant directories (status + JSON report), so `tenants scan` and
`tenants merge` of its shards give the same roll-up."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from enamel_hipaa import __version__
from enamel_hipaa.core import cleantext
from enamel_hipaa.core.model import SEVERITIES, STATUSES
from enamel_hipaa.outputs import atomic_write
from enamel_hipaa.outputs.templating import template
from enamel_hipaa.core.report import FAILING, now_iso

# Risk: failing findings weighted by severity; a tenant we could not fully see ranks high.
WEIGHT = {"critical": 100, "high": 30, "medium": 10, "low": 3, "info": 1}
INCOMPLETE_PENALTY = 500
ROLLUP_FORMATS = {"json": "rollup.json", "html": "rollup.html", "markdown": "rollup.md", "csv": "rollup.csv"}


def _tenant_row(status: dict, report: dict | None, catalogue: dict) -> dict:
    counts = {s: 0 for s in STATUSES}
    families: dict[str, dict[str, int]] = {}
    risk, worst = 0, None
    open_sev = {s: 0 for s in SEVERITIES}
    for f in (report or {}).get("findings", []):
        counts[f["status"]] += 1
        for fam in sorted({(catalogue.get(c) or {}).get("family", c) for c in f["hipaa"]}):
            cell = families.setdefault(fam, {"pass": 0, "fail": 0, "unknown": 0, "error": 0, "waived": 0})
            if f["status"] in cell:
                cell[f["status"]] += 1
        if f["status"] in FAILING:
            risk += WEIGHT[f["severity"]]
            open_sev[f["severity"]] += 1
            if worst is None or SEVERITIES.index(f["severity"]) < SEVERITIES.index(worst):
                worst = f["severity"]
    complete = bool(status.get("complete")) and report is not None
    if not complete:
        risk += INCOMPLETE_PENALTY
    return {
        "name": status["name"],
        "display_name": status.get("display_name") or status["name"],
        "complete": complete,
        "error": status.get("error"),
        "risk": risk,
        "worst_severity": worst,
        "counts": counts,
        "families": families,
        "open_by_severity": open_sev,
        "report": f"{status['name']}/{status['report']}" if status.get("report") else None,
        "scanned_at": status.get("finished_at"),
        "trend": status.get("trend"),
    }


def build_rollup(entries: list[tuple[dict, dict | None]], catalogue: dict) -> dict:
    rows = [_tenant_row(s, r, catalogue) for s, r in entries]
    rows.sort(key=lambda t: (-t["risk"], t["name"]))
    fams = sorted({fam for t in rows for fam in t["families"]})
    digests = sorted({r["scan"]["rules_digest"] for _, r in entries if r})
    return {
        "tool": {"name": "enamel", "version": __version__},
        "generated_at": now_iso(),
        "rules_digests": digests,
        "families": fams,
        "summary": {
            "tenants": len(rows),
            "incomplete": sum(not t["complete"] for t in rows),
            "with_failures": sum(1 for t in rows if t["worst_severity"]),
        },
        "tenants": rows,
    }


class _SafeWriter:
    """Every cell through cleantext.csv_cell (tenant names come from a tenants file)."""

    def __init__(self, w):
        self.w = w

    def writerow(self, row):
        self.w.writerow([cleantext.csv_cell(x) if isinstance(x, str) else x for x in row])


def render_csv(rollup: dict) -> str:
    buf = io.StringIO()
    w = _SafeWriter(csv.writer(buf, lineterminator="\n"))
    w.writerow(
        [
            "tenant",
            "display_name",
            "complete",
            "risk",
            "worst_severity",
            "family",
            "pass",
            "fail",
            "unknown",
            "error",
            "waived",
            "trend_fail",
            "trend_unknown",
            "trend_error",
        ]
    )
    for t in rollup["tenants"]:
        trend = [("" if (t.get("trend") or {}).get(k) is None else t["trend"][k]) for k in ("fail", "unknown", "error")]
        head = [t["name"], t["display_name"], t["complete"], t["risk"], t["worst_severity"] or ""]
        for fam in rollup["families"]:
            c = t["families"].get(fam, {})
            w.writerow(
                [
                    *head,
                    fam,
                    c.get("pass", 0),
                    c.get("fail", 0),
                    c.get("unknown", 0),
                    c.get("error", 0),
                    c.get("waived", 0),
                    *trend,
                ]
            )
        if not rollup["families"] or not t["families"]:
            w.writerow([*head, "", 0, 0, 0, 0, 0, *trend])
    return buf.getvalue()


def render(fmt: str, rollup: dict) -> str:
    if fmt == "json":
        return json.dumps(rollup, indent=2) + "\n"
    if fmt == "csv":
        return render_csv(rollup)
    name, autoescape = {"html": ("rollup.html.j2", True), "markdown": ("rollup.md.j2", False)}[fmt]
    return template(name, autoescape).render(rollup=rollup, severities=SEVERITIES, **_charts(rollup))


def _charts(rollup: dict) -> dict:
    """Risk per tenant (weighted open problems by severity), as inline SVG (HTML only)."""
    from enamel_hipaa.outputs import charts

    def weighted(t):  # the risk score's parts: each severity's weight, and the incomplete-scan penalty
        parts = {s: t.get("open_by_severity", {}).get(s, 0) * WEIGHT[s] for s in SEVERITIES}
        parts["incomplete scan"] = 0 if t["complete"] else INCOMPLETE_PENALTY
        return parts

    keys = (*SEVERITIES, "incomplete scan")
    colours = {**charts.SEVERITY_COLOURS, "incomplete scan": "#475467"}
    top = rollup["tenants"][:25]
    return {
        "risk_chart": charts.stacked_bars(
            [(t["display_name"], weighted(t)) for t in top],
            keys,
            colours,
            "Risk per tenant (open problems weighted by severity)",
            width=760,
            label_chars=30,
            absolute=True,
        ),
        "tenant_bar": lambda t: charts.mini_bar(
            t.get("open_by_severity", {}),
            SEVERITIES,
            charts.SEVERITY_COLOURS,
            f"{t['display_name']}: open problems by severity",
        ),
        "weak_families": lambda t: sorted(
            ((fam, c) for fam, c in t["families"].items() if c.get("fail") or c.get("unknown") or c.get("error")),
            key=lambda fc: (-fc[1].get("fail", 0), -fc[1].get("unknown", 0) - fc[1].get("error", 0), fc[0]),
        ),
    }


def write_rollup(rollup: dict, out_dir: Path, formats=tuple(ROLLUP_FORMATS)) -> list[Path]:
    rendered = [(Path(out_dir) / ROLLUP_FORMATS[f], render(f, rollup)) for f in formats]
    for path, text in rendered:
        atomic_write(path, text)
    return [p for p, _ in rendered]


def comparable(rollup: dict) -> dict:
    """The roll-up without its timestamps (shard merge == unsharded run)."""
    out = json.loads(json.dumps(rollup))
    out.pop("generated_at", None)
    for t in out["tenants"]:
        t.pop("scanned_at", None)
    return out
