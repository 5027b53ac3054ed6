"""Account-wide monitoring (aws.account_monitoring, one per account, read from the home
region plus every scanned region): a multi-region trail logging all management events,
the CIS metric filters and alarms on its log group, alarms without actions, Security Hub,
the AWS Config recorder and unarchived high-severity GuardDuty findings per region."""

from __future__ import annotations

from enamel_hipaa.sources.aws import base
from enamel_hipaa.sources.aws.base import Out, is_error, error_code, paginate, read, resource
from enamel_hipaa.sources.normalise.aws import monitoring as norm

SERVICE = "monitoring"
GLOBAL = True
TYPES = ("aws.account_monitoring",)
ACTIONS = (
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:GetEventSelectors",
    "logs:DescribeMetricFilters",
    "cloudwatch:DescribeAlarms",
    "securityhub:DescribeHub",
    "config:DescribeConfigurationRecorderStatus",
    "guardduty:ListDetectors",
    "guardduty:ListFindings",
)
CONDITIONAL = {
    "logs:DescribeMetricFilters": "only when a multi-region trail delivers to CloudWatch Logs",
    "guardduty:ListFindings": "only in regions with a GuardDuty detector",
}
HIGH = {"Criterion": {"severity": {"Gte": 7}, "service.archived": {"Eq": ["false"]}}}
HUB_OFF = ("InvalidAccessException", "ResourceNotFoundException")
# CloudWatch signs as "monitoring" but its IAM actions are "cloudwatch:*": record them so.
# (Belongs in base.PREFIXES; base.py is being reworked elsewhere, so it is registered here.)
base.PREFIXES.setdefault("monitoring", "cloudwatch")


def collect(aws, region, regions) -> Out:
    trails = read(lambda: _trails(aws.client("cloudtrail", region)))
    alarms = {
        r: read(lambda r=r: list(paginate(aws.client("cloudwatch", r), "describe_alarms", "MetricAlarms")))
        for r in regions
    }
    props = {
        "multi_region_trails": trails if is_error(trails) else sorted(t["Name"] for t in trails),
        "cis_alarms": read(lambda: _cis(aws, trails, alarms)),
        "alarms_without_actions": _per_region(
            alarms, lambda r, a: [x["AlarmName"] for x in a if not x.get("AlarmActions")]
        ),
        "regions_without_security_hub": _regions(aws, regions, _hub_off),
        "regions_without_config_recorder": _regions(aws, regions, _recorder_off),
        "regions_with_high_guardduty_findings": _regions(aws, regions, _high_findings),
    }
    return Out(
        resources=[resource(aws, "aws.account_monitoring", f"monitoring:{aws.account}", aws.account, props, None)]
    )


def _trails(ct) -> list[dict]:
    """Multi-region trails (wherever their home) that are logging every management event."""
    out = []
    for t in ct.describe_trails(includeShadowTrails=True)["trailList"]:
        if not t.get("IsMultiRegionTrail"):
            continue
        arn, home = t["TrailARN"], t.get("HomeRegion")
        if ct.get_trail_status(Name=arn).get("IsLogging") and norm.records_all_management_events(
            ct.get_event_selectors(TrailName=arn)
        ):
            out.append({"Name": t["Name"], "HomeRegion": home, "LogGroup": t.get("CloudWatchLogsLogGroupArn")})
    return out


def _cis(aws, trails, alarms) -> dict:
    if is_error(trails):
        raise RuntimeError(trails["$error"])
    filters, region_alarms = [], []
    for t in trails:
        where = norm.log_group_of(t["LogGroup"])
        if where is None:
            continue
        region, group = where
        filters.extend(
            paginate(aws.client("logs", region), "describe_metric_filters", "metricFilters", logGroupName=group)
        )
        got = alarms.get(region)
        if got is None:  # the log group's region is not scanned: read its alarms too
            got = alarms[region] = read(
                lambda: list(paginate(aws.client("cloudwatch", region), "describe_alarms", "MetricAlarms"))
            )
        if is_error(got):
            raise RuntimeError(got["$error"])
        region_alarms.extend(got)
    return norm.cis_alarms(filters, region_alarms)


def _per_region(values: dict, fn):
    out = []
    for r, v in sorted(values.items()):
        if is_error(v):
            return v
        out.extend(fn(r, v))
    return sorted(out)


def _regions(aws, regions, test):
    """The scanned regions where test(aws, region) is True; an $error if any region is unknown."""
    return _per_region({r: read(lambda r=r: test(aws, r)) for r in regions}, lambda r, v: [r] if v else [])


def _hub_off(aws, region) -> bool:
    try:
        aws.client("securityhub", region).describe_hub()
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) in HUB_OFF:
            return True
        raise
    return False


def _recorder_off(aws, region) -> bool:
    st = aws.client("config", region).describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
    return not any(s.get("recording") and s.get("lastStatus") != "FAILURE" for s in st)


def _high_findings(aws, region) -> bool:
    gd = aws.client("guardduty", region)
    return any(
        gd.list_findings(DetectorId=d, FindingCriteria=HIGH, MaxResults=1).get("FindingIds")
        for d in paginate(gd, "list_detectors", "DetectorIds")
    )
