"""ELBv2 listeners (aws.elbv2_listener): protocol, HTTP->HTTPS redirect, TLS policy floor,
certificates (DescribeListenerCertificates: DescribeListeners names only the default one, not the
SNI certificates added to the listener)."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, paginate, read, resource
from enamel_hipaa.sources.normalise.aws.elbv2_listener import certificate_props

SERVICE = "elbv2"
GLOBAL = False
TYPES = ("aws.elbv2_listener",)
ACTIONS = (
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeSSLPolicies",
    "elasticloadbalancing:DescribeListenerCertificates",
)
CONDITIONAL = {
    "elasticloadbalancing:DescribeSSLPolicies": "only when a TLS listener exists",
    "elasticloadbalancing:DescribeListenerCertificates": "once per HTTPS/TLS listener",
}
SECURE = ("HTTPS", "TLS")
TLS_ORDER = {"SSLv3": "0.3", "TLSv1": "1.0", "TLSv1.1": "1.1", "TLSv1.2": "1.2", "TLSv1.3": "1.3"}


def collect(aws, region, regions) -> Out:
    out = Out()
    elb = aws.client("elbv2", region)
    try:
        lbs = list(paginate(elb, "describe_load_balancers", "LoadBalancers"))
        listeners = [
            (lb, li)
            for lb in lbs
            for li in paginate(elb, "describe_listeners", "Listeners", LoadBalancerArn=lb["LoadBalancerArn"])
        ]
    except Exception as exc:  # noqa: BLE001
        out.fail(SERVICE, region, aws.account, TYPES, exc)
        return out
    floors = None
    if any(li.get("SslPolicy") for _, li in listeners):
        floors = read(lambda: policy_floors(paginate(elb, "describe_ssl_policies", "SslPolicies")))
    for lb, li in listeners:
        policy = li.get("SslPolicy")
        if not policy:
            floor = None
        elif isinstance(floors, dict) and "$error" in floors:
            floor = floors
        else:
            floor = floors.get(policy, {"$error": f"TLS policy {policy} not listed by DescribeSSLPolicies"})
        props = {
            "arn": li["ListenerArn"],
            "load_balancer_arn": lb["LoadBalancerArn"],
            "load_balancer_scheme": lb.get("Scheme"),
            "protocol": li.get("Protocol"),
            "port": li.get("Port"),
            "ssl_policy": policy,
            "min_tls_version": floor,
            "redirects_to_https": any(
                a.get("Type") == "redirect" and (a.get("RedirectConfig") or {}).get("Protocol") == "HTTPS"
                for a in li.get("DefaultActions") or []
            ),
            **certificate_props(certificates(elb, li)),
        }
        name = f"{lb.get('LoadBalancerName')}:{li.get('Port')}"
        out.resources.append(resource(aws, "aws.elbv2_listener", li["ListenerArn"], name, props, region))
    return out


def policy_floors(policies) -> dict:
    """policy name -> lowest TLS version it accepts ("1.0", "1.2", ...)."""
    out = {}
    for p in policies:
        versions = sorted(TLS_ORDER[v] for v in p.get("SslProtocols") or [] if v in TLS_ORDER)
        if versions:
            out[p["Name"]] = versions[0]
    return out


def certificates(elb, li: dict):
    """Every certificate ARN of a TLS listener (default and SNI), [] without TLS, or an $error."""
    if li.get("Protocol") not in SECURE:
        return [c.get("CertificateArn") for c in li.get("Certificates") or []]
    got = read(
        lambda: [
            c.get("CertificateArn")
            for c in paginate(elb, "describe_listener_certificates", "Certificates", ListenerArn=li["ListenerArn"])
        ]
    )
    return got if isinstance(got, dict) else [c.get("CertificateArn") for c in li.get("Certificates") or []] + got
