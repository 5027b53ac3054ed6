"""Times the attestation cross-check (enamel_hipaa.workflows.crosscheck.enrich) over a synthetic account:
10,000 roles trusting 500 outside accounts and 10,000 buckets shared with 300, half PHI.
Run: .venv/bin/python bench/crosscheck.py"""

import time

from enamel_hipaa.workflows import crosscheck
from enamel_hipaa.sources import Collection
from enamel_hipaa.sources.attestation import build_resources
from enamel_hipaa.core.model import Resource


def main(n: int = 10_000) -> None:
    register = {
        "version": 1,
        "tenant": "Bench Dental",
        "risk_analysis": {"last_completed": None},
        "training": [],
        "systems": [],
        "retention_schedule": [],
        "disposal_log": [],
        "key_management": {"last_key_rotation": None, "last_access_review": None},
        "vendors": [
            {
                "name": "PACS",
                "touches": ["x-rays"],
                "aws_accounts": ["444455556666"],
                "baa": {"signed": "2025-01-01", "expires": "2099-01-01"},
            }
        ],
    }
    from datetime import date

    resources = build_resources(register, "bench.yaml", today=date.today())
    for i in range(n):
        resources.append(
            Resource(
                "aws.iam_role",
                f"r{i}",
                f"r{i}",
                "live",
                {"trusted_accounts": [f"{100000000000 + i % 500:012d}", "444455556666"]},
                account="111122223333",
            )
        )
        resources.append(
            Resource(
                "aws.s3_bucket",
                f"b{i}",
                f"b{i}",
                "live",
                {
                    "tags": {"data_class": "phi" if i % 2 else "logs"},
                    "policy": {"cross_account_principals": [f"arn:aws:iam::{200000000000 + i % 300:012d}:root"]},
                    "replication": {"enabled": False, "destinations": []},
                },
                account="111122223333",
            )
        )
    col = Collection(resources=resources)
    start = time.perf_counter()
    crosscheck.enrich(col)
    elapsed = time.perf_counter() - start
    parties = sum(r.type == "attestation.external_party" for r in col.resources)
    print(f"cross-check over {2 * n} resources: {elapsed * 1000:.0f} ms, {parties} external parties")


if __name__ == "__main__":
    main()
