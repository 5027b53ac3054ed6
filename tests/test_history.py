"""Scan history: versioned schema, WAL, one transaction per scan, dedup, retention, paths."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from conftest import ROOT, run_enamel
from drift_scenario import TENANT, record_scan, scan_ids, scenario_collection, scenario_source
from enamel_hipaa.outputs import history
from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.report import build


# the drift scenario lives in the shared moto server (conftest); other tests here ignore it
pytestmark = pytest.mark.usefixtures("moto_account")


def scan_report(ruleset, step, started: datetime, tenant=TENANT):
    """Evaluate scenario scan `step` in-process with a chosen start time: (report, resources)."""
    coll = scenario_collection(step)
    findings = evaluate(ruleset.rules, coll.resources, None, coll.errors)
    stamp = started.isoformat(timespec="seconds").replace("+00:00", "Z")
    report = build(
        findings,
        coll.errors,
        started_at=stamp,
        tenant=tenant,
        sources=coll.sources,
        rules_digest=ruleset.digest,
        fail_on="high",
    )
    return report, coll.resources


def counts(conn):
    return {
        t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in ("scans", "findings", "scan_resources", "snapshots", "waivers")
    }


def test_pass_new_database_is_migrated_to_current_version_in_wal_mode(tmp_path):
    conn = history.connect(tmp_path / "h.sqlite3")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION == len(history.MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    assert oct((tmp_path / "h.sqlite3").stat().st_mode & 0o777) == "0o600"
    again = history.connect(tmp_path / "h.sqlite3")  # reopening migrates nothing twice
    assert again.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION


def test_fail_database_from_a_newer_enamel_is_refused(tmp_path):
    path = tmp_path / "h.sqlite3"
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    with pytest.raises(InputError, match="newer than this enamel"):
        history.connect(path)


def test_fail_not_a_database_is_bad_input(tmp_path, enamel):
    path = tmp_path / "h.sqlite3"
    path.write_text("this is not sqlite " * 100)
    r = enamel("drift", "--history", path)
    assert r.returncode == 2 and "not a usable history database" in r.stderr and "Traceback" not in r.stderr


def test_pass_identical_snapshots_are_stored_once(new_history, ruleset):
    conn = history.connect(new_history())
    now = datetime.now(timezone.utc)
    for days in (2, 1):
        report, resources = scan_report(ruleset, 2, now - timedelta(days=days))
        history.record(conn, report, resources)
    c = counts(conn)
    assert c["scans"] == 2 and c["scan_resources"] == 2 * len(resources)
    assert c["snapshots"] == len(resources)  # the second scan saw the same properties


def test_pass_retention_prunes_old_scans_and_their_snapshots(new_history, ruleset):
    conn = history.connect(new_history())
    now = datetime.now(timezone.utc)
    old, old_res = scan_report(ruleset, 1, now - timedelta(days=500))
    history.record(conn, old, old_res, retention_days=400, now=now - timedelta(days=500))
    new, new_res = scan_report(ruleset, 3, now)
    history.record(conn, new, new_res, retention_days=400, now=now)
    assert [s["id"] for s in history.scans(conn, TENANT)] == [new["scan"]["id"]]
    c = counts(conn)
    assert c["findings"] == len(new["findings"]) and c["scan_resources"] == len(new_res)
    live = {r[0] for r in conn.execute("SELECT snapshot FROM scan_resources")}
    assert {r[0] for r in conn.execute("SELECT hash FROM snapshots")} == live  # orphans gone


def test_pass_record_is_off_by_default_for_scan(tmp_path):
    db = tmp_path / "h.sqlite3"
    r = run_enamel("scan", *scenario_source(1), "-q", "--fail-on", "none", "--history", db)
    assert r.returncode == 0 and not db.exists()


def test_pass_history_path_from_flag_env_config_then_state_dir(tmp_path, monkeypatch):
    conf = tmp_path / "config.yaml"
    conf.write_text(f"history: {{path: {tmp_path / 'from-config.sqlite3'}, retention_days: 30}}\n")
    monkeypatch.delenv("ENAMEL_HISTORY", raising=False)
    monkeypatch.delenv("ENAMEL_CONFIG", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "noconfig"))
    assert history.resolve() == (tmp_path / "state" / "enamel" / "history.sqlite3", 400)
    assert history.resolve(settings_file=str(conf)) == (tmp_path / "from-config.sqlite3", 30)
    monkeypatch.setenv("ENAMEL_HISTORY", str(tmp_path / "from-env.sqlite3"))
    assert history.resolve(settings_file=str(conf))[0] == tmp_path / "from-env.sqlite3"
    assert history.resolve(str(tmp_path / "flag.sqlite3"), 7, str(conf)) == (tmp_path / "flag.sqlite3", 7)


def test_fail_bad_config_names_file_and_line(tmp_path, enamel):
    conf = tmp_path / "config.yaml"
    conf.write_text("history:\n  retention_days: soon\n")
    r = enamel("history", "list", "--config", conf, "--history", tmp_path / "h.sqlite3")
    assert r.returncode == 2 and "config.yaml" in r.stderr and ":2" in r.stderr


def test_pass_killed_scan_leaves_previous_scans_intact(tmp_path, new_history):
    db = new_history()
    record_scan(db, 1)
    record_scan(db, 2)
    before = scan_ids(db)
    marker = tmp_path / "paused"
    env = dict(os.environ, **{history.PAUSE_ENV: str(marker)})
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "enamel_hipaa.cli",
            "scan",
            *scenario_source(3),
            "--record",
            "--history",
            str(db),
            "--tenant",
            TENANT,
            "-q",
            "--fail-on",
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():  # the writer is inside its transaction, findings inserted
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "writer never reached the pause point"
            time.sleep(0.05)
        assert int(marker.read_text()) == proc.pid
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        proc.stderr.close()
    conn = history.connect(db)
    if conn.dialect == history.SQLITE:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [s["id"] for s in history.scans(conn, TENANT)] == before
    orphans = conn.execute("SELECT COUNT(*) FROM findings WHERE scan_id NOT IN (SELECT id FROM scans)").fetchone()[0]
    assert orphans == 0
    conn.close()
    record_scan(db, 3)  # and the next scan records normally
    assert len(scan_ids(db)) == 3
