"""aws.account_monitoring: the account-wide logging, alerting and detection facts, from
CloudTrail (DescribeTrails/GetTrailStatus/GetEventSelectors), CloudWatch Logs metric
filters, CloudWatch alarms, Security Hub, AWS Config and GuardDuty.

The CIS AWS Foundations alarms are recognised by the metric filter's pattern naming the
events the benchmark lists (every listed event for a change alarm), on a log group a
multi-region, logging trail delivers to, with an alarm on the filter's metric that has an
action. An account with no such trail has no alarm of any kind."""

from __future__ import annotations

import re

CIS_FILTERS = {
    "root_usage": ("userIdentity.type", "Root", "invokedBy", "NOT EXISTS", "AwsServiceEvent"),
    "console_auth_failures": ("ConsoleLogin", "Failed authentication"),
    "iam_changes": (
        "DeleteGroupPolicy",
        "DeleteRolePolicy",
        "DeleteUserPolicy",
        "PutGroupPolicy",
        "PutRolePolicy",
        "PutUserPolicy",
        "CreatePolicy",
        "DeletePolicy",
        "CreatePolicyVersion",
        "DeletePolicyVersion",
        "AttachRolePolicy",
        "DetachRolePolicy",
        "AttachUserPolicy",
        "DetachUserPolicy",
        "AttachGroupPolicy",
        "DetachGroupPolicy",
    ),
    "nacl_changes": (
        "CreateNetworkAcl",
        "CreateNetworkAclEntry",
        "DeleteNetworkAcl",
        "DeleteNetworkAclEntry",
        "ReplaceNetworkAclEntry",
        "ReplaceNetworkAclAssociation",
    ),
    "network_gateway_changes": (
        "CreateCustomerGateway",
        "DeleteCustomerGateway",
        "AttachInternetGateway",
        "CreateInternetGateway",
        "DeleteInternetGateway",
        "DetachInternetGateway",
    ),
    "route_table_changes": (
        "CreateRoute",
        "CreateRouteTable",
        "ReplaceRoute",
        "ReplaceRouteTableAssociation",
        "DeleteRouteTable",
        "DeleteRoute",
        "DisassociateRouteTable",
    ),
    "vpc_changes": (
        "CreateVpc",
        "DeleteVpc",
        "ModifyVpcAttribute",
        "AcceptVpcPeeringConnection",
        "CreateVpcPeeringConnection",
        "DeleteVpcPeeringConnection",
        "RejectVpcPeeringConnection",
    ),
    "security_group_changes": (
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
        "CreateSecurityGroup",
        "DeleteSecurityGroup",
    ),
}


def records_all_management_events(selectors: dict) -> bool:
    """GetEventSelectors -> whether read and write management events are recorded."""
    for s in selectors.get("EventSelectors") or []:
        if s.get("IncludeManagementEvents", True) and s.get("ReadWriteType", "All") == "All":
            return True
    for s in selectors.get("AdvancedEventSelectors") or []:
        fields = {f["Field"]: f for f in s.get("FieldSelectors") or []}
        if "Management" in fields.get("eventCategory", {}).get("Equals", []) and "readOnly" not in fields:
            return True
    return False


def log_group_of(arn: str | None) -> tuple[str, str] | None:
    """(region, log group name) of a CloudWatchLogsLogGroupArn."""
    m = re.match(r"^arn:aws[a-z-]*:logs:([a-z0-9-]+):\d+:log-group:(.+?)(?::\*)?$", arn or "")
    return (m.group(1), m.group(2)) if m else None


def matches(pattern: str, tokens: tuple[str, ...]) -> bool:
    text = " ".join(str(pattern).split())
    return all(t in text for t in tokens)


def cis_alarms(filters: list[dict], alarms: list[dict]) -> dict:
    """{control: True/False}: a filter matching the control whose metric has an alarm with an action."""
    alarmed = {
        (a.get("Namespace"), a.get("MetricName"))
        for a in alarms
        if a.get("AlarmActions") and a.get("ActionsEnabled", True)
    }
    out = {}
    for control, tokens in CIS_FILTERS.items():
        out[control] = any(
            matches(f.get("filterPattern", ""), tokens)
            and any(
                (m.get("metricNamespace"), m.get("metricName")) in alarmed for m in f.get("metricTransformations") or []
            )
            for f in filters
        )
    return out
