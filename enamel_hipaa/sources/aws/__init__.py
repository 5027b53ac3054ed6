"""Source `aws`: a live, read-only scan of one AWS account.

    enamel scan --aws [--profile P] [--role-arn ARN --external-id ID] [--regions r1,r2|all]

Credentials come from boto3's standard chain (env, profile, SSO, instance role); with
--role-arn the scanner assumes the audit role (docs/aws-audit-role.md). AWS_ENDPOINT_URL is
honoured, so any AWS-compatible endpoint (moto, LocalStack) works. One module per service
(COLLECTORS), each declaring the IAM actions it calls; tasks run in a bounded thread pool
across services and regions. Anything that fails becomes an error, never a pass."""

from __future__ import annotations

import json
import os

from enamel_hipaa.sources import Collection
from enamel_hipaa.sources.aws.registry import COLLECTORS, MAX_WORKERS, modules  # noqa: F401

SESSION_ACTIONS = ("sts:GetCallerIdentity",)
REGION_ACTIONS = ("ec2:DescribeRegions",)  # only with --regions all
STATS_ENV = "ENAMEL_AWS_STATS"  # a file path: the scan writes its API call counts there (bench, tests)


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


def collect(config, ctx=None) -> Collection:
    """`config`: a sources.config.AwsSource. The ExternalId is read at this moment."""
    from enamel_hipaa.core.errors import InputError

    try:
        import boto3  # noqa: F401
    except ImportError:
        raise InputError("command line", "--aws needs boto3: pip install 'enamel-hipaa[aws]'") from None
    external_id = config.external_id.reveal() if config.external_id else None
    if config.external_id and not config.role_arn:
        raise InputError("command line", "--external-id needs --role-arn")
    if config.external_id and external_id is None:
        raise InputError("command line", f"the ExternalId for {config.role_arn} is empty ({config.external_id!r})")
    from enamel_hipaa.sources.aws.runner import scan
    from enamel_hipaa.sources.aws.s3_moot import Plan, moot_when_not_phi

    extra = getattr(ctx, "extra", None) or {}
    plan = Plan(moot_when_not_phi(getattr(ctx, "ruleset", None)), extra.get("params"))
    collection, aws = scan(
        s3_plan=plan,
        profile=config.profile,
        role_arn=config.role_arn,
        external_id=external_id,
        regions=config.regions,
        api_slots=extra.get("api_calls"),
    )
    stats_path = os.environ.get(STATS_ENV)
    if stats_path and aws is not None:
        with open(stats_path, "w", encoding="utf-8") as fh:
            json.dump({"calls": sum(aws.calls.values()), "by_action": dict(sorted(aws.calls.items()))}, fh, indent=1)
    return collection
