"""CloudWatch log groups (aws.cloudwatch_log_group): KMS key and retention."""
from __future__ import annotations

from .base import Out, paginate, resource

SERVICE = "logs"
GLOBAL = False
TYPES = ("aws.cloudwatch_log_group",)
ACTIONS = ("logs:DescribeLogGroups",)
CONDITIONAL = {}


def collect(aws, region, regions) -> Out:
    out = Out()
    try:
        groups = list(paginate(aws.client("logs", region), "describe_log_groups", "logGroups"))
    except Exception as exc:  # noqa: BLE001
        out.fail(SERVICE, region, aws.account, TYPES, exc)
        return out
    for g in groups:
        arn = g.get("arn", "").removesuffix(":*") or f"arn:aws:logs:{region}:{aws.account}:log-group:{g['logGroupName']}"
        days = g.get("retentionInDays")
        props = {"arn": arn, "kms_key_id": g.get("kmsKeyId"), "retention_days": days,
                 "retention_never_expires": days is None}
        out.resources.append(resource(aws, "aws.cloudwatch_log_group", arn, g["logGroupName"], props, region))
    return out
