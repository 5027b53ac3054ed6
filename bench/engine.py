"""Engine throughput: rule x resource evaluations per second on one core.

100 rules (the shipped S3 bucket rules, cloned with new ids) x 10,000 S3 buckets (random
mixes of compliant and non-compliant settings, some unknown values) = 1,000,000 evaluations.
Prints evaluations/second for `evaluate()` alone and for evaluate + building the JSON report
(which renders every finding's message and evidence).

    .venv/bin/python bench/engine.py [--rules 100] [--resources 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.core.report import build
from enamel_hipaa.core.ruleset import load_rules

BASE = {
    "arn": "arn:aws:s3:::b",
    "tags": {"data_class": "phi"},
    "encryption": {
        "sse_algorithm": "aws:kms",
        "kms_key_id": "k",
        "kms_key_managed_by": "customer",
        "bucket_key_enabled": True,
    },
    "versioning": {"status": "Enabled", "mfa_delete": False},
    "object_lock": {"enabled": True, "mode": "COMPLIANCE", "retention_days": 2555},
    "public_access_block": {
        "block_public_acls": True,
        "ignore_public_acls": True,
        "block_public_policy": True,
        "restrict_public_buckets": True,
    },
    "ownership": {"object_ownership": "BucketOwnerEnforced"},
    "acl": {"public_grants": []},
    "policy": {
        "present": True,
        "denies_insecure_transport": True,
        "min_tls_version": "1.2",
        "allows_public": False,
        "cross_account_principals": [],
    },
    "logging": {"enabled": True, "target_bucket": "logs"},
    "lifecycle": {"enabled": True, "archive_transition": True, "rules": 1},
    "replication": {
        "enabled": True,
        "destinations": [
            {"bucket": "r", "account": "1", "region": "us-west-2", "kms_key_id": "k2", "storage_class": None}
        ],
    },
}
MUTATIONS = [
    ("encryption", "sse_algorithm", "AES256"),
    ("versioning", "status", "Suspended"),
    ("object_lock", "retention_days", 30),
    ("public_access_block", "block_public_policy", False),
    ("policy", "min_tls_version", "1.0"),
    ("logging", "enabled", False),
    ("tags", "data_class", "logs"),
    ("policy", "denies_insecure_transport", {"$unknown": "AccessDenied"}),
]


def make_resources(n: int, seed: int = 7):
    from enamel_hipaa.core.model import Resource

    rnd = random.Random(seed)
    out = []
    for i in range(n):
        props = copy.deepcopy(BASE)
        for group, key, value in rnd.sample(MUTATIONS, rnd.randint(0, 3)):
            props[group][key] = value
        out.append(
            Resource(
                type="aws.s3_bucket",
                id=f"arn:aws:s3:::bucket-{i}",
                name=f"bucket-{i}",
                source="file",
                properties=props,
                account="111122223333",
                region="us-east-1",
            )
        )
    return out


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
