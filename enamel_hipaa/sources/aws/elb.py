"""Classic load balancers (aws.elb_load_balancer): listeners (HTTPS/SSL only, ACM certificates),
access logs and cross-zone load balancing. One DescribeLoadBalancerAttributes per balancer."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, listed, paginate, read, resource
from enamel_hipaa.sources.normalise.aws.elb_load_balancer import classic_props

SERVICE = "elb"
GLOBAL = False
TYPES = ("aws.elb_load_balancer",)
ACTIONS = ("elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes")
CONDITIONAL = {"elasticloadbalancing:DescribeLoadBalancerAttributes": "only when a load balancer exists"}


def collect(aws, region, regions) -> Out:
    out = Out()
    elb = aws.client("elb", region)
    lbs = listed(
        out, aws, SERVICE, region, TYPES, lambda: paginate(elb, "describe_load_balancers", "LoadBalancerDescriptions")
    )
    for lb in lbs or []:
        name = lb["LoadBalancerName"]
        attrs = read(
            lambda name=name: elb.describe_load_balancer_attributes(LoadBalancerName=name)["LoadBalancerAttributes"]
        )
        arn = f"arn:aws:elasticloadbalancing:{region}:{aws.account}:loadbalancer/{name}"
        out.resources.append(resource(aws, "aws.elb_load_balancer", arn, name, classic_props(lb, attrs), region))
    return out
