"""The summary-first view of a report (HTML report and its tests): compliance scores per
HIPAA safeguard family and per cited paragraph, findings grouped by rule, charts.

Score of a family or paragraph = pass / (pass + fail + unknown + error): unknown and error
count against it (fail closed), waived and out-of-scope findings are left out and shown apart.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from enamel_hipaa.core.model import SEVERITIES, SEVERITY_RANK
from enamel_hipaa.core.report import FAILING
from enamel_hipaa.outputs import charts
from enamel_hipaa.outputs.plain import observed, rule_expected

SCORED = ("pass", "fail", "unknown", "error")
MATRIX = ("pass", "fail", "unknown", "error", "waived")
STATUS_RANK = {"error": 0, "fail": 1, "unknown": 2, "waived": 3, "pass": 4, "skip": 5}
PRINT_NAMES = 40  # resources named per rule on paper; the CSV/JSON carry the rest


def score(counts: Counter) -> int | None:
    scored = sum(counts[s] for s in SCORED)
    return None if scored == 0 else round(100 * counts["pass"] / scored)


def _family(ctx, c: str) -> str:
    return (ctx.catalogue.get(c) or {}).get("family", c)


def _resource_label(r: dict) -> str:
    return r.get("name") or r.get("id") or "?"


def rule_groups(findings: list[dict], ctx, statuses=FAILING) -> list[dict]:
    """Findings of the given statuses, one group per rule, worst severity then most resources first."""
    by_rule: dict[str, list[dict]] = defaultdict(list)
    for f in findings:
        if f["status"] in statuses:
            by_rule[f["rule_id"]].append(f)
    groups = []
    for rule_id, items in by_rule.items():
        first = items[0]
        items.sort(key=lambda f: (STATUS_RANK[f["status"]], _resource_label(f["resource"])))
        counts = Counter(f["status"] for f in items)
        rule = ctx.rules.get(rule_id)
        sources = sorted({f["resource"].get("source") or "?" for f in items})
        families = sorted({_family(ctx, c) for c in first["hipaa"]})
        groups.append(
            {
                "rule_id": rule_id,
                "title": first["title"],
                "severity": first["severity"],
                "hipaa": first["hipaa"],
                "families": families,
                "sources": sources,
                "counts": counts,
                "statuses": sorted(counts, key=STATUS_RANK.get),
                "worst": min(counts, key=STATUS_RANK.get),
                "remediation": first["remediation"],
                "expected": rule_expected(rule),
                "description": getattr(rule, "description", "") or "",
                "items": [
                    {
                        "status": f["status"],
                        "type": f["resource"].get("type", ""),
                        "name": _resource_label(f["resource"]),
                        "id": f["resource"].get("id", ""),
                        "region": f["resource"].get("region") or "",
                        "account": f["resource"].get("account") or "",
                        "source": f["resource"].get("source") or "",
                        "observed": observed(f),
                        "location": f.get("location"),
                    }
                    for f in items
                ],
                "print_names": [_resource_label(f["resource"]) for f in items[:PRINT_NAMES]],
            }
        )
    groups.sort(key=lambda g: (-SEVERITY_RANK[g["severity"]], STATUS_RANK[g["worst"]], -len(g["items"]), g["rule_id"]))
    return groups


def passing_groups(findings: list[dict]) -> list[dict]:
    by_rule: dict[str, list[dict]] = defaultdict(list)
    for f in findings:
        if f["status"] == "pass":
            by_rule[f["rule_id"]].append(f)
    out = []
    for rule_id, items in sorted(by_rule.items()):
        names = sorted(_resource_label(f["resource"]) for f in items)
        out.append(
            {
                "rule_id": rule_id,
                "title": items[0]["title"],
                "count": len(items),
                "names": names[:PRINT_NAMES],
                "more": max(0, len(names) - PRINT_NAMES),
            }
        )
    return out


def matrices(findings: list[dict], ctx) -> tuple[list[dict], list[dict]]:
    """(families, paragraphs): each row {name, title, counts, score}; a finding citing two
    paragraphs of one family counts once for that family."""
    fam: dict[str, Counter] = defaultdict(Counter)
    par: dict[str, Counter] = defaultdict(Counter)
    safeguard: dict[str, str] = {}
    for f in findings:
        for c in f["hipaa"]:
            par[c][f["status"]] += 1
        for name in {_family(ctx, c) for c in f["hipaa"]}:
            fam[name][f["status"]] += 1
        for c in f["hipaa"]:
            safeguard.setdefault(_family(ctx, c), (ctx.catalogue.get(c) or {}).get("safeguard", ""))
    families = [
        {"name": n, "title": n, "safeguard": safeguard.get(n, ""), "counts": c, "score": score(c)}
        for n, c in sorted(fam.items(), key=lambda kv: (safeguard.get(kv[0], ""), kv[0]))
    ]
    paragraphs = [
        {
            "name": c,
            "title": (ctx.catalogue.get(c) or {}).get("title", ""),
            "family": _family(ctx, c),
            "counts": n,
            "score": score(n),
        }
        for c, n in sorted(par.items(), key=lambda kv: _para_key(kv[0]))
    ]
    return families, paragraphs


def _para_key(c: str):
    import re

    return [int(p) if p.isdigit() else p for p in re.findall(r"\d+|[a-zA-Z]+", c)]


def overall_score(findings: list[dict]) -> int | None:
    return score(Counter(f["status"] for f in findings))


def build_charts(families: list[dict], summary: dict, trend: list[dict] | None) -> dict:
    out = {
        "families": charts.stacked_bars(
            [(f["name"], f["counts"]) for f in families],
            SCORED,
            charts.STATUS_COLOURS,
            "Checks by HIPAA safeguard family and status",
        ),
        "severity": charts.bars(
            [(s, summary["by_severity"].get(s, 0), charts.SEVERITY_COLOURS[s]) for s in SEVERITIES],
            "Open problems by severity",
        ),
        "trend": None,
    }
    if trend:
        points = [(str(t.get("date") or t.get("started_at", ""))[:16], int(t["open"])) for t in trend]
        out["trend"] = charts.trend_line(points, "Open problems over time")
    return out


def filter_options(groups: list[dict]) -> dict:
    return {
        "severity": [s for s in SEVERITIES if any(g["severity"] == s for g in groups)],
        "status": [s for s in FAILING if any(s in g["counts"] for g in groups)],
        "family": sorted({fam for g in groups for fam in g["families"]}),
        "source": sorted({s for g in groups for s in g["sources"]}),
    }
