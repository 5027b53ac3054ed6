"""CloudTrail trails (aws.cloudtrail_trail): multi-region, validation, KMS, logging, S3 data events."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, listed, read, resource
from enamel_hipaa.sources.normalise.aws import cloudtrail_trail

SERVICE = "cloudtrail"
GLOBAL = False
TYPES = ("aws.cloudtrail_trail",)
ACTIONS = ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors")
CONDITIONAL = {}


def collect(aws, region, regions) -> Out:
    out = Out()
    ct = aws.client("cloudtrail", region)
    trails = listed(
        out, aws, SERVICE, region, TYPES, lambda: ct.describe_trails(includeShadowTrails=False)["trailList"]
    )
    for t in trails or []:
        arn = t["TrailARN"]
        props = cloudtrail_trail.properties(
            t, read(lambda: ct.get_trail_status(Name=arn)), read(lambda: ct.get_event_selectors(TrailName=arn))
        )
        out.resources.append(resource(aws, "aws.cloudtrail_trail", arn, t["Name"], props, t.get("HomeRegion", region)))
    return out
