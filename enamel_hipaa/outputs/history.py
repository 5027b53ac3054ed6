"""Scan history: an embedded SQLite database of scans, their findings, waivers and one
snapshot of every resource's properties (deduplicated by content hash).

- Path: `--history PATH`, else env ENAMEL_HISTORY, else `history.path` in the settings
  file, else <user state dir>/enamel/history.sqlite3.
- Schema versioned with PRAGMA user_version and the ordered MIGRATIONS list below (append a
  list of statements to migrate; never edit a shipped one).
- WAL mode; every scan is written in ONE transaction with its pruning (a scan killed
  mid-write leaves the previous scans untouched and no trace of itself).
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

from enamel_hipaa.core.errors import InputError

DEFAULT_RETENTION_DAYS = 400
DESIRED_SOURCES = ("plan", "state")
# test hook: when set, the writer creates this file inside the open transaction and pauses
PAUSE_ENV = "ENAMEL_HISTORY_TEST_PAUSE"

MIGRATIONS: list[list[str]] = [
    [  # 1: scans, findings, waivers, resources with deduplicated property snapshots
        """CREATE TABLE scans (
            id TEXT PRIMARY KEY, tenant TEXT, started_at TEXT NOT NULL, finished_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL, complete INTEGER NOT NULL, rules_digest TEXT NOT NULL,
            sources TEXT NOT NULL, summary TEXT NOT NULL, report BLOB NOT NULL)""",
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
]
SCHEMA_VERSION = len(MIGRATIONS)


# --- where the database lives -------------------------------------------------------------

def default_path() -> Path:
    import platformdirs
    return Path(platformdirs.user_state_dir("enamel")) / "history.sqlite3"


def resolve(path: str | None = None, retention_days: int | None = None,
            settings_file: str | None = None) -> tuple[Path, int]:
    """(database path, retention days): the arguments, else env ENAMEL_HISTORY and the
    settings file, else the user state directory and the default retention."""
    from enamel_hipaa.core.settings import load_settings
    conf = load_settings(settings_file).get("history", {})
    path = path or os.environ.get("ENAMEL_HISTORY") or conf.get("path")
    days = retention_days or conf.get("retention_days") or DEFAULT_RETENTION_DAYS
    if days < 1:
        raise InputError("command line", "--history-retention-days must be at least 1")
    return (Path(path).expanduser() if path else default_path()), days


# --- opening and migrating ----------------------------------------------------------------

def connect(path: str | Path) -> sqlite3.Connection:
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():  # findings name resources: keep the file private
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    try:
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise InputError(str(path), f"not a usable history database: {exc}") from None
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise InputError("history", f"database schema v{version} is newer than this enamel (v{SCHEMA_VERSION})")
    for number in range(version, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for stmt in MIGRATIONS[number]:
                conn.execute(stmt)
            conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION


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
    if marker:
        Path(marker).write_text(str(os.getpid()))
        time.sleep(60)  # bounded: the test kills us long before


def record(conn: sqlite3.Connection, report: dict, resources, retention_days: int = DEFAULT_RETENTION_DAYS,
           now: datetime | None = None) -> str:
    """Write one scan (report + resources) and prune old scans, in one transaction."""
    now = now or datetime.now(timezone.utc)
    scan = report["scan"]
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("INSERT INTO scans VALUES (?,?,?,?,?,?,?,?,?,?)", (
            scan["id"], scan["tenant"], scan["started_at"], scan["finished_at"], iso(now),
            int(bool(scan.get("complete", True))), scan["rules_digest"], json.dumps(scan["sources"]),
            json.dumps(report["summary"]), zlib.compress(_canonical(report).encode())))
        conn.executemany("INSERT INTO findings VALUES (?,?,?,?,?,?,?,?,?,?)", [
            (scan["id"], f["rule_id"], resource_key(f["resource"]), _canonical(f["resource"]), f["status"],
             f["severity"], f["title"], json.dumps(f["hipaa"]), f["message"],
             (f.get("waiver") or {}).get("expires")) for f in report["findings"]])
        _pause_for_test()
        rows, snaps = {}, {}
        for r in resources:
            ref = r.ref()
            text = _canonical(r.properties)
            digest = hashlib.sha256(text.encode()).hexdigest()
            snaps[digest] = text
            rows[resource_key(ref)] = (scan["id"], resource_key(ref), r.type, r.id, r.name, r.source,
                                       r.account, r.region, r.error, digest)
        conn.executemany("INSERT OR IGNORE INTO snapshots VALUES (?,?)", snaps.items())
        conn.executemany("INSERT INTO scan_resources VALUES (?,?,?,?,?,?,?,?,?,?)", rows.values())
        conn.executemany("INSERT INTO waivers VALUES (?,?,?,?,?,?,?)", [
            (scan["id"], w["rule"], w["resource"], w["reason"], w["owner"], w["expires"], int(w["expired"]))
            for w in report.get("waivers", [])])
        prune(conn, retention_days, now, keep=scan["id"])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return scan["id"]


def prune(conn: sqlite3.Connection, retention_days: int, now: datetime, keep: str | None = None) -> int:
    """Delete scans started before now - retention_days (call inside a transaction)."""
    cutoff = iso(now - timedelta(days=retention_days))
    gone = conn.execute("DELETE FROM scans WHERE started_at < ? AND id IS NOT ?", (cutoff, keep)).rowcount
    if gone:
        conn.execute("DELETE FROM snapshots WHERE hash NOT IN (SELECT snapshot FROM scan_resources)")
    return gone


def scans(conn: sqlite3.Connection, tenant: str | None = None, any_tenant: bool = False) -> list[dict]:
    sql = "SELECT id, tenant, started_at, finished_at, complete, summary FROM scans"
    rows = conn.execute(sql + ("" if any_tenant else " WHERE tenant IS ?") + " ORDER BY started_at, recorded_at, rowid",
                        () if any_tenant else (tenant,)).fetchall()
    return [dict(r, summary=json.loads(r["summary"])) for r in rows]


def up_to(ordered: list[dict], scan_id: str, inclusive: bool = False) -> list[dict]:
    """The scans of `ordered` (as `scans` returns them) before the given one (and it)."""
    i = [s["id"] for s in ordered].index(scan_id)
    return ordered[:i + 1 if inclusive else i]


def tenant_of(conn: sqlite3.Connection, tenant: str | None) -> str | None:
    """The tenant to read: the one given, else the only one recorded."""
    if tenant is not None:
        return tenant
    found = [r[0] for r in conn.execute("SELECT DISTINCT tenant FROM scans")]
    if len(found) > 1:
        names = ", ".join(sorted(repr(t) for t in found))
        raise InputError("command line", f"the history holds several tenants ({names}): pass --tenant")
    return found[0] if found else None


def find_scan(conn: sqlite3.Connection, ref: str, tenant: str | None) -> dict:
    """A scan by id or unique id prefix, within the tenant."""
    hits = [s for s in scans(conn, tenant) if s["id"].startswith(ref)]
    if len(hits) != 1:
        what = "no scan" if not hits else f"{len(hits)} scans"
        raise InputError("command line", f"{what} with id {ref!r} for tenant {tenant!r} (see enamel history list)")
    return hits[0]


def load_report(conn: sqlite3.Connection, scan_id: str) -> dict:
    row = conn.execute("SELECT report FROM scans WHERE id = ?", (scan_id,)).fetchone()
    if row is None:
        raise InputError("history", f"no scan {scan_id!r}")
    return json.loads(zlib.decompress(row[0]))


def load_findings(conn: sqlite3.Connection, scan_id: str) -> dict[tuple[str, str], dict]:
    out = {}
    for r in conn.execute("SELECT * FROM findings WHERE scan_id = ?", (scan_id,)):
        out[(r["rule_id"], r["resource_key"])] = {
            "rule_id": r["rule_id"], "title": r["title"], "severity": r["severity"], "status": r["status"],
            "resource": json.loads(r["resource"]), "hipaa": json.loads(r["hipaa"]), "message": r["message"]}
    return out


def load_resources(conn: sqlite3.Connection, scan_id: str) -> dict[str, dict]:
    out = {}
    for r in conn.execute("SELECT sr.*, s.properties FROM scan_resources sr JOIN snapshots s ON s.hash = sr.snapshot "
                          "WHERE sr.scan_id = ?", (scan_id,)):
        out[r["resource_key"]] = {"ref": {k: r[k] for k in ("type", "id", "name", "source", "account", "region")},
                                  "properties": json.loads(r["properties"])}
    return out


def load_waivers(conn: sqlite3.Connection, scan_id: str) -> list[dict]:
    return [dict(r, expired=bool(r["expired"])) for r in conn.execute(
        "SELECT rule, resource, reason, owner, expires, expired FROM waivers WHERE scan_id = ?", (scan_id,))]


def problem_keys(conn: sqlite3.Connection, scan_ids: list[str], statuses) -> dict[str, set]:
    """scan id -> {(rule_id, resource_key)} of findings with one of `statuses`."""
    out: dict[str, set] = {s: set() for s in scan_ids}
    marks = ",".join("?" * len(statuses))
    for sid in scan_ids:
        for r in conn.execute(f"SELECT rule_id, resource_key FROM findings WHERE scan_id = ? AND status IN ({marks})",
                              (sid, *statuses)):
            out[sid].add((r[0], r[1]))
    return out
