"""GitHub Actions workflow commands (`::error file=...,line=...::message`): in --ci mode with
GITHUB_ACTIONS set, each failing finding becomes an annotation on the pull request, on the
offending lines when the finding has a file location."""

from __future__ import annotations

from enamel_hipaa.core.model import SEVERITY_RANK

SHOWN = ("fail", "unknown", "error")
LIMIT = 200  # GitHub shows a few per step anyway; the SARIF upload carries them all


def _data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(s: str) -> str:
    return _data(s).replace(":", "%3A").replace(",", "%2C")


def annotation(f: dict, fail_on: str) -> str:
    gating = fail_on != "none" and SEVERITY_RANK[f["severity"]] >= SEVERITY_RANK[fail_on]
    level = "error" if f["status"] == "error" or (gating and f.get("baseline") != "unchanged") else "warning"
    props = []
    loc = f.get("location")
    if loc:
        props.append(f"file={_prop(loc['path'])}")
        if loc.get("start_line"):
            props.append(f"line={loc['start_line']}")
            props.append(f"endLine={loc.get('end_line') or loc['start_line']}")
    title = f"{f['rule_id']} ({f['severity']}, HIPAA {' '.join(f['hipaa'])})"
    props.append(f"title={_prop(title)}")
    text = f"[{f['status']}] {f['message']}\nRemediation: {f['remediation']}"
    return f"::{level} {','.join(props)}::{_data(text)}"


def render(report: dict, ctx=None) -> str:
    fail_on = report["scan"].get("fail_on") or "high"
    shown = [f for f in report["findings"] if f["status"] in SHOWN and f.get("baseline") != "unchanged"]
    lines = [annotation(f, fail_on) for f in shown[:LIMIT]]
    if len(shown) > LIMIT:
        lines.append(f"::notice::{len(shown) - LIMIT} more findings: see the SARIF and JSON reports")
    return "".join(line + "\n" for line in lines)
