"""aws.elbv2_load_balancer from ELBv2's DescribeLoadBalancers and DescribeLoadBalancerAttributes
shapes, and WAFv2's GetWebACLForResource."""

from __future__ import annotations


def load_balancer_props(lb: dict, attributes, web_acl) -> dict:
    """`attributes`: [{Key, Value}] or an $error; `web_acl`: the WebACL's ARN, None, or an $error
    (a Network/Gateway load balancer cannot have a web ACL: None)."""
    if isinstance(attributes, dict):
        logs = deletion = attributes
    else:
        a = {x.get("Key"): str(x.get("Value", "")).lower() for x in attributes}
        logs, deletion = a.get("access_logs.s3.enabled") == "true", a.get("deletion_protection.enabled") == "true"
    lb_type = lb.get("Type", "application")
    return {
        "arn": lb["LoadBalancerArn"],
        "type": lb_type,
        "scheme": lb.get("Scheme"),
        "access_logs": logs,
        "deletion_protection": deletion,
        "web_acl": web_acl if isinstance(web_acl, dict) or lb_type == "application" else None,
        "security_groups": sorted(lb.get("SecurityGroups") or []),
    }
