"""Eight `enamel tenants scan --shard I/8` processes write 200 tenants' scans into one shared
PostgreSQL history at once; two are SIGKILLed in the middle of a write (some of their tenants
already committed) and run again with the same run id. Every tenant ends with exactly one
scan per run, and drift and the roll-up equal a serial run's."""

import json
import os
import signal
import subprocess
import sys
import time

import yaml

from conftest import ROOT, run_enamel
from enamel_hipaa.outputs import history
from enamel_hipaa.outputs.rollup import comparable
from enamel_hipaa.workflows import drift
from conftest import shipped_rules

TENANTS, SHARDS, VICTIMS = 200, 8, (2, 5)
BUDGET_S = 120  # per step (every wait is bounded); ~45 s of CPU in all on the CI box


def bucket(name: str, versioning: str, encrypted: bool) -> dict:
    return {
        "type": "aws.s3_bucket",
        "id": f"arn:aws:s3:::{name}",
        "name": name,
        "source": "file",
        "account": "111122223333",
        "region": "us-east-1",
        "properties": {
            "tags": {"data_class": "phi"},
            "versioning": {"status": versioning},
            "encryption": {"sse_algorithm": "aws:kms" if encrypted else "none"},
        },
    }


def write_world(d, run: int) -> None:
    """200 practices of one bucket each; in run 2 every third loses its encryption and
    every fifth turns versioning on (so drift has new and resolved failures)."""
    entries = []
    for i in range(TENANTS):
        name = f"practice-{i:03d}"
        encrypted = not (run == 2 and i % 3 == 0)
        versioning = "Enabled" if (i % 2 == 0 or (run == 2 and i % 5 == 0)) else "Suspended"
        (d / f"{name}.json").write_text(json.dumps({"resources": [bucket(f"{name}-xrays", versioning, encrypted)]}))
        entries.append({"name": name, "resources": [f"{name}.json"]})
    (d / "tenants.yaml").write_text(yaml.safe_dump({"version": 1, "tenants": entries}))


def scan_cmd(d, db, out, shard=None):
    cmd = [
        sys.executable,
        "-m",
        "enamel_hipaa.cli",
        "tenants",
        "scan",
        str(d / "tenants.yaml"),
        "--history",
        db,
        "--output-dir",
        str(out),
        "--format",
        "json",
        "--jobs",
        "2",
        "-q",
    ]
    return cmd + (["--shard", f"{shard}/{SHARDS}"] if shard is not None else [])


def serial(d, db, out, run_id):
    r = subprocess.run(
        scan_cmd(d, db, out),
        cwd=ROOT,
        env=dict(os.environ, ENAMEL_RUN_ID=run_id),
        capture_output=True,
        text=True,
        timeout=BUDGET_S,
    )
    assert r.returncode in (0, 1), r.stderr


def wait_for(paths, procs, deadline):
    while not all(p.exists() for p in paths):
        for p in procs:
            assert p.poll() is None, p.stderr.read()
        assert time.monotonic() < deadline, "a shard never reached its pause point"
        time.sleep(0.05)


def sharded_run_with_two_killed(d, db, run_id):
    """Run id `run_id` in 8 shard processes; VICTIMS pause inside their 4th tenant's write
    transaction (3 committed), are SIGKILLed there and retried. Returns the shard directories."""
    env = dict(os.environ, ENAMEL_RUN_ID=run_id)
    procs, markers = {}, []
    for i in range(SHARDS):
        extra = {}
        if i in VICTIMS:
            markers.append(d / f"paused-{i}")
            extra = {history.PAUSE_ENV: str(markers[-1]), history.PAUSE_AFTER_ENV: "3"}
        procs[i] = subprocess.Popen(
            scan_cmd(d, db, d / f"shard{i}", shard=i),
            cwd=ROOT,
            env=dict(env, **extra),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        wait_for(markers, [procs[v] for v in VICTIMS], time.monotonic() + BUDGET_S)
        for v in VICTIMS:
            os.kill(procs[v].pid, signal.SIGKILL)
            assert procs[v].wait(timeout=30) == -signal.SIGKILL
        retries = {
            v: subprocess.Popen(
                scan_cmd(d, db, d / f"shard{v}", shard=v),
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for v in VICTIMS
        }
        for i, p in [*((i, p) for i, p in procs.items() if i not in VICTIMS), *retries.items()]:
            assert p.wait(timeout=BUDGET_S) in (0, 1), (i, p.stderr.read())
    finally:
        for p in [*procs.values(), *locals().get("retries", {}).values()]:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=30)
            p.stderr.close()
    return [d / f"shard{i}" for i in range(SHARDS)]


def drift_by_tenant(url) -> dict:
    """Every tenant's run-1 -> run-2 drift, without ids and timestamps."""
    rules = shipped_rules().rules
    conn = history.connect(url)
    out = {}
    try:
        for i in range(TENANTS):
            name = f"practice-{i:03d}"
            frm, to, how = drift.pick_scans(conn, name)
            doc = drift.scan_drift(conn, frm, to, rules, name, how)
            for k in ("from", "to"):
                doc[k] = {"complete": doc[k]["complete"], "summary": doc[k]["summary"]}
            for f in doc["open_failures"]:
                f.pop("first_seen"), f.pop("age_days")
            out[name] = doc
    finally:
        conn.close()
    return out


def test_pass_eight_shards_with_two_killed_and_retried_equal_a_serial_run(pg_server, tmp_path):
    write_world(tmp_path, 1)
    serial_db = pg_server.create_db("serial_run")
    serial(tmp_path, serial_db, tmp_path / "run1", "run-1")
    shard_db = pg_server.copy_db(serial_db, "sharded_run")  # both histories share run 1
    write_world(tmp_path, 2)
    serial(tmp_path, serial_db, tmp_path / "run2", "run-2")
    dirs = sharded_run_with_two_killed(tmp_path, shard_db, "run-2")

    conn = history.connect(shard_db)
    per_run = conn.execute("SELECT run_id, tenant, COUNT(*) FROM scans GROUP BY run_id, tenant").fetchall()
    conn.close()
    assert sorted({r[0] for r in per_run}) == ["run-1", "run-2"]
    assert len(per_run) == 2 * TENANTS and all(r[2] == 1 for r in per_run)  # one scan per tenant per run

    assert drift_by_tenant(shard_db) == drift_by_tenant(serial_db)
    r = run_enamel("tenants", "merge", *dirs, "--output-dir", tmp_path / "merged")
    assert r.returncode == 0, r.stderr
    merged = comparable(json.loads((tmp_path / "merged" / "rollup.json").read_text()))
    assert merged == comparable(json.loads((tmp_path / "run2" / "rollup.json").read_text()))
    assert any(t["trend"]["fail"] for t in merged["tenants"])  # the trend was read from the history
