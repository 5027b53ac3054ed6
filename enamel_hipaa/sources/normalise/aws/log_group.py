"""aws.cloudwatch_log_group: the one derivation of a log group's Enamel properties, from
the CloudWatch Logs API's own response (the live collector's boto3 answer; a plan's inputs
converted to this shape).

Input contract: one DescribeLogGroups `logGroups` entry, boto3's shape:
  {"logGroupName", "arn"?, "kmsKeyId"?, "retentionInDays"?}
(no retentionInDays: events never expire). Any value may be a marker
({"$error"}/{"$unknown"})."""

from __future__ import annotations

from enamel_hipaa.sources.normalise.values import is_marker


def arn_of(group: dict, region: str | None, account: str | None):
    """The group's ARN without the ":*" DescribeLogGroups appends."""
    arn = group.get("arn")
    if isinstance(arn, str) and arn:
        return arn.removesuffix(":*")
    if is_marker(arn):
        return arn
    return f"arn:aws:logs:{region}:{account}:log-group:{group['logGroupName']}"


def properties(group: dict, region: str | None = None, account: str | None = None) -> dict:
    days = group.get("retentionInDays")
    return {
        "arn": arn_of(group, region, account),
        "kms_key_id": group.get("kmsKeyId"),
        "retention_days": days or None,
        "retention_never_expires": days if is_marker(days) else not days,
    }
