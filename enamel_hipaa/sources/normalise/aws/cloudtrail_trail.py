"""aws.cloudtrail_trail: the one derivation of a trail's Enamel properties, from the
CloudTrail API's own responses (the live collector's boto3 answers; a plan's inputs
converted to these shapes).

Input contract (boto3's shapes, PascalCase, no ResponseMetadata):
  trail      one DescribeTrails trailList entry: {"TrailARN", "Name", "IsMultiRegionTrail",
             "LogFileValidationEnabled", "KmsKeyId"?, "S3BucketName", "CloudWatchLogsLogGroupArn"?}
  status     GetTrailStatus: {"IsLogging"}
  selectors  GetEventSelectors: {"EventSelectors"?: [{"DataResources": [{"Type", "Values"}]}],
                                 "ReadWriteType"?}], "AdvancedEventSelectors"?: [{"FieldSelectors":
                                 [{"Field", "Equals"?, "StartsWith"?, "NotEquals"?}]}]}
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
    """Which buckets have object-level events (classic or advanced selectors): any kind
    (`s3_all_buckets`, `s3_buckets`), and separately read events (`read`) and write events
    (`write`), each {"all_buckets", "buckets"}. A classic selector's ReadWriteType (All when
    unset) and an advanced selector's `readOnly` field decide which; an advanced selector
    that also filters by event name, source or anything else Enamel does not model records
    only some calls, so it counts for neither read nor write."""
    any_kind, kinds = _Cover(), {"read": _Cover(), "write": _Cover()}
    for s in need(need(sel).get("EventSelectors")) or []:
        rw = need(s.get("ReadWriteType")) or "All"
        which = {"All": ("read", "write"), "ReadOnly": ("read",), "WriteOnly": ("write",)}.get(rw, ())
        for dr in need(s.get("DataResources")) or []:
            if need(dr.get("Type")) != "AWS::S3::Object":
                continue
            for v in need(dr.get("Values")) or []:
                for cover in (any_kind, *(kinds[k] for k in which)):
                    cover.add(need(v))
    for s in need(sel.get("AdvancedEventSelectors")) or []:
        fields = {need(f.get("Field")): f for f in need(s.get("FieldSelectors")) or []}
        if "Data" not in (need((fields.get("eventCategory") or {}).get("Equals")) or []) or "AWS::S3::Object" not in (
            need((fields.get("resources.type") or {}).get("Equals")) or []
        ):
            continue
        which = _advanced_kinds(fields)
        arn_sel = fields.get("resources.ARN")
        starts = [] if arn_sel is None else need(arn_sel.get("StartsWith")) or []
        equals = [] if arn_sel is None else need(arn_sel.get("Equals")) or []
        for cover in (any_kind, *(kinds[k] for k in which)):
            if arn_sel is None:
                cover.all_buckets = True
            for v in starts:  # a prefix of every object ARN (arn:aws:s3:::) covers all buckets
                cover.add(need(v))
            for v in equals:
                cover.buckets.add(_bucket_of(need(v)))
    out = {"s3_all_buckets": any_kind.all_buckets, "s3_buckets": any_kind.sorted()}
    for k, cover in kinds.items():
        out[k] = {"all_buckets": cover.all_buckets, "buckets": cover.sorted()}
    return out


_MODELLED_FIELDS = {"eventCategory", "resources.type", "resources.ARN", "readOnly"}


def _advanced_kinds(fields: dict) -> tuple[str, ...]:
    """("read", "write"), one of them, or () for an advanced S3 data selector."""
    if set(fields) - _MODELLED_FIELDS:
        return ()  # e.g. eventName: only some calls are recorded
    ro = fields.get("readOnly")
    if ro is None:
        return ("read", "write")
    keys = {k for k, v in ro.items() if k != "Field" and v not in (None, [])}
    eq, ne = (
        [str(x).lower() for x in need(ro.get("Equals")) or []],
        [str(x).lower() for x in need(ro.get("NotEquals")) or []],
    )
    if keys - {"Equals", "NotEquals"}:
        return ()
    kinds = set()
    for value, kind in (("true", "read"), ("false", "write")):
        if (not eq or value in eq) and value not in ne:
            kinds.add(kind)
    return tuple(sorted(kinds))


class _Cover:
    def __init__(self):
        self.all_buckets, self.buckets = False, set()

    def add(self, value: str) -> None:
        if value.rstrip("/") in _ALL_BUCKETS:
            self.all_buckets = True
        else:
            self.buckets.add(_bucket_of(value))

    def sorted(self) -> list[str]:
        return sorted(b for b in self.buckets if b)
