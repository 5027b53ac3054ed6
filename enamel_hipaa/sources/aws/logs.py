"""CloudWatch log groups (aws.cloudwatch_log_group): KMS key and retention."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, listed, paginate, resource
from enamel_hipaa.sources.normalise.aws import log_group

SERVICE = "logs"
GLOBAL = False
TYPES = ("aws.cloudwatch_log_group",)
ACTIONS = ("logs:DescribeLogGroups",)
CONDITIONAL = {}


def collect(aws, region, regions) -> Out:
    out = Out()
    groups = listed(
        out,
        aws,
        SERVICE,
        region,
        TYPES,
        lambda: paginate(aws.client("logs", region), "describe_log_groups", "logGroups"),
    )
    for g in groups or []:
        props = log_group.properties(g, region, aws.account)
        out.resources.append(resource(aws, "aws.cloudwatch_log_group", props["arn"], g["logGroupName"], props, region))
    return out
