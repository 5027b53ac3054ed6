"""Source `aws`: a live, read-only scan of one AWS account.

    enamel scan --aws [--profile P] [--role-arn ARN --external-id ID] [--regions r1,r2|all]

Credentials come from boto3's standard chain (env, profile, SSO, instance role); with
--role-arn the scanner assumes the audit role (docs/aws-audit-role.md). AWS_ENDPOINT_URL is
honoured, so any AWS-compatible endpoint (moto, LocalStack) works. One module per service
(COLLECTORS), each declaring the IAM actions it calls; tasks run in a bounded thread pool
across services and regions. Anything that fails becomes an error, never a pass."""
from __future__ import annotations

import importlib
import json
import os

from enamel_hipaa.sources import Collection

COLLECTORS = ("s3", "kms", "cloudtrail", "logs", "iam", "ec2", "region", "vpc", "rds", "elbv2", "backup")
SESSION_ACTIONS = ("sts:GetCallerIdentity",)
REGION_ACTIONS = ("ec2:DescribeRegions",)  # only with --regions all
MAX_WORKERS = 8
STATS_ENV = "ENAMEL_AWS_STATS"  # a file path: the scan writes its API call counts there (bench, tests)


def add_arguments(group) -> None:
    group.add_argument("--aws", action="store_true", help="scan a live AWS account (read-only; needs the aws extra)")
    group.add_argument("--profile", metavar="P", help="AWS profile (default: the standard credential chain)")
    group.add_argument("--role-arn", metavar="ARN", help="assume this audit role first (cross-account scan)")
    group.add_argument("--external-id", metavar="ID", help="ExternalId the audit role's trust policy requires")
    group.add_argument("--regions", metavar="R1,R2|all",
                       help="regions to scan (default: the profile's region, else us-east-1)")


def wanted(args) -> bool:
    return bool(getattr(args, "aws", False))


def modules():
    return [importlib.import_module(f"{__name__}.{m}") for m in COLLECTORS]


def conditional_actions() -> dict[str, str]:
    """Actions only some accounts make the scanner call (with the condition)."""
    out = {"ec2:DescribeRegions": "only with --regions all"}
    for m in modules():
        out.update(m.CONDITIONAL)
    return out


def declared_actions() -> set[str]:
    """Every IAM action the scanner may call: what the shipped audit policy must grant."""
    acts = set(SESSION_ACTIONS) | set(REGION_ACTIONS)
    for m in modules():
        acts.update(m.ACTIONS)
    return acts


def collect(args, ctx=None) -> Collection:
    from enamel_hipaa.core.errors import InputError
    try:
        import boto3  # noqa: F401
    except ImportError:
        raise InputError("command line", "--aws needs boto3: pip install 'enamel-hipaa[aws]'") from None
    if bool(getattr(args, "external_id", None)) and not getattr(args, "role_arn", None):
        raise InputError("command line", "--external-id needs --role-arn")
    from enamel_hipaa.sources.aws.runner import scan
    collection, aws = scan(profile=getattr(args, "profile", None), role_arn=getattr(args, "role_arn", None),
                           external_id=getattr(args, "external_id", None), regions=getattr(args, "regions", None),
                           api_slots=(getattr(ctx, "extra", None) or {}).get("api_calls"))
    stats_path = os.environ.get(STATS_ENV)
    if stats_path and aws is not None:
        with open(stats_path, "w", encoding="utf-8") as fh:
            json.dump({"calls": sum(aws.calls.values()), "by_action": dict(sorted(aws.calls.items()))}, fh, indent=1)
    return collection
