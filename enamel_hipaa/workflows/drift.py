"""Drift: what changed between two recorded scans, and where the live estate differs from
what a Pulumi plan/state declares. Both produce a plain dict (rules/schema/drift.schema.json)
that the renderers in enamel_hipaa/outputs/drift.py present.

HIPAA-relevant keys of a resource type are the keys its loaded rules read: every leaf key
of each rule's `assert` and `where` (engine.leaf_keys). A property change elsewhere is noise.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from enamel_hipaa.outputs import history
from enamel_hipaa.core.conditions import leaf_keys
from enamel_hipaa.core.values import MISSING, lookup
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.model import ERROR_KEY, SEVERITY_RANK, UNKNOWN_KEY
from enamel_hipaa.core.report import FAILING

DRIFT_VERSION = 1
_DURATION = re.compile(r"^\s*(\d+)\s*([hdw])\s*$")
_UNIT_HOURS = {"h": 1, "d": 24, "w": 24 * 7}


def parse_duration(text: str) -> timedelta:
    m = _DURATION.match(text or "")
    if not m:
        raise InputError("command line", f"--since {text!r}: expected a number and a unit h, d or w (e.g. 7d)")
    return timedelta(hours=int(m.group(1)) * _UNIT_HOURS[m.group(2)])


def relevant_keys(rules) -> dict[str, dict[str, list[str]]]:
    """type -> {dotted key -> [rule ids reading it]}."""
    out: dict[str, dict[str, list[str]]] = {}
    for rule in rules:
        keys = leaf_keys(rule.assertion) + (leaf_keys(rule.where) if rule.where else [])
        per_type = out.setdefault(rule.resource, {})
        for k in keys:
            ids = per_type.setdefault(k, [])
            if rule.id not in ids:
                ids.append(rule.id)
    return out


def _value(props: dict, key: str):
    v = lookup(props, key)
    return None if v is MISSING else v


def _marker(v) -> str | None:
    if isinstance(v, dict):
        if UNKNOWN_KEY in v:
            return f"unknown: {v[UNKNOWN_KEY]}"
        if ERROR_KEY in v:
            return f"error: {v[ERROR_KEY]}"
    return None


def _by_severity(items: list[dict]) -> list[dict]:
    return sorted(items, key=lambda f: (-SEVERITY_RANK[f["severity"]], f["rule_id"], f["resource"]["id"]))


def _scan_meta(s: dict) -> dict:
    return {"id": s["id"], "started_at": s["started_at"], "complete": bool(s["complete"]), "summary": s["summary"]}


# --- choosing the two scans ---------------------------------------------------------------


def pick_scans(
    conn,
    tenant: str | None,
    since: str | None = None,
    from_ref: str | None = None,
    to_ref: str | None = None,
    now: datetime | None = None,
) -> tuple[dict, dict, str]:
    """(from scan, to scan, how the baseline was chosen). Default: the previous scan vs the last."""
    tenant = history.tenant_of(conn, tenant)
    all_scans = history.scans(conn, tenant)
    if not all_scans:
        raise InputError("history", f"no recorded scans for tenant {tenant!r} (record one with enamel scan --record)")
    to = history.find_scan(conn, to_ref, tenant) if to_ref else all_scans[-1]
    earlier = history.up_to(all_scans, to["id"])
    if from_ref:
        frm = history.find_scan(conn, from_ref, tenant)
        if frm["started_at"] > to["started_at"]:
            raise InputError("command line", "--from names a scan newer than --to")
        return frm, to, "given"
    if not earlier:
        raise InputError("history", f"only one recorded scan for tenant {tenant!r}: nothing to compare with yet")
    if since:
        cutoff = (now or datetime.now(timezone.utc)) - parse_duration(since)
        before = [s for s in earlier if history.parse_time(s["started_at"]) <= cutoff]
        if before:
            return before[-1], to, f"last scan at or before {history.iso(cutoff)}"
        return earlier[0], to, f"no scan at or before {history.iso(cutoff)}: oldest recorded scan"
    return earlier[-1], to, "previous scan"


# --- scan to scan -------------------------------------------------------------------------


def _open_since(conn, tenant, to: dict, open_keys: set) -> dict:
    """(rule, resource) -> started_at of the first scan of its current unbroken failing run."""
    all_scans = history.scans(conn, tenant)
    ordered = history.up_to(all_scans, to["id"], inclusive=True)
    ids = [s["id"] for s in ordered]
    failing = history.problem_keys(conn, ids, FAILING)
    first = {}
    pending = set(open_keys)
    for s in reversed(ordered):
        still = pending & failing[s["id"]]
        for k in still:
            first[k] = s["started_at"]
        pending = still
        if not pending:
            break
    return first


def scan_drift(
    conn,
    frm: dict,
    to: dict,
    rules,
    tenant: str | None,
    how: str = "given",
    waiver_days: int = 30,
    today: date | None = None,
) -> dict:
    today = today or datetime.now(timezone.utc).date()
    before, after = history.load_findings(conn, frm["id"]), history.load_findings(conn, to["id"])
    bad_before = {k for k, f in before.items() if f["status"] in FAILING}
    bad_after = {k for k, f in after.items() if f["status"] in FAILING}
    # fail closed: a failure whose resource an incomplete scan did not see is not resolved
    unchecked = set() if to["complete"] else {k for k in bad_before - bad_after if k not in after}
    first = _open_since(conn, tenant, to, bad_after & bad_before)
    first.update(_open_since(conn, tenant, frm, unchecked))
    to_time = history.parse_time(to["started_at"])
    still_open = []
    for k in (bad_after & bad_before) | unchecked:
        f = dict(after[k]) if k in after else dict(before[k], now_status="unchecked")
        f["first_seen"] = first.get(k, frm["started_at"])
        f["age_days"] = (to_time - history.parse_time(f["first_seen"])).days
        still_open.append(f)
    resolved = []
    for k in bad_before - bad_after - unchecked:
        f = dict(before[k], now_status=after[k]["status"] if k in after else "gone")
        resolved.append(f)

    res_before, res_after = history.load_resources(conn, frm["id"]), history.load_resources(conn, to["id"])
    keys_by_type = relevant_keys(rules)
    changed = []
    for rk in sorted(res_before.keys() & res_after.keys()):
        a, b = res_before[rk], res_after[rk]
        if a["properties"] == b["properties"]:
            continue
        for key, rule_ids in keys_by_type.get(b["ref"]["type"], {}).items():
            old, new = _value(a["properties"], key), _value(b["properties"], key)
            if old != new:
                changed.append({"resource": b["ref"], "key": key, "before": old, "after": new, "rules": rule_ids})

    horizon = (today + timedelta(days=waiver_days)).isoformat()
    waivers = sorted(
        (w for w in history.load_waivers(conn, to["id"]) if w["expires"] <= horizon),
        key=lambda w: (w["expires"], w["rule"], w["resource"]),
    )
    return {
        "kind": "scan",
        "version": DRIFT_VERSION,
        "tenant": tenant,
        "baseline": how,
        "from": _scan_meta(frm),
        "to": _scan_meta(to),
        "summary": {
            "new": len(bad_after - bad_before),
            "resolved": len(resolved),
            "open": len(still_open),
            "waivers_expiring": len(waivers),
            "resources_added": len(res_after.keys() - res_before.keys()),
            "resources_removed": len(res_before.keys() - res_after.keys()),
            "properties_changed": len(changed),
        },
        "new_failures": _by_severity([after[k] for k in bad_after - bad_before]),
        "resolved_failures": _by_severity(resolved),
        "open_failures": _by_severity(still_open),
        "waivers_expiring": [dict(w, days_left=(date.fromisoformat(w["expires"]) - today).days) for w in waivers],
        "resources_added": sorted(
            (res_after[k]["ref"] for k in res_after.keys() - res_before.keys()), key=lambda r: (r["type"], r["id"])
        ),
        "resources_removed": sorted(
            (res_before[k]["ref"] for k in res_before.keys() - res_after.keys()), key=lambda r: (r["type"], r["id"])
        ),
        "properties_changed": changed,
    }


# --- plan (desired) vs live (actual) -------------------------------------------------------


def match_resources(desired, actual) -> tuple[list[tuple], list, list]:
    """Pair each desired resource with an actual one of the same type: first by equal id,
    then by equal name (a Pulumi bucket's physical name is the live bucket's name; its id
    may only be known after deploy), preferring the same account/region when several match.
    Returns (pairs, unmatched desired, unmatched actual)."""
    left = list(actual)
    pairs, missing = [], []
    for attr in ("id", "name"):
        rest = []
        for d in desired:
            cands = [a for a in left if a.type == d.type and getattr(a, attr) == getattr(d, attr)]
            if not cands:
                rest.append(d)
                continue
            cands.sort(key=lambda a: (d.account not in (None, a.account), d.region not in (None, a.region)))
            pairs.append((d, cands[0], attr))
            left.remove(cands[0])
        desired = rest
    missing = desired
    return pairs, missing, left


def plan_drift(resources, rules, errors=()) -> dict:
    """Desired (plan/state) vs actual (every other source). Collection errors are listed:
    a resource of a failed service shows as missing, which only the errors explain."""
    desired = [r for r in resources if r.source in history.DESIRED_SOURCES]
    actual = [r for r in resources if r.source not in history.DESIRED_SOURCES]
    if not desired:
        raise InputError(
            "command line",
            "--desired found no plan/state resources (give --pulumi/--pulumi-state "
            "or a resources file whose resources have source plan or state)",
        )
    if not actual:
        raise InputError("command line", "--desired found no live resources to compare with")
    keys_by_type = relevant_keys(rules)
    pairs, missing, unmanaged = match_resources(desired, actual)
    differs = []
    for d, a, how in pairs:
        for key, rule_ids in keys_by_type.get(d.type, {}).items():
            want = lookup(d.properties, key)
            if want is MISSING:
                continue  # the plan does not declare it
            have = _value(a.properties, key)
            reason = _marker(want) or _marker(have)
            if reason is None and have is None:
                reason = "live value not reported"
            if reason is not None:
                differs.append(
                    {
                        "resource": a.ref(),
                        "key": key,
                        "desired": want,
                        "actual": have,
                        "status": "not_comparable",
                        "reason": reason,
                        "rules": rule_ids,
                    }
                )
            elif want != have:
                differs.append(
                    {
                        "resource": a.ref(),
                        "key": key,
                        "desired": want,
                        "actual": have,
                        "status": "differs",
                        "reason": None,
                        "rules": rule_ids,
                    }
                )
    differs.sort(key=lambda x: (x["status"], x["resource"]["type"], x["resource"]["id"], x["key"]))
    return {
        "kind": "plan",
        "version": DRIFT_VERSION,
        "summary": {
            "matched": len(pairs),
            "differs": sum(x["status"] == "differs" for x in differs),
            "not_comparable": sum(x["status"] == "not_comparable" for x in differs),
            "unmanaged": len(unmanaged),
            "missing": len(missing),
        },
        "matched": [{"desired": d.ref(), "actual": a.ref(), "by": how} for d, a, how in pairs],
        "properties": differs,
        "unmanaged": sorted((a.ref() for a in unmanaged), key=lambda r: (r["type"], r["id"])),
        "missing": sorted((d.ref() for d in missing), key=lambda r: (r["type"], r["id"])),
        "errors": [e.to_dict() for e in errors],
    }
