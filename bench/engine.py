"""Engine throughput: rule x resource evaluations per second on one core.

100 rules (the shipped S3 bucket rules, cloned with new ids) x 10,000 S3 buckets (random
mixes of compliant and non-compliant settings, some unknown values) = 1,000,000 evaluations.
Prints evaluations/second for `evaluate()` alone and for evaluate + building the JSON report
(which renders every finding's message and evidence).

    .venv/bin/python bench/engine.py [--rules 100] [--resources 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # big_scan: the synthetic practice the tests use

import big_scan

from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.core.report import build
from enamel_hipaa.core.ruleset import load_rules

# the synthetic practice of the report-size tests, plus buckets that fall out of scope
MUTATIONS = big_scan.DEFECTS + [("tags", "data_class", "logs")]


def make_resources(n: int, seed: int = 7):
    from enamel_hipaa.core.model import Resource

    return [Resource(**rec) for rec in big_scan.bucket_records(n, seed, prefix="bucket", defects=MUTATIONS)]


def make_rules(n: int):
    s3 = [r for r in load_rules().rules if r.resource == "aws.s3_bucket"]
    return [dataclasses.replace(s3[i % len(s3)], id=f"{s3[i % len(s3)].id}-copy{i}") for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", type=int, default=100)
    ap.add_argument("--resources", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    rules, resources = make_rules(a.rules), make_resources(a.resources)
    evals = a.rules * a.resources
    best = float("inf")
    for _ in range(a.repeat):
        t0 = time.process_time()
        findings = evaluate(rules, resources)
        best = min(best, time.process_time() - t0)
    assert len(findings) == evals
    statuses = {}
    for f in findings:
        statuses[f.status] = statuses.get(f.status, 0) + 1
    t0 = time.process_time()
    build(
        findings,
        [],
        started_at="2026-01-01T00:00:00Z",
        tenant=None,
        sources=["bench"],
        rules_digest="sha256:" + "0" * 64,
        fail_on="high",
    )
    report_cpu = time.process_time() - t0
    print(f"rules={a.rules} resources={a.resources} evaluations={evals:,}")
    print(f"statuses: {statuses}")
    print(f"evaluate(): {best:.3f} s CPU (best of {a.repeat}) = {evals / best:,.0f} evaluations/s on one core")
    print(
        f"JSON report of all findings (messages + evidence): {report_cpu:.3f} s CPU = {evals / report_cpu:,.0f} findings/s"
    )


if __name__ == "__main__":
    main()
