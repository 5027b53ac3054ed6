"""CloudWatch log groups (aws.cloudwatch_log_group): KMS key and retention."""
from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, listed, paginate, resource

SERVICE = "logs"
GLOBAL = False
TYPES = ("aws.cloudwatch_log_group",)
ACTIONS = ("logs:DescribeLogGroups",)
CONDITIONAL = {}


def collect(aws, region, regions) -> Out:
    out = Out()
    groups = listed(out, aws, SERVICE, region, TYPES,
                    lambda: paginate(aws.client("logs", region), "describe_log_groups", "logGroups"))
    for g in groups or []:
        arn = g.get("arn", "").removesuffix(":*") or f"arn:aws:logs:{region}:{aws.account}:log-group:{g['logGroupName']}"
        days = g.get("retentionInDays")
        props = {"arn": arn, "kms_key_id": g.get("kmsKeyId"), "retention_days": days,
                 "retention_never_expires": days is None}
        out.resources.append(resource(aws, "aws.cloudwatch_log_group", arn, g["logGroupName"], props, region))
    return out
