"""`python bench/msp.py --history-bench T [--shards N]`: T tenants in N shard processes
started at once, recording into one shared PostgreSQL vs one SQLite file per shard.

Each shard is `tenants.scan_all` (what `enamel tenants scan --shard I/N --history X` runs)
in its own process, with `history.record` wrapped in a timer. Tenants are resources files
(one PHI bucket each, half failing) so the numbers are evaluation + history, not cloud calls."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def write_tenants(d: Path, count: int) -> Path:
    entries = []
    for i in range(count):
        name = f"practice-{i:03d}"
        props = {
            "tags": {"data_class": "phi"},
            "versioning": {"status": "Enabled" if i % 2 else "Suspended"},
            "encryption": {"sse_algorithm": "aws:kms" if i % 3 else "none"},
        }
        res = [
            {
                "type": "aws.s3_bucket",
                "id": f"arn:aws:s3:::{name}-xrays-{b}",
                "name": f"{name}-xrays-{b}",
                "source": "file",
                "account": "111122223333",
                "region": "us-east-1",
                "properties": props,
            }
            for b in range(3)
        ]
        (d / f"{name}.json").write_text(json.dumps({"resources": res}))
        entries.append({"name": name, "resources": [f"{name}.json"]})
    path = d / "tenants.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "tenants": entries}))
    return path


def worker(tenants_file: str, shard: int, shards: int, target: str, out: str) -> None:
    """One shard (a child process): scan its tenants, record each, print the record timings."""
    sys.path.insert(0, str(ROOT))
    from enamel_hipaa.core.ruleset import load_rules
    from enamel_hipaa.outputs import history
    from enamel_hipaa.workflows import tenants

    timings: list[float] = []
    real = history.record

    def timed(*a, **kw):
        t0 = time.perf_counter()
        try:
            return real(*a, **kw)
        finally:
            timings.append(time.perf_counter() - t0)

    history.record = timed
    history.connect(target).close()
    chosen = tenants.select(tenants.load_tenants(tenants_file), shard=(shard, shards))
    opts = tenants.RunOptions(out_dir=Path(out), formats=["json"], history=target, retention_days=400)
    results = tenants.scan_all(chosen, load_rules(), opts, jobs=4)
    bad = [r.tenant.name for r in results if not r.complete]
    print(json.dumps({"timings": timings, "incomplete": bad}))


def run_shards(tenants_file: Path, shards: int, targets: list[str], outs: list[Path]) -> tuple[float, list[float]]:
    env = dict(os.environ, ENAMEL_RUN_ID=f"bench-{time.time_ns()}")
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, str(tenants_file), str(i), str(shards), targets[i], str(outs[i])],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for i in range(shards)
    ]
    timings: list[float] = []
    for p in procs:
        out, err = p.communicate(timeout=3600)
        if p.returncode != 0:
            raise SystemExit(f"a shard failed: {err.strip()[-400:]}")
        doc = json.loads(out.strip().splitlines()[-1])
        if doc["incomplete"]:
            raise SystemExit(f"incomplete tenants: {doc['incomplete'][:5]}")
        timings += doc["timings"]
    return time.perf_counter() - t0, timings


def merge_time(outs: list[Path], dest: Path) -> float:
    sys.path.insert(0, str(ROOT))
    from enamel_hipaa.core.ruleset import load_rules
    from enamel_hipaa.outputs import rollup
    from enamel_hipaa.workflows.tenants import read_status_dirs

    catalogue = load_rules().catalogue
    t0 = time.perf_counter()
    rollup.write_rollup(rollup.build_rollup(read_status_dirs([str(o) for o in outs]), catalogue), dest)
    return time.perf_counter() - t0


def history_bench(count: int, shards: int) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    import pgserver

    print(f"{count} tenants (3 buckets each) in {shards} shard processes started at once; cpus: {os.cpu_count()}")
    print(f"{'history':<18} {'wall s':>7} {'write ms/scan (median, p95)':>28} {'merge s':>8}")
    with tempfile.TemporaryDirectory(prefix="enamel-bench-history-") as tmp, pgserver.server() as pg:
        os.environ.update(pg.env())
        tf = write_tenants(Path(tmp), count)
        url = pg.create_db("bench")
        for label, targets in (
            ("shared PostgreSQL", [url] * shards),
            ("SQLite per shard", [str(Path(tmp) / f"shard-{i}.sqlite3") for i in range(shards)]),
        ):
            outs = [Path(tmp) / label.split()[0] / f"shard-{i}" for i in range(shards)]
            wall, t = run_shards(tf, shards, targets, outs)
            assert len(t) == count, (len(t), count)
            t.sort()
            med, p95 = statistics.median(t) * 1000, t[int(len(t) * 0.95) - 1] * 1000
            merge = merge_time(outs, Path(tmp) / label.split()[0] / "rollup")
            print(f"{label:<18} {wall:>7.1f} {med:>17.1f} {p95:>10.1f} {merge:>8.2f}", flush=True)


if __name__ == "__main__":
    worker(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
