"""aws.cloudtrail_trail: the one derivation of a trail's Enamel properties, from the
CloudTrail API's own responses (the live collector's boto3 answers; a plan's inputs
converted to these shapes).

Input contract (boto3's shapes, PascalCase, no ResponseMetadata):
  trail      one DescribeTrails trailList entry: {"TrailARN", "Name", "IsMultiRegionTrail",
             "LogFileValidationEnabled", "KmsKeyId"?, "S3BucketName", "CloudWatchLogsLogGroupArn"?}
  status     GetTrailStatus: {"IsLogging"}
  selectors  GetEventSelectors: {"EventSelectors"?: [{"DataResources": [{"Type", "Values"}]}],
                                 "AdvancedEventSelectors"?: [{"FieldSelectors": [{"Field",
                                 "Equals"?, "StartsWith"?}]}]}
Any of them (or a value inside) may be a marker ({"$error"}/{"$unknown"}): the property
that needs it becomes that marker."""

from __future__ import annotations

from enamel_hipaa.sources.normalise.values import flag, need, prop

_ALL_BUCKETS = ("arn:aws:s3", "arn:aws:s3:::")


def log_group_arn(arn):
    """A log group ARN without the ":*" AWS appends in trail and DescribeLogGroups answers
    (so it names the same thing as aws.cloudwatch_log_group's `arn`)."""
    return arn[:-2] if isinstance(arn, str) and arn.endswith(":*") else arn


def properties(trail: dict, status, selectors) -> dict:
    return {
        "arn": trail.get("TrailARN"),
        "multi_region": flag(trail.get("IsMultiRegionTrail")),
        "log_file_validation": flag(trail.get("LogFileValidationEnabled")),
        "kms_key_id": trail.get("KmsKeyId"),
        "s3_bucket": trail.get("S3BucketName"),
        "cloudwatch_log_group_arn": log_group_arn(trail.get("CloudWatchLogsLogGroupArn")),
        "is_logging": prop(lambda: flag(need(need(status).get("IsLogging")))),
        "data_events": prop(data_events, selectors),
    }


def _bucket_of(arn: str) -> str:
    return arn.split(":::", 1)[-1].split("/", 1)[0]


def data_events(sel) -> dict:
    """Which buckets have object-level events (classic or advanced selectors)."""
    all_buckets, buckets = False, set()
    for s in need(need(sel).get("EventSelectors")) or []:
        for dr in need(s.get("DataResources")) or []:
            if need(dr.get("Type")) != "AWS::S3::Object":
                continue
            for v in need(dr.get("Values")) or []:
                v = need(v)
                if v.rstrip("/") in _ALL_BUCKETS:
                    all_buckets = True
                else:
                    buckets.add(_bucket_of(v))
    for s in need(sel.get("AdvancedEventSelectors")) or []:
        fields = {need(f.get("Field")): f for f in need(s.get("FieldSelectors")) or []}
        if "Data" not in (need((fields.get("eventCategory") or {}).get("Equals")) or []) or "AWS::S3::Object" not in (
            need((fields.get("resources.type") or {}).get("Equals")) or []
        ):
            continue
        arn_sel = fields.get("resources.ARN")
        if arn_sel is None:
            all_buckets = True
            continue
        for v in (need(arn_sel.get("StartsWith")) or []) + (need(arn_sel.get("Equals")) or []):
            buckets.add(_bucket_of(need(v)))
    return {"s3_all_buckets": all_buckets, "s3_buckets": sorted(b for b in buckets if b)}
