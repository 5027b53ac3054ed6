"""The shared history: one migration source on both back ends, run ids that make a retried
shard's writes no-ops, pruning that never waits on a writer, credentials never printed."""

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from conftest import run_enamel
from drift_scenario import TENANT
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.outputs import history, historydb
from test_history import counts, scan_report

pytestmark = pytest.mark.usefixtures("moto_account")  # scan_report reads the drift scenario's account


def test_pass_both_back_ends_get_the_same_tables_and_columns_from_one_migration_list(pg_server, tmp_path):
    lite = history.connect(tmp_path / "h.sqlite3")
    pg = history.connect(pg_server.create_db("schema_same"))
    assert history.migrate(lite) == history.migrate(pg) == history.SCHEMA_VERSION == len(history.MIGRATIONS)

    def columns(conn, table):
        return [r[0] for r in conn.execute(f"SELECT * FROM {table} LIMIT 0").description]

    for table in ("scans", "findings", "snapshots", "scan_resources", "waivers"):
        extra = {"seq"} if table == "scans" else set()  # PostgreSQL's insertion order (SQLite: rowid)
        assert [c for c in columns(pg, table) if c not in extra] == columns(lite, table), table


def test_pass_shards_opening_a_new_database_at_once_migrate_it_exactly_once(pg_server):
    url = pg_server.create_db("migrate_race")
    errors = []

    def open_it():
        try:
            history.connect(url).close()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    conn = history.connect(url)
    assert [r[0] for r in conn.execute("SELECT version FROM enamel_schema ORDER BY version")] == list(
        range(1, history.SCHEMA_VERSION + 1)
    )


def test_fail_postgresql_database_from_a_newer_enamel_is_refused(pg_server):
    url = pg_server.create_db("newer")
    history.connect(url).execute("INSERT INTO enamel_schema VALUES (99, 'later')")
    with pytest.raises(InputError, match="newer than this enamel"):
        history.connect(url)


def test_pass_a_retried_run_records_each_tenant_once(new_history, ruleset):
    conn = history.connect(new_history())
    now = datetime.now(timezone.utc)
    first, res = scan_report(ruleset, 2, now - timedelta(minutes=5))
    retry, _ = scan_report(ruleset, 2, now)
    assert history.record(conn, first, res, run_id="run-7") == first["scan"]["id"]
    assert history.record(conn, retry, res, run_id="run-7") == first["scan"]["id"]  # the retry is a no-op
    assert [s["id"] for s in history.scans(conn, TENANT)] == [first["scan"]["id"]]
    assert counts(conn)["findings"] == len(first["findings"])
    later, _ = scan_report(ruleset, 2, now + timedelta(days=7))
    assert history.record(conn, later, res, run_id="run-8") == later["scan"]["id"]  # next run: a new scan
    assert len(history.scans(conn, TENANT)) == 2


def test_pass_run_id_comes_from_the_environment(new_history, ruleset, monkeypatch):
    conn = history.connect(new_history())
    monkeypatch.setenv(history.RUN_ID_ENV, "cron-29000000")
    a, res = scan_report(ruleset, 1, datetime.now(timezone.utc))
    b, _ = scan_report(ruleset, 1, datetime.now(timezone.utc))
    history.record(conn, a, res)
    history.record(conn, b, res)
    assert [r[0] for r in conn.execute("SELECT run_id FROM scans")] == ["cron-29000000"]


def test_pass_pruning_skips_a_snapshot_a_writer_holds_instead_of_waiting(pg_server, ruleset):
    url = pg_server.create_db("prune_nowait")
    now = datetime.now(timezone.utc)
    setup = history.connect(url)
    old, res = scan_report(ruleset, 2, now - timedelta(days=500))
    history.record(setup, old, res, retention_days=1000, now=now - timedelta(days=500))
    new, _ = scan_report(ruleset, 2, now)  # the same properties: its snapshots are the old scan's
    writer, pruner = history.connect(url), history.connect(url)
    rows = history._rows(new, res, now, None)
    with writer.transaction():  # a shard mid-write, holding the snapshots it references
        history._write(writer, rows, new["scan"], None)
        t0 = time.monotonic()
        assert history.prune_shared(pruner, 400, now) == 1  # the old scan goes ...
        assert time.monotonic() - t0 < 1.5  # ... without waiting for the writer
    assert [s["id"] for s in history.scans(setup, TENANT)] == [new["scan"]["id"]]
    live = {r[0] for r in setup.execute("SELECT snapshot FROM scan_resources")}
    assert live and live <= {r[0] for r in setup.execute("SELECT hash FROM snapshots")}  # none lost


def test_pass_only_one_pruner_at_a_time_the_others_skip(pg_server, ruleset):
    url = pg_server.create_db("prune_one")
    now = datetime.now(timezone.utc)
    conn, other = history.connect(url), history.connect(url)
    old, res = scan_report(ruleset, 1, now - timedelta(days=500))
    history.record(conn, old, res, retention_days=1000, now=now - timedelta(days=500))
    with other.transaction():
        other.execute("SELECT pg_advisory_xact_lock(?)", (historydb.PRUNE_LOCK,))
        t0 = time.monotonic()
        assert history.prune_shared(conn, 400, now) == 0
        assert time.monotonic() - t0 < 1.0
    assert history.prune_shared(conn, 400, now) == 1


@pytest.mark.parametrize(
    "dsn",
    ["postgresql://enamel:{pw}@127.0.0.1:{port}/nodb", "postgresql://127.0.0.1:{port}/nodb?user=enamel&password={pw}"],
)
def test_fail_password_in_a_url_is_never_printed(pg_server, dsn, monkeypatch):
    secret = "Sup3r-Secret-Value"
    url = dsn.format(pw=secret, port=pg_server.port)
    monkeypatch.setenv("PGPASSWORD", "wrong-too")
    with pytest.raises(InputError) as err:
        history.connect(url)
    assert secret not in str(err.value) and "***" in str(err.value)
    r = run_enamel("history", "list", "--history", url)
    assert r.returncode == 2 and secret not in r.stderr + r.stdout and "Traceback" not in r.stderr
    assert "cannot open the PostgreSQL history" in r.stderr


def test_pass_credentials_come_from_a_libpq_service_file(pg_server, tmp_path, monkeypatch, ruleset):
    url = pg_server.create_db("service_file")
    db = url.rsplit("/", 1)[1]
    (tmp_path / "pg_service.conf").write_text(
        f"[enamel-history]\nhost=127.0.0.1\nport={pg_server.port}\nuser=enamel\ndbname={db}\n"
    )
    (tmp_path / "pgpass").write_text(f"127.0.0.1:{pg_server.port}:{db}:enamel:{pg_server.password}\n")
    (tmp_path / "pgpass").chmod(0o600)
    monkeypatch.delenv("PGPASSWORD")
    monkeypatch.setenv("PGSERVICEFILE", str(tmp_path / "pg_service.conf"))
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "pgpass"))
    conn = history.connect("postgresql:///?service=enamel-history")
    report, res = scan_report(ruleset, 1, datetime.now(timezone.utc))
    history.record(conn, report, res)
    assert [s["id"] for s in history.scans(conn, TENANT)] == [report["scan"]["id"]]


def test_pass_redact_hides_url_and_keyword_passwords():
    assert historydb.redact("postgresql://u:p%40ss@h:5/d") == "postgresql://u:***@h:5/d"
    assert historydb.redact("host=h password='a b' user=u") == "host=h password=*** user=u"
    assert historydb.redact("postgresql://h/d?password=x&user=u") == "postgresql://h/d?password=***&user=u"
    assert historydb.redact("postgresql://u@h/d") == "postgresql://u@h/d"
