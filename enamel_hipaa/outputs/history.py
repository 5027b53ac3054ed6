"""Scan history: a database of scans, their findings, waivers and one snapshot of every
resource's properties (deduplicated by content hash). SQLite is the embedded default; a
postgresql:// URL selects a shared PostgreSQL database (sharded runs, ephemeral pods).

- Location: `--history PATH|URL`, else env ENAMEL_HISTORY, else `history.path` in the settings
  file, else <user state dir>/enamel/history.sqlite3.
- Schema versioned by the ordered MIGRATIONS list below, run on both back ends
  (enamel_hipaa/outputs/historydb.py; append a list of statements to migrate, never edit a
  shipped one; `{blob}` is the binary type, a (dialect, sql) pair is one dialect's statement).
- Every scan is written in ONE transaction (a scan killed mid-write leaves the previous scans
  untouched and no trace of itself). A scan recorded with a run id (env ENAMEL_RUN_ID, e.g. the
  Kubernetes Job name or the GitHub run id) is unique per (run, tenant): a retried shard's
  second write of a tenant is a no-op that returns the first one's scan id.
- Retention: SQLite prunes inside the scan's transaction (one writer at a time anyway);
  PostgreSQL prunes after it, in its own short transaction that one writer at a time runs
  (a try-lock: the others skip it) and that skips rows other writers hold.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import time
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

from enamel_hipaa.core.errors import InputError
from enamel_hipaa.outputs import historydb
from enamel_hipaa.outputs.historydb import POSTGRESQL, SQLITE, PgTarget, Store, is_url, redact  # noqa: F401

DEFAULT_RETENTION_DAYS = 400
DESIRED_SOURCES = ("plan", "state")
# test hook: when set, the writer creates this file inside the open transaction and pauses
PAUSE_ENV = "ENAMEL_HISTORY_TEST_PAUSE"
PAUSE_AFTER_ENV = "ENAMEL_HISTORY_TEST_PAUSE_AFTER"  # ... after letting this many scans commit
_WRITES = itertools.count()
RUN_ID_ENV = "ENAMEL_RUN_ID"
WRITE_ATTEMPTS = 5

MIGRATIONS: list[list[str]] = [
    [  # 1: scans, findings, waivers, resources with deduplicated property snapshots
        """CREATE TABLE scans (
            id TEXT PRIMARY KEY, tenant TEXT, started_at TEXT NOT NULL, finished_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL, complete INTEGER NOT NULL, rules_digest TEXT NOT NULL,
            sources TEXT NOT NULL, summary TEXT NOT NULL, report {blob} NOT NULL)""",
        "CREATE INDEX scans_tenant_started ON scans(tenant, started_at)",
        """CREATE TABLE findings (
            scan_id TEXT NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
            rule_id TEXT NOT NULL, resource_key TEXT NOT NULL, resource TEXT NOT NULL,
            status TEXT NOT NULL, severity TEXT NOT NULL, title TEXT NOT NULL, hipaa TEXT NOT NULL,
            message TEXT NOT NULL, waiver_expires TEXT)""",
        "CREATE INDEX findings_scan ON findings(scan_id)",
        "CREATE TABLE snapshots (hash TEXT PRIMARY KEY, properties TEXT NOT NULL)",
        """CREATE TABLE scan_resources (
            scan_id TEXT NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
            resource_key TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,
            source TEXT NOT NULL, account TEXT, region TEXT, error TEXT,
            snapshot TEXT NOT NULL REFERENCES snapshots(hash),
            PRIMARY KEY (scan_id, resource_key))""",
        "CREATE INDEX scan_resources_snapshot ON scan_resources(snapshot)",
        """CREATE TABLE waivers (
            scan_id TEXT NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
            rule TEXT NOT NULL, resource TEXT NOT NULL, reason TEXT NOT NULL, owner TEXT NOT NULL,
            expires TEXT NOT NULL, expired INTEGER NOT NULL)""",
        "CREATE INDEX waivers_scan ON waivers(scan_id)",
    ],
    [  # 2: the run a scan belongs to (a retried shard never records a tenant twice per run)
        "ALTER TABLE scans ADD COLUMN run_id TEXT",
        "CREATE UNIQUE INDEX scans_run_tenant ON scans(run_id, (COALESCE(tenant, '')))",
        "CREATE INDEX scans_started ON scans(started_at)",
        (POSTGRESQL, "ALTER TABLE scans ADD COLUMN seq BIGSERIAL"),  # SQLite orders by rowid
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)


# --- where the database lives -------------------------------------------------------------


def default_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_state_dir("enamel")) / "history.sqlite3"


def resolve(
    path: str | None = None, retention_days: int | None = None, settings_file: str | None = None
) -> tuple[Path | PgTarget, int]:
    """(database location, retention days): the arguments, else env ENAMEL_HISTORY and the
    settings file, else the user state directory and the default retention. A
    postgresql:// URL gives a PgTarget (a str that answers exists()/expanduser() like a Path)."""
    from enamel_hipaa.core.settings import load_settings

    conf = load_settings(settings_file).get("history", {})
    path = path or os.environ.get("ENAMEL_HISTORY") or conf.get("path")
    days = retention_days or conf.get("retention_days") or DEFAULT_RETENTION_DAYS
    if days < 1:
        raise InputError("command line", "--history-retention-days must be at least 1")
    if is_url(str(path or "")):
        return PgTarget(str(path)), days
    return (Path(path).expanduser() if path else default_path()), days


# --- opening and migrating ----------------------------------------------------------------


def connect(target: str | Path) -> Store:
    """Open (creating and migrating) the history: a SQLite file, or a postgresql:// URL."""
    if is_url(str(target)) and not isinstance(target, Path):
        return historydb.open_postgresql(str(target), MIGRATIONS)
    return historydb.open_sqlite(target, MIGRATIONS)


def migrate(conn: Store) -> int:
    """The schema version of an open history (connect() has migrated it)."""
    return historydb.schema_version(conn)


# --- writing ------------------------------------------------------------------------------


def resource_key(ref: dict) -> str:
    """Identity of a resource across scans: type, account, region and id; planned (desired)
    resources are kept apart from observed ones of the same id."""
    side = "desired" if ref.get("source") in DESIRED_SOURCES else "observed"
    return "|".join(str(ref.get(k) or "") for k in ("type", "account", "region", "id")) + "|" + side


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _pause_for_test() -> None:
    marker = os.environ.get(PAUSE_ENV)
    if marker and next(_WRITES) >= int(os.environ.get(PAUSE_AFTER_ENV) or 0):
        Path(marker).write_text(str(os.getpid()))
        time.sleep(60)  # bounded: the test kills us long before


def run_id_default() -> str | None:
    return os.environ.get(RUN_ID_ENV) or None


def record(
    conn: Store,
    report: dict,
    resources,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    now: datetime | None = None,
    run_id: str | None = None,
) -> str:
    """Write one scan (report + resources) in one transaction and prune old scans. With a
    run id (default env ENAMEL_RUN_ID) a tenant's scan is recorded once per run: a retry's
    write is a no-op and the first scan's id is returned. Returns the recorded scan id."""
    now = now or datetime.now(timezone.utc)
    run_id = run_id if run_id is not None else run_id_default()
    rows = _rows(report, resources, now, run_id)
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with conn.transaction():
                scan_id = _write(conn, rows, report["scan"], run_id)
                if conn.dialect == SQLITE:
                    prune(conn, retention_days, now, keep=scan_id)
            break
        except Exception as exc:
            if conn.dialect != POSTGRESQL or not historydb.retryable(exc) or attempt == WRITE_ATTEMPTS:
                raise
            time.sleep(0.05 * attempt)
    if conn.dialect == POSTGRESQL:
        prune_shared(conn, retention_days, now, keep=scan_id)
    return scan_id


def _rows(report: dict, resources, now: datetime, run_id: str | None) -> dict:
    """Every row of one scan, computed before the transaction opens (keeps it short)."""
    scan = report["scan"]
    res, snaps = {}, {}
    for r in resources:
        ref = r.ref()
        text = _canonical(r.properties)
        digest = hashlib.sha256(text.encode()).hexdigest()
        snaps[digest] = text
        res[resource_key(ref)] = (
            scan["id"],
            resource_key(ref),
            r.type,
            r.id,
            r.name,
            r.source,
            r.account,
            r.region,
            r.error,
            digest,
        )
    return {
        "scan": (
            scan["id"],
            scan["tenant"],
            scan["started_at"],
            scan["finished_at"],
            iso(now),
            int(bool(scan.get("complete", True))),
            scan["rules_digest"],
            json.dumps(scan["sources"]),
            json.dumps(report["summary"]),
            zlib.compress(_canonical(report).encode()),
            run_id,
        ),
        "findings": [
            (
                scan["id"],
                f["rule_id"],
                resource_key(f["resource"]),
                _canonical(f["resource"]),
                f["status"],
                f["severity"],
                f["title"],
                json.dumps(f["hipaa"]),
                f["message"],
                (f.get("waiver") or {}).get("expires"),
            )
            for f in report["findings"]
        ],
        "snapshots": sorted(snaps.items()),  # one order for every writer: no lock-order deadlocks
        "resources": list(res.values()),
        "waivers": [
            (scan["id"], w["rule"], w["resource"], w["reason"], w["owner"], w["expires"], int(w["expired"]))
            for w in report.get("waivers", [])
        ],
    }


_SCAN_COLUMNS = (
    "id, tenant, started_at, finished_at, recorded_at, complete, rules_digest, sources, summary, report, run_id"
)


def _write(conn: Store, rows: dict, scan: dict, run_id: str | None) -> str:
    inserted = conn.execute(
        f"INSERT INTO scans ({_SCAN_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING", rows["scan"]
    ).rowcount
    if inserted != 1:  # this run already recorded this tenant, or this very scan: keep the first
        hit = conn.execute(
            "SELECT id FROM scans WHERE id = ? OR (run_id = ? AND COALESCE(tenant, '') = ?)",
            (scan["id"], run_id, scan["tenant"] or ""),
        ).fetchone()
        if hit is None:
            raise InputError("history", f"scan {scan['id']!r} could not be recorded")
        return hit[0]
    conn.executemany(
        "INSERT INTO findings (scan_id, rule_id, resource_key, resource, status, severity, title, "
        "hipaa, message, waiver_expires) VALUES (?,?,?,?,?,?,?,?,?,?)",
        rows["findings"],
    )
    _pause_for_test()
    conn.executemany("INSERT INTO snapshots (hash, properties) VALUES (?,?) ON CONFLICT DO NOTHING", rows["snapshots"])
    conn.executemany(
        "INSERT INTO scan_resources (scan_id, resource_key, type, id, name, source, account, region, "
        "error, snapshot) VALUES (?,?,?,?,?,?,?,?,?,?)",
        rows["resources"],
    )
    conn.executemany(
        "INSERT INTO waivers (scan_id, rule, resource, reason, owner, expires, expired) VALUES (?,?,?,?,?,?,?)",
        rows["waivers"],
    )
    return scan["id"]


def prune(conn: Store, retention_days: int, now: datetime, keep: str | None = None) -> int:
    """Delete scans started before now - retention_days and the snapshots no scan uses
    (call inside a transaction)."""
    cutoff = iso(now - timedelta(days=retention_days))
    gone = conn.execute("DELETE FROM scans WHERE started_at < ? AND id IS DISTINCT FROM ?", (cutoff, keep)).rowcount
    if gone:
        conn.execute(
            "DELETE FROM snapshots WHERE NOT EXISTS (SELECT 1 FROM scan_resources r WHERE r.snapshot = snapshots.hash)"
        )
    return gone


def prune_shared(conn: Store, retention_days: int, now: datetime | None = None, keep: str | None = None) -> int:
    """Retention on a shared PostgreSQL history without blocking writers: one pruner at a
    time (a try-lock: a writer finding it taken skips pruning), a short lock timeout (a
    pruner never waits long on anything), and orphaned snapshots deleted only when no
    writer holds them (SKIP LOCKED; a writer that loses a race retries its transaction)."""
    psycopg = historydb.psycopg_module()
    now = now or datetime.now(timezone.utc)
    cutoff = iso(now - timedelta(days=retention_days))
    if conn.execute("SELECT 1 FROM scans WHERE started_at < ? LIMIT 1", (cutoff,)).fetchone() is None:
        return 0
    try:
        with conn.transaction():
            if not conn.execute("SELECT pg_try_advisory_xact_lock(?)", (historydb.PRUNE_LOCK,)).fetchone()[0]:
                return 0
            conn.execute("SET LOCAL lock_timeout = '2s'")
            gone = conn.execute(
                "DELETE FROM scans WHERE started_at < ? AND id IS DISTINCT FROM ?", (cutoff, keep)
            ).rowcount
            if gone:
                conn.execute(
                    "DELETE FROM snapshots WHERE hash IN (SELECT hash FROM snapshots s WHERE NOT EXISTS "
                    "(SELECT 1 FROM scan_resources r WHERE r.snapshot = s.hash) FOR UPDATE SKIP LOCKED)"
                )
    except psycopg.errors.LockNotAvailable:
        return 0  # busy: the next scan prunes
    return gone


# --- reading ------------------------------------------------------------------------------


def scans(conn: Store, tenant: str | None = None, any_tenant: bool = False) -> list[dict]:
    sql = "SELECT id, tenant, started_at, finished_at, complete, summary FROM scans"
    order = f" ORDER BY started_at, recorded_at, {conn.order_tail}"
    rows = conn.execute(
        sql + ("" if any_tenant else " WHERE tenant IS NOT DISTINCT FROM ?") + order, () if any_tenant else (tenant,)
    ).fetchall()
    return [dict(r, summary=json.loads(r["summary"])) for r in rows]


def up_to(ordered: list[dict], scan_id: str, inclusive: bool = False) -> list[dict]:
    """The scans of `ordered` (as `scans` returns them) before the given one (and it)."""
    i = [s["id"] for s in ordered].index(scan_id)
    return ordered[: i + 1 if inclusive else i]


def tenant_of(conn: Store, tenant: str | None) -> str | None:
    """The tenant to read: the one given, else the only one recorded."""
    if tenant is not None:
        return tenant
    found = [r[0] for r in conn.execute("SELECT DISTINCT tenant FROM scans")]
    if len(found) > 1:
        names = ", ".join(sorted(repr(t) for t in found))
        raise InputError("command line", f"the history holds several tenants ({names}): pass --tenant")
    return found[0] if found else None


def find_scan(conn: Store, ref: str, tenant: str | None) -> dict:
    """A scan by id or unique id prefix, within the tenant."""
    hits = [s for s in scans(conn, tenant) if s["id"].startswith(ref)]
    if len(hits) != 1:
        what = "no scan" if not hits else f"{len(hits)} scans"
        raise InputError("command line", f"{what} with id {ref!r} for tenant {tenant!r} (see enamel history list)")
    return hits[0]


def load_report(conn: Store, scan_id: str) -> dict:
    row = conn.execute("SELECT report FROM scans WHERE id = ?", (scan_id,)).fetchone()
    if row is None:
        raise InputError("history", f"no scan {scan_id!r}")
    return json.loads(zlib.decompress(row[0]))


def load_findings(conn: Store, scan_id: str) -> dict[tuple[str, str], dict]:
    out = {}
    for r in conn.execute("SELECT * FROM findings WHERE scan_id = ?", (scan_id,)):
        out[(r["rule_id"], r["resource_key"])] = {
            "rule_id": r["rule_id"],
            "title": r["title"],
            "severity": r["severity"],
            "status": r["status"],
            "resource": json.loads(r["resource"]),
            "hipaa": json.loads(r["hipaa"]),
            "message": r["message"],
        }
    return out


def load_resources(conn: Store, scan_id: str) -> dict[str, dict]:
    out = {}
    for r in conn.execute(
        "SELECT sr.*, s.properties FROM scan_resources sr JOIN snapshots s ON s.hash = sr.snapshot "
        "WHERE sr.scan_id = ?",
        (scan_id,),
    ):
        out[r["resource_key"]] = {
            "ref": {k: r[k] for k in ("type", "id", "name", "source", "account", "region")},
            "properties": json.loads(r["properties"]),
        }
    return out


def load_waivers(conn: Store, scan_id: str) -> list[dict]:
    return [
        dict(r, expired=bool(r["expired"]))
        for r in conn.execute(
            "SELECT rule, resource, reason, owner, expires, expired FROM waivers WHERE scan_id = ?", (scan_id,)
        )
    ]


def problem_keys(conn: Store, scan_ids: list[str], statuses) -> dict[str, set]:
    """scan id -> {(rule_id, resource_key)} of findings with one of `statuses`."""
    out: dict[str, set] = {s: set() for s in scan_ids}
    marks = ",".join("?" * len(statuses))
    for sid in scan_ids:
        for r in conn.execute(
            f"SELECT rule_id, resource_key FROM findings WHERE scan_id = ? AND status IN ({marks})", (sid, *statuses)
        ):
            out[sid].add((r[0], r[1]))
    return out
