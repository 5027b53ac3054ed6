"""Scan history figures: record N scans of the demo practice (identical properties, so the
snapshots deduplicate), then time a drift between the last two and a --since walk.

    .venv/bin/python bench/history.py [N]
"""

import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from enamel_hipaa.workflows import drift
from enamel_hipaa.outputs import history
from enamel_hipaa.core import paths
from enamel_hipaa.sources.resources_file import read
from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.core.report import build
from enamel_hipaa.core.ruleset import load_rules


def main(n: int) -> None:
    ruleset = load_rules()
    coll = read(str(paths.demo_dir() / "practice.yaml"), ruleset.type_schemas)
    now = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "h.sqlite3"
        conn = history.connect(db)
        t0 = time.perf_counter()
        for i in range(n):
            stamp = (now - timedelta(days=n - i)).isoformat(timespec="seconds").replace("+00:00", "Z")
            report = build(
                evaluate(ruleset.rules, coll.resources, None, coll.errors),
                coll.errors,
                started_at=stamp,
                tenant="bench",
                sources=coll.sources,
                rules_digest=ruleset.digest,
                fail_on="high",
            )
            history.record(conn, report, coll.resources, now=now)
        rec = (time.perf_counter() - t0) / n
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        snaps = conn.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0]
        t0 = time.perf_counter()
        frm, to, how = drift.pick_scans(conn, "bench", since="30d", now=now)
        doc = drift.scan_drift(conn, frm, to, ruleset.rules, "bench", how)
        dt = time.perf_counter() - t0
        print(f"{n} scans x {len(coll.resources)} resources, {len(report['findings'])} findings each")
        print(
            f"record: {rec * 1000:.1f} ms/scan (evaluate + build + write); db {db.stat().st_size / 1e6:.2f} MB; "
            f"{snaps} distinct snapshots for {n * len(coll.resources)} resource rows"
        )
        print(
            f"drift --since 30d (open-failure ages walk all {n} scans): {dt * 1000:.0f} ms; "
            f"{doc['summary']['open']} open failures"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 365)
