"""Build the JSON report (the contract every renderer reads) and decide the exit code."""

from __future__ import annotations

import hashlib

import uuid
from datetime import datetime, timezone

from enamel_hipaa import __version__
from enamel_hipaa.core.model import SEVERITIES, SEVERITY_RANK, STATUSES, CollectionError, Finding, Waiver

FAILING = ("fail", "unknown", "error")  # what can fail a gate at or above --fail-on

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_INCOMPLETE = 0, 1, 2, 3


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _sort_key(f: dict):
    return (-SEVERITY_RANK[f["severity"]], STATUSES.index(f["status"]), f["rule_id"], f["resource"]["id"])


def build(
    findings: list[Finding],
    errors: list[CollectionError],
    *,
    started_at: str,
    tenant: str | None,
    sources: list[str],
    rules_digest: str,
    fail_on: str,
    waivers: list[Waiver] = (),
    scan_id: str | None = None,
    unsupported_types: dict[str, dict[str, int]] | None = None,
    notices: list[dict] | None = None,
) -> dict:
    """`unsupported_types`: per source, the resource types it saw but could not judge (counts);
    `notices`: [{source, message}] a reader must know (files skipped, inputs not rendered), never
    an error and never a change to the verdict."""
    items = sorted((f.to_dict() for f in findings), key=_sort_key)
    by_status = {s: 0 for s in STATUSES}
    by_severity = {s: 0 for s in SEVERITIES}
    for f in items:
        by_status[f["status"]] += 1
        if f["status"] in FAILING:
            by_severity[f["severity"]] += 1
    expired = [w for w in waivers if w.expired]
    report = {
        "tool": {"name": "enamel", "version": __version__},
        "scan": {
            "id": scan_id or uuid.uuid4().hex,
            "started_at": started_at,
            "finished_at": now_iso(),
            "tenant": tenant,
            "sources": list(dict.fromkeys(sources)),
            "rules_digest": rules_digest,
            "fail_on": fail_on,
            "complete": not errors and by_status["error"] == 0,
        },
        "summary": {
            "total": len(items),
            "by_status": by_status,
            "by_severity": by_severity,
            "expired_waivers": len(expired),
        },
        "findings": items,
        "errors": [e.to_dict() for e in errors],
        "waivers": [w.to_dict() for w in waivers],
    }
    unsupported = {src: dict(sorted(c.items())) for src, c in (unsupported_types or {}).items() if c}
    if unsupported:
        report["unsupported_types"] = dict(sorted(unsupported.items()))
    if notices:
        report["notices"] = [{"source": n["source"], "message": n["message"]} for n in notices]
    return report


def exit_code(report: dict, fail_on: str, fail_on_error: bool, count_unknown: bool = True) -> int:
    """0 nothing at or above fail_on; 1 findings at or above it; 3 incomplete scan with
    fail_on_error (wins over 1: a gate must not pass judgement on a scan that could not see).
    Findings marked `baseline: unchanged` (--baseline) do not count."""
    if fail_on_error and not report["scan"]["complete"]:
        return EXIT_INCOMPLETE
    if fail_on == "none":
        return EXIT_OK
    threshold = SEVERITY_RANK[fail_on]
    counted = ("fail", "unknown") if count_unknown else ("fail",)
    for f in report["findings"]:
        if f["status"] in counted and SEVERITY_RANK[f["severity"]] >= threshold and f.get("baseline") != "unchanged":
            return EXIT_FINDINGS
    return EXIT_OK


def finding_key(f: dict) -> str:
    """Stable identity of a finding (also SARIF's partialFingerprints)."""
    r = f["resource"]
    ident = f"{f['rule_id']}|{r['type']}|{r['id']}|{r.get('account')}|{r.get('region')}"
    return hashlib.sha256(ident.encode()).hexdigest()
