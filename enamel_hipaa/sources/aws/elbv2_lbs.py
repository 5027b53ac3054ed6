"""ELBv2 load balancers (aws.elbv2_load_balancer): access logs, deletion protection and, for
Application Load Balancers, the WAF web ACL."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, listed, paginate, read, resource
from enamel_hipaa.sources.normalise.aws.elbv2_load_balancer import load_balancer_props

SERVICE = "elbv2"
GLOBAL = False
TYPES = ("aws.elbv2_load_balancer",)
ACTIONS = (
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "wafv2:GetWebACLForResource",
)
CONDITIONAL = {
    "elasticloadbalancing:DescribeLoadBalancerAttributes": "only when a load balancer exists",
    "wafv2:GetWebACLForResource": "only when an Application Load Balancer exists",
}


def collect(aws, region, regions) -> Out:
    out = Out()
    elb = aws.client("elbv2", region)
    for lb in (
        listed(out, aws, SERVICE, region, TYPES, lambda: paginate(elb, "describe_load_balancers", "LoadBalancers"))
        or []
    ):
        arn = lb["LoadBalancerArn"]
        attrs = read(lambda: elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"])
        acl = None
        if lb.get("Type", "application") == "application":
            acl = read(
                lambda: (aws.client("wafv2", region).get_web_acl_for_resource(ResourceArn=arn).get("WebACL") or {}).get(
                    "ARN"
                )
            )
        out.resources.append(
            resource(
                aws,
                "aws.elbv2_load_balancer",
                arn,
                lb.get("LoadBalancerName", arn),
                load_balancer_props(lb, attrs, acl),
                region,
            )
        )
    return out
