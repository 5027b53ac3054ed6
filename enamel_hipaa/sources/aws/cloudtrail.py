"""CloudTrail trails (aws.cloudtrail_trail): multi-region, validation, KMS, logging, S3 data events."""
from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, listed, read, resource

SERVICE = "cloudtrail"
GLOBAL = False
TYPES = ("aws.cloudtrail_trail",)
ACTIONS = ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors")
CONDITIONAL = {}


def collect(aws, region, regions) -> Out:
    out = Out()
    ct = aws.client("cloudtrail", region)
    trails = listed(out, aws, SERVICE, region, TYPES,
                    lambda: ct.describe_trails(includeShadowTrails=False)["trailList"])
    for t in trails or []:
        arn = t["TrailARN"]
        props = {"arn": arn, "multi_region": bool(t.get("IsMultiRegionTrail")),
                 "log_file_validation": bool(t.get("LogFileValidationEnabled")),
                 "kms_key_id": t.get("KmsKeyId"), "s3_bucket": t.get("S3BucketName"),
                 "cloudwatch_log_group_arn": t.get("CloudWatchLogsLogGroupArn"),
                 "is_logging": read(lambda: bool(ct.get_trail_status(Name=arn)["IsLogging"])),
                 "data_events": read(lambda: data_events(ct.get_event_selectors(TrailName=arn)))}
        out.resources.append(resource(aws, "aws.cloudtrail_trail", arn, t["Name"], props, t.get("HomeRegion", region)))
    return out


def data_events(sel: dict) -> dict:
    """Which buckets have object-level events (classic or advanced selectors)."""
    all_buckets, buckets = False, set()
    for s in sel.get("EventSelectors") or []:
        for dr in s.get("DataResources") or []:
            if dr.get("Type") != "AWS::S3::Object":
                continue
            for v in dr.get("Values") or []:
                if v.rstrip("/") in ("arn:aws:s3", "arn:aws:s3:::"):
                    all_buckets = True
                else:
                    buckets.add(v.split(":::", 1)[-1].split("/", 1)[0])
    for s in sel.get("AdvancedEventSelectors") or []:
        fields = {f["Field"]: f for f in s.get("FieldSelectors") or []}
        if "Data" not in fields.get("eventCategory", {}).get("Equals", []) or \
                "AWS::S3::Object" not in fields.get("resources.type", {}).get("Equals", []):
            continue
        arn_sel = fields.get("resources.ARN")
        if arn_sel is None:
            all_buckets = True
            continue
        for v in arn_sel.get("StartsWith", []) + arn_sel.get("Equals", []):
            buckets.add(v.split(":::", 1)[-1].split("/", 1)[0])
    return {"s3_all_buckets": all_buckets, "s3_buckets": sorted(b for b in buckets if b)}
