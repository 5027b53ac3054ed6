"""SARIF 2.1.0 for code scanning: one result per failing (fail/unknown/error) finding and
one suppressed result per waived one; rule metadata with help text and HIPAA citations."""

from __future__ import annotations

import json

from enamel_hipaa import __version__
from enamel_hipaa.core.report import finding_key
from enamel_hipaa.outputs import citation_title

LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
REPORTED = ("fail", "unknown", "error", "waived")


def _rule_descriptor(rule_id: str, finding: dict, ctx) -> dict:
    rule = ctx.rules.get(rule_id)
    title = finding["title"]
    cites = finding["hipaa"]
    remediation = finding["remediation"]
    description = rule.description if rule and rule.description else title
    cite_text = "; ".join(citation_title(ctx, c) for c in cites)
    help_md = f"**{title}**\n\n{description}\n\n**HIPAA Security Rule:** {cite_text}\n\n**Remediation:** {remediation}"
    return {
        "id": rule_id,
        "name": "".join(w.capitalize() for w in rule_id.split("-")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "help": {"text": f"{title}. HIPAA: {cite_text}. Remediation: {remediation}", "markdown": help_md},
        "defaultConfiguration": {"level": LEVEL[finding["severity"]]},
        "properties": {
            "tags": ["security", "hipaa", *[f"HIPAA-{c}" for c in cites]],
            "security-severity": SECURITY_SEVERITY[finding["severity"]],
            "precision": "high",
            "hipaa": cites,
        },
    }


def _location(f: dict, ctx) -> dict:
    r = f["resource"]
    loc = f.get("location") or getattr(ctx, "locations", {}).get((r["type"], str(r["id"])))
    if loc:
        region = {"startLine": loc.get("start_line") or 1}
        if loc.get("end_line"):
            region["endLine"] = loc["end_line"]
        phys = {"artifactLocation": {"uri": loc["path"]}, "region": region}
    else:
        # a cloud or on-prem resource has no file: point at the rule that judged it
        rule = ctx.rules.get(f["rule_id"])
        uri = f"rules/{rule.provider}/{rule.id}.yaml" if rule else f"rules/{f['rule_id']}.yaml"
        phys = {"artifactLocation": {"uri": uri}, "region": {"startLine": 1}}
    return {
        "physicalLocation": phys,
        "logicalLocations": [
            {"name": r.get("name") or r["id"], "fullyQualifiedName": f"{r['type']}/{r['id']}", "kind": "resource"}
        ],
    }


def render(report: dict, ctx) -> str:
    rules: list[dict] = []
    index: dict[str, int] = {}
    results = []
    for f in report["findings"]:
        if f["status"] not in REPORTED:
            continue
        rid = f["rule_id"]
        if rid not in index:
            index[rid] = len(rules)
            rules.append(_rule_descriptor(rid, f, ctx))
        r = f["resource"]
        fp = finding_key(f)
        result = {
            "ruleId": rid,
            "ruleIndex": index[rid],
            "level": LEVEL[f["severity"]] if f["status"] != "unknown" else "warning",
            "kind": "fail" if f["status"] in ("fail", "waived") else "review",
            "message": {"text": f"[{f['status']}] {f['message']}"},
            "locations": [_location(f, ctx)],
            "partialFingerprints": {"enamelFinding/v1": fp},
            "properties": {"status": f["status"], "resource": r, "hipaa": f["hipaa"]},
        }
        if f.get("baseline"):
            result["baselineState"] = f["baseline"]
        if f["status"] == "waived":
            w = f["waiver"] or {}
            if w.get("source") == "inline":
                result["suppressions"] = [
                    {"kind": "inSource", "status": "accepted", "justification": w.get("reason", "")}
                ]
            else:
                result["suppressions"] = [
                    {
                        "kind": "external",
                        "status": "accepted",
                        "justification": f"{w.get('reason', '')} (owner {w.get('owner', '?')}, "
                        f"expires {w.get('expires', '?')})",
                    }
                ]
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {"name": "enamel", "version": __version__, "semanticVersion": __version__, "rules": rules}
                },
                "automationDetails": {
                    "id": f"enamel/{report['scan'].get('tenant') or 'default'}/{report['scan']['id']}"
                },
                "invocations": [
                    {
                        "executionSuccessful": bool(report["scan"].get("complete", True)),
                        "startTimeUtc": report["scan"]["started_at"],
                        "endTimeUtc": report["scan"]["finished_at"],
                    }
                ],
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


def file_locations(resources, path: str) -> dict[tuple[str, str], dict]:
    """Locations for resources read from one file without line numbers (a resources file, an
    inventory): SARIF then points at that file, which is in the user's repository, rather than
    at the rule file, which is not. Feed the result to RenderContext.locations."""
    return {(r.type, str(r.id)): {"path": str(path), "start_line": 1} for r in resources}
