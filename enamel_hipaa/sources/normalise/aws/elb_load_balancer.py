"""aws.elb_load_balancer (classic) from ELB's DescribeLoadBalancers and
DescribeLoadBalancerAttributes shapes."""

from __future__ import annotations

from enamel_hipaa.sources.normalise.aws.elbv2_listener import is_acm_arn

SECURE = ("HTTPS", "SSL")


def classic_props(lb: dict, attributes) -> dict:
    """`attributes`: the LoadBalancerAttributes object or an $error (then both attribute
    properties are that $error: unknown, never "off")."""
    listeners = [d.get("Listener") or {} for d in lb.get("ListenerDescriptions") or []]
    secure = [li for li in listeners if str(li.get("Protocol", "")).upper() in SECURE]
    certs = sorted({li.get("SSLCertificateId") or "" for li in secure})
    if isinstance(attributes, dict) and "$error" in attributes:
        logs = cross = attributes
    else:
        logs = bool(((attributes or {}).get("AccessLog") or {}).get("Enabled"))
        cross = bool(((attributes or {}).get("CrossZoneLoadBalancing") or {}).get("Enabled"))
    return {
        "name": lb["LoadBalancerName"],
        "scheme": lb.get("Scheme"),
        "listener_protocols": sorted({str(li.get("Protocol", "")).upper() for li in listeners}),
        "tls_listeners_only": bool(listeners) and len(secure) == len(listeners),
        "certificates": certs,
        "acm_certificates_only": all(is_acm_arn(c) for c in certs),
        "access_logs": logs,
        "cross_zone": cross,
    }
