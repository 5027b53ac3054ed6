"""CloudFront distributions (aws.cloudfront_distribution, global): viewer protocol policy on
every cache behaviour, the viewer TLS floor, origin protocol to custom origins and access
logging. ListDistributions, then one GetDistributionConfig per distribution (the summary has
no logging settings)."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, listed, read, resource
from enamel_hipaa.sources.normalise.aws.cloudfront_distribution import distribution_props

SERVICE = "cloudfront"
GLOBAL = True
TYPES = ("aws.cloudfront_distribution",)
ACTIONS = ("cloudfront:ListDistributions", "cloudfront:GetDistributionConfig")
CONDITIONAL = {"cloudfront:GetDistributionConfig": "only when a distribution exists"}


def collect(aws, region, regions) -> Out:
    out = Out()
    cf = aws.client("cloudfront", "us-east-1")
    for d in listed(out, aws, SERVICE, None, TYPES, lambda: _distributions(cf)) or []:
        did = d["Id"]
        config = read(lambda did=did: cf.get_distribution_config(Id=did)["DistributionConfig"])
        if isinstance(config, dict) and "$error" in config:
            out.resources.append(
                resource(aws, "aws.cloudfront_distribution", d["ARN"], did, {"arn": d["ARN"]}, None, config["$error"])
            )
            continue
        props = distribution_props(config, d["ARN"])
        name = (_aliases(config) or [did])[0]  # the viewer's host name says more than the id
        out.resources.append(resource(aws, "aws.cloudfront_distribution", d["ARN"], name, props, None))
    return out


def _distributions(cf):
    for page in cf.get_paginator("list_distributions").paginate():
        yield from (page.get("DistributionList") or {}).get("Items") or []


def _aliases(config: dict) -> list:
    a = config.get("Aliases") or {}
    return list(a.get("Items") or []) if isinstance(a, dict) else []
