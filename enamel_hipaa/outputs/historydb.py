"""The two history back ends behind one small connection type: SQLite (the embedded default)
and PostgreSQL (a shared database for sharded runs, via psycopg 3).

Both run the SAME migration list (enamel_hipaa/outputs/history.py MIGRATIONS): a statement is
portable SQL, `{blob}` stands for the binary type (BLOB / BYTEA), and a statement that only
one dialect needs is a (dialect, sql) pair. SQLite tracks the version in PRAGMA user_version,
PostgreSQL in the table enamel_schema, migrated under an advisory lock so that many shards
opening the database at once migrate it exactly once.

Credentials: a postgresql:// URL (or `postgresql:///db?service=NAME`) is handed to libpq,
which reads PGHOST/PGUSER/PGPASSWORD/PGSERVICE, ~/.pgpass and the service file. A password
written into the URL is accepted but never printed: every message shows `redact(url)`.
"""

from __future__ import annotations

import os
import re
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from enamel_hipaa.core.errors import InputError

SQLITE, POSTGRESQL = "sqlite", "postgresql"
URL_SCHEMES = ("postgresql://", "postgres://")
_BLOB = {SQLITE: "BLOB", POSTGRESQL: "BYTEA"}
# advisory lock keys (any constant 64-bit ints, fixed forever)
MIGRATE_LOCK = 0x656E616D656C01
PRUNE_LOCK = 0x656E616D656C02
# PostgreSQL errors after which a scan's transaction is simply run again (bounded)
RETRYABLE = ("40001", "40P01", "23503")  # serialization failure, deadlock, FK (a pruned snapshot)


def is_url(target) -> bool:
    return isinstance(target, str) and target.lower().startswith(URL_SCHEMES)


_URL_PASSWORD = re.compile(r"(?i)\b(postgres(?:ql)?://[^:/@?#\s\"']*):[^@/?#\s\"']*@")
_KV_PASSWORD = re.compile(r"(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s]*)")


def _passwords(url: str) -> list[str]:
    """The password(s) a DSN carries, as written and percent-decoded (empty: none)."""
    from urllib.parse import unquote

    found = [m.group(1) for m in re.finditer(r"(?i)postgres(?:ql)?://[^:/@?#]*:([^@]*)@", url)]
    found += [m.group(2).strip("'") for m in _KV_PASSWORD.finditer(url)]
    return sorted({v for p in found if p for v in (p, unquote(p)) if len(v) >= 3}, key=len, reverse=True)


def redact(text: str, url: str | None = None) -> str:
    """A DSN (or any message quoting one, anywhere in it) with its password replaced by ***;
    with `url`, that DSN's password is also removed wherever the message repeats it."""
    text = _URL_PASSWORD.sub(r"\1:***@", str(text))
    text = _KV_PASSWORD.sub(r"\1***", text)
    for secret in _passwords(url) if url else ():
        text = text.replace(secret, "***")
    return text


class PgTarget(str):
    """A postgresql:// history location where callers expect a Path (exists, expanduser)."""

    def exists(self) -> bool:
        return True  # whether it is reachable is for connect() to say, with a clear error

    def expanduser(self) -> "PgTarget":
        return self

    def __repr__(self) -> str:
        return f"PgTarget({redact(self)!r})"


class Row(dict):
    """A result row readable by column name and by position, like sqlite3.Row."""

    __slots__ = ("_values",)

    def __init__(self, names, values):
        super().__init__(zip(names, values))
        self._values = tuple(values)

    def __getitem__(self, key):
        return self._values[key] if isinstance(key, int) else super().__getitem__(key)


def _row_factory(cursor):
    names = [c.name for c in cursor.description or ()]
    return lambda values: Row(names, values)


class Store:
    """One open history database. `execute`/`executemany` take SQLite-style `?` parameters
    on both dialects; `transaction()` is one write transaction (SQLite: BEGIN IMMEDIATE)."""

    def __init__(self, raw, dialect: str, where: str):
        self.raw, self.dialect, self.where = raw, dialect, where
        self.order_tail = "rowid" if dialect == SQLITE else "seq"  # insertion order of scans

    def _sql(self, sql: str) -> str:
        return sql if self.dialect == SQLITE else sql.replace("?", "%s")

    def execute(self, sql: str, params=()):
        return self.raw.execute(self._sql(sql), params)

    def executemany(self, sql: str, rows) -> None:
        rows = list(rows)
        if not rows:
            return
        if self.dialect == SQLITE:
            self.raw.executemany(sql, rows)
        else:
            with self.raw.cursor() as cur:
                cur.executemany(self._sql(sql), rows)

    @contextmanager
    def transaction(self):
        if self.dialect == POSTGRESQL:
            with self.raw.transaction():
                yield self
            return
        self.raw.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        self.raw.execute("COMMIT")

    def close(self) -> None:
        self.raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def render(stmt, dialect: str) -> str | None:
    """A migration statement for this dialect (None: not for this dialect)."""
    if isinstance(stmt, tuple):
        only, stmt = stmt
        if only != dialect:
            return None
    return stmt.replace("{blob}", _BLOB[dialect])


# --- SQLite ---------------------------------------------------------------------------------


def open_sqlite(path: str | Path, migrations) -> Store:
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():  # findings name resources: keep the file private
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    try:
        raw = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        raw.row_factory = sqlite3.Row
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA foreign_keys=ON")
        store = Store(raw, SQLITE, str(path))
        _migrate_sqlite(store, migrations)
    except sqlite3.DatabaseError as exc:
        raise InputError(str(path), f"not a usable history database: {exc}") from None
    return store


def _migrate_sqlite(store: Store, migrations) -> None:
    version = store.execute("PRAGMA user_version").fetchone()[0]
    _refuse_newer(version, len(migrations))
    for number in range(version, len(migrations)):
        with store.transaction():
            for stmt in filter(None, (render(s, SQLITE) for s in migrations[number])):
                store.execute(stmt)
            store.execute(f"PRAGMA user_version = {number + 1}")


def _refuse_newer(version: int, current: int) -> None:
    if version > current:
        raise InputError("history", f"database schema v{version} is newer than this enamel (v{current})")


# --- PostgreSQL -----------------------------------------------------------------------------


def psycopg_module():
    try:
        import psycopg
    except ImportError:
        raise InputError(
            "history", "a postgresql:// history needs the PostgreSQL driver: pip install 'enamel-hipaa[postgresql]'"
        ) from None
    return psycopg


def open_postgresql(url: str, migrations) -> Store:
    psycopg = psycopg_module()
    where = redact(url, url)
    try:
        raw = psycopg.connect(
            str(url), autocommit=True, row_factory=_row_factory, connect_timeout=15, application_name="enamel"
        )
    except psycopg.Error as exc:
        msg = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, url)
        raise InputError(where, f"cannot open the PostgreSQL history: {msg}") from None
    store = Store(raw, POSTGRESQL, where)
    try:
        _migrate_postgresql(store, migrations)
    except psycopg.Error as exc:
        raw.close()
        raise InputError(where, f"not a usable history database: {redact(str(exc).strip(), url)}") from None
    return store


def _pg_version(store: Store) -> int:
    if store.execute("SELECT to_regclass('enamel_schema') IS NOT NULL").fetchone()[0]:
        return store.execute("SELECT COALESCE(MAX(version), 0) FROM enamel_schema").fetchone()[0]
    return 0


def _migrate_postgresql(store: Store, migrations) -> None:
    version = _pg_version(store)
    _refuse_newer(version, len(migrations))
    if version == len(migrations):
        return
    with store.transaction():  # DDL is transactional here: all pending migrations or none
        store.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATE_LOCK,))
        store.execute(
            "CREATE TABLE IF NOT EXISTS enamel_schema (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        version = _pg_version(store)  # another shard may have migrated while we waited
        _refuse_newer(version, len(migrations))
        for number in range(version, len(migrations)):
            for stmt in filter(None, (render(s, POSTGRESQL) for s in migrations[number])):
                store.execute(stmt)
            store.execute(
                "INSERT INTO enamel_schema VALUES (?, to_char(now() AT TIME ZONE 'UTC', "
                '\'YYYY-MM-DD"T"HH24:MI:SS"Z"\'))',
                (number + 1,),
            )


def schema_version(store: Store) -> int:
    if store.dialect == SQLITE:
        return store.execute("PRAGMA user_version").fetchone()[0]
    return _pg_version(store)


def retryable(exc: BaseException) -> bool:
    return getattr(exc, "sqlstate", None) in RETRYABLE
