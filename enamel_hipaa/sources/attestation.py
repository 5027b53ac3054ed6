"""Source `attestation`: the tenant's attestation register (YAML, docs/attestation.md), read
into `attestation.register` and one child resource per vendor, training record, system
restore test and disposal-log entry, so ordinary rules check administrative safeguards.

Where a rule must compare two values from the register (achieved vs target RTO, the last
risk analysis vs the last recorded change, the last restore test vs the policy interval)
the comparison is computed here as an explicit property; comparisons with "now" are left
to the rules (age_days_* operators). The optional history input (`--attest-history DB`)
adds the last infrastructure change recorded by scan history; without it, the register's
own trigger events are the only changes known.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import jsonschema

from enamel_hipaa.core import schemas, yamlsrc
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.model import Resource, error_value
from enamel_hipaa.sources import Collection
from enamel_hipaa.sources import register_v2

DEFAULT_RESTORE_INTERVAL_DAYS = 365
HISTORY_QUERY = "SELECT max(changed_at) FROM infrastructure_changes"


def collect(config, ctx=None) -> Collection:
    """`config`: a sources.config.AttestationSource."""
    path = config.path
    register = load_register(path)
    history = config.history
    last_change = history_last_change(history) if history else None
    resources = build_resources(register, Path(path).name, today=_today(), history_change=last_change)
    return Collection(resources=resources, sources=[f"attestation:{Path(path).name}"])


def _today() -> date:
    return datetime.now(timezone.utc).date()


# ---------------------------------------------------------------------------------------
# reading and validating


def _plain(v):
    """YAML turns unquoted dates into date objects; the register schema speaks ISO strings."""
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


def load_register(path: str, today: date | None = None) -> dict:
    """The register as plain JSON data; a bad register raises InputError naming file:line."""
    data, lines = yamlsrc.load(path)
    return check_register(path, data, lines, today)


def check_register(path: str, data, lines: dict, today: date | None = None) -> dict:
    if data is None:
        raise InputError(path, "empty attestation register (see docs/attestation.md)", line=1)
    data = _plain(data)
    errors = list(schemas.validator("attestation").iter_errors(data))
    if errors:
        err = _most_specific(jsonschema.exceptions.best_match(errors))
        if err.absolute_path and err.absolute_path[-1] == "person_id":  # never echo what may be a name
            where = tuple(err.absolute_path)
            raise InputError(
                path,
                "person_id must be an opaque id (letters, digits, '.', '_', '-'; no spaces "
                "or @), never a name or e-mail address",
                line=yamlsrc.line_of(lines, where),
                where="/".join(map(str, where)),
            )
        raise yamlsrc.schema_error(path, lines, err)
    _check_semantics(path, data, lines, today or _today())
    return register_v2.migrate(data)


def _most_specific(err):
    """For a oneOf (date or null, object or null) report why the non-null branch failed."""
    while err.context:
        err = max(err.context, key=lambda e: (len(e.absolute_path), e.validator != "type", -len(e.context or [])))
    return err


def _check_semantics(path: str, data: dict, lines: dict, today: date) -> None:
    def fail(where: tuple, msg: str):
        raise InputError(path, msg, line=yamlsrc.line_of(lines, where), where="/".join(map(str, where)))

    for section, key in (("vendors", "name"), ("training", "person_id"), ("systems", "name")):
        seen: dict[str, int] = {}
        for i, item in enumerate(data[section]):
            if item[key] in seen:
                fail((section, i, key), f"duplicate {key} {item[key]!r} (also {section}/{seen[item[key]]})")
            seen[item[key]] = i
    owner: dict[str, str] = {}
    for i, v in enumerate(data["vendors"]):
        for field in ("aws_accounts", "azure_tenants"):
            for j, acct in enumerate(v.get(field, [])):
                key = acct.lower()
                if key in owner and owner[key] != v["name"]:
                    fail(("vendors", i, field, j), f"{acct} is already listed for vendor {owner[key]!r}")
                owner[key] = v["name"]
        baa = v["baa"]
        if baa:
            for end in ("expires", "review_by"):
                if end in baa and baa[end] < baa["signed"]:
                    fail(("vendors", i, "baa", end), f"BAA {end} {baa[end]} is before it was signed ({baa['signed']})")
    tomorrow = (today + timedelta(days=1)).isoformat()  # one day of slack for time zones
    for where, value in _done_dates(data):
        if value is not None and value > tomorrow:
            fail(where, f"{value} is in the future: record the date the work was done")


def _done_dates(data: dict):
    """(path, date) of every date that says something was done (never a planned date)."""
    ra = data["risk_analysis"]
    yield ("risk_analysis", "last_completed"), ra["last_completed"]
    for i, e in enumerate(ra.get("trigger_events", [])):
        yield ("risk_analysis", "trigger_events", i, "date"), e["date"]
    for i, t in enumerate(data["training"]):
        yield ("training", i, "last_completed"), t["last_completed"]
    for i, s in enumerate(data["systems"]):
        if s["last_restore_test"]:
            yield ("systems", i, "last_restore_test", "date"), s["last_restore_test"]["date"]
    for i, d in enumerate(data["disposal_log"]):
        yield ("disposal_log", i, "date"), d["date"]
    for i, v in enumerate(data["vendors"]):
        if v["baa"]:
            yield ("vendors", i, "baa", "signed"), v["baa"]["signed"]
    for k in ("last_key_rotation", "last_access_review"):
        yield ("key_management", k), data["key_management"][k]
    yield from register_v2.done_dates(data)


ENAMEL_SCANS_QUERY = (
    "SELECT s.id, s.tenant, s.started_at, r.resource_key, r.snapshot FROM scans s "
    "LEFT JOIN scan_resources r ON r.scan_id = s.id ORDER BY s.started_at, s.id"
)


def _enamel_history_last_change(con) -> str | None:
    """Enamel's own history database: the start of the latest recorded scan whose resources
    (keys and property snapshots) differ from the same tenant's previous scan."""
    scans: dict[str, tuple[str | None, str, set]] = {}
    for scan_id, tenant, started, key, snapshot in con.execute(ENAMEL_SCANS_QUERY):
        entry = scans.setdefault(scan_id, (tenant, started, set()))
        if key is not None:
            entry[2].add((key, snapshot))
    previous: dict[str | None, frozenset] = {}
    last = None
    for tenant, started, state in sorted(scans.values(), key=lambda e: e[1]):
        state = frozenset(state)
        if tenant in previous and previous[tenant] != state:
            last = started
        previous[tenant] = state
    return last


def history_last_change(path: str):
    """The last infrastructure change recorded in a scan history DB (ISO date), None when it
    records none, or an $error marker when the DB could not be read right now."""
    p = Path(path)
    if not p.is_file():
        raise InputError(path, "file not found")
    try:
        con = sqlite3.connect(f"file:{p.resolve()}?mode=ro", uri=True, timeout=5)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
            if "infrastructure_changes" not in tables and {"scans", "scan_resources"} <= tables:
                row = (_enamel_history_last_change(con),)
            else:
                row = con.execute(HISTORY_QUERY).fetchone()
        finally:
            con.close()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc) or "no such column" in str(exc):
            raise InputError(
                path,
                "history DB needs Enamel's scan history or a table or view "
                "infrastructure_changes(changed_at) (see docs/attestation.md)",
            ) from None
        return error_value(f"history DB {p.name}: {exc}")
    except sqlite3.DatabaseError as exc:
        raise InputError(path, f"not a history DB: {exc}") from None
    value = row[0] if row else None
    if value is None:
        return None
    try:
        return _as_date(str(value)).isoformat()
    except ValueError:
        raise InputError(path, f"infrastructure_changes.changed_at {value!r} is not an ISO date") from None


def _as_date(text: str) -> date:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date() if "T" in text else date.fromisoformat(text[:10])


# ---------------------------------------------------------------------------------------
# building resources

_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-") or "x"


def baa_facts(baa: dict | None, today: date) -> dict:
    if not baa:
        return {
            "signed": False,
            "signed_on": None,
            "expires": None,
            "review_by": None,
            "valid_until": None,
            "status": "missing",
            "reference": None,
        }
    valid_until = baa.get("expires") or baa.get("review_by")
    return {
        "signed": True,
        "signed_on": baa["signed"],
        "expires": baa.get("expires"),
        "review_by": baa.get("review_by"),
        "valid_until": valid_until,
        "status": "current" if valid_until >= today.isoformat() else "expired",
        "reference": baa.get("reference"),
    }


def _dated(last: str | None) -> dict:
    return {"performed": last is not None, "last": last}


def _objective(target, achieved) -> dict:
    return {"target_hours": target, "achieved_hours": achieved, "met": None if achieved is None else achieved <= target}


def _risk_analysis(ra: dict, history_change) -> tuple[dict, object]:
    last = ra["last_completed"]
    events = [e["date"] for e in ra.get("trigger_events", [])]
    since = [d for d in events if last is None or d > last]
    candidates = [(d, "register") for d in events]
    if isinstance(history_change, str):
        candidates.append((history_change, "history"))
    last_change, source = max(candidates) if candidates else (None, "none")
    facts = {
        "performed": last is not None,
        "last_completed": last,
        "trigger_events_since": len(since),
        "last_change": last_change,
        "last_change_source": source,
    }
    if isinstance(history_change, dict):  # the history could not be read: do not guess
        after = history_change
    elif last is None:
        after = False
    else:
        after = last_change is None or last >= last_change
    return facts, after


def build_resources(reg: dict, file_name: str, today: date, history_change=None) -> list[Resource]:
    tenant = reg["tenant"]
    base = f"attestation:{slug(tenant)}"
    interval = (reg.get("policies") or {}).get("restore_test_interval_days", DEFAULT_RESTORE_INTERVAL_DAYS)
    km = reg["key_management"]
    retention = reg["retention_schedule"]
    ra_facts, after = _risk_analysis(reg["risk_analysis"], history_change)
    out = [
        Resource(
            "attestation.register",
            base,
            tenant,
            "attestation",
            {
                "tenant": tenant,
                "file": file_name,
                "risk_analysis": ra_facts,
                "sra_after_last_change": after,
                "key_rotation": _dated(km["last_key_rotation"]),
                "access_review": _dated(km["last_access_review"]),
                "retention_schedule": {
                    "entries": len(retention),
                    "records": [r["records"] for r in retention],
                    "min_keep_years": min((r["keep_years"] for r in retention), default=None),
                },
                "restore_test_interval_days": interval,
                **register_v2.register_facts(reg, today.isoformat()),
                "counts": {
                    "vendors": len(reg["vendors"]),
                    "training_records": len(reg["training"]),
                    "systems": len(reg["systems"]),
                    "disposal_records": len(reg["disposal_log"]),
                },
            },
        )
    ]
    for v in reg["vendors"]:
        subs = v.get("subcontractors", [])
        out.append(
            Resource(
                "attestation.vendor",
                f"{base}/vendor/{slug(v['name'])}",
                v["name"],
                "attestation",
                {
                    "name": v["name"],
                    "touches": v["touches"],
                    "handles_phi": v.get("handles_phi", True),
                    "aws_accounts": v.get("aws_accounts", []),
                    "azure_tenants": [t.lower() for t in v.get("azure_tenants", [])],
                    "domains": v.get("domains", []),
                    "baa": baa_facts(v["baa"], today),
                    "subcontractors": subs,
                    "uses_subcontractors": bool(subs),
                    "subcontractor_flow_down": v.get("subcontractor_flow_down", False),
                    **register_v2.vendor_facts(v),
                },
            )
        )
    for t in reg["training"]:
        pid = t["person_id"]
        out.append(
            Resource(
                "attestation.training_record",
                f"{base}/training/{pid}",
                pid,
                "attestation",
                {
                    "person_id": pid,
                    "completed": t["last_completed"] is not None,
                    "last_completed": t["last_completed"],
                    "acknowledged": t.get("acknowledged") is not None,
                    "acknowledged_on": t.get("acknowledged"),
                },
            )
        )
    for s in reg["systems"]:
        out.append(restore_test_resource(f"{base}/system/{slug(s['name'])}", s, interval, today))
    for i, d in enumerate(reg["disposal_log"]):
        out.append(
            Resource(
                "attestation.disposal_record",
                f"{base}/disposal/{i + 1}",
                d["media"],
                "attestation",
                {
                    "date": d["date"],
                    "media": d["media"],
                    "method": d["method"],
                    "vendor": d.get("vendor"),
                    "certificate": d.get("certificate"),
                    "has_certificate": bool(d.get("certificate")),
                },
            )
        )
    return out


def restore_test_resource(rid: str, system: dict, interval: int, today: date, seen_in=()) -> Resource:
    """One system's last restore test. `system` has the register's shape (a PHI system seen
    live but missing from the register is passed with last_restore_test None)."""
    test = system["last_restore_test"]
    tested = test is not None
    last = test["date"] if tested else None
    within = tested and (today - date.fromisoformat(last)).days <= interval
    return Resource(
        "attestation.restore_test",
        rid,
        system["name"],
        "attestation",
        {
            "system": system["name"],
            "holds_phi": system["holds_phi"],
            "covers": system.get("covers", []),
            "seen_in": list(seen_in),
            "tested": tested,
            "last_tested": last,
            "interval_days": interval,
            "within_policy_interval": within,
            "rto": _objective(system["rto_target_hours"], test["rto_achieved_hours"] if tested else None),
            "rpo": _objective(system["rpo_target_hours"], test["rpo_achieved_hours"] if tested else None),
        },
    )
