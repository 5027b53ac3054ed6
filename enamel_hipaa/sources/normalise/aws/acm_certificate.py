"""aws.acm_certificate from ACM's CertificateSummary / CertificateDetail shapes."""

from __future__ import annotations


def certificate_props(c: dict) -> dict:
    """`InUse` (summary) or `InUseBy` (detail) say whether a load balancer, CloudFront
    distribution or API uses the certificate."""
    in_use = c["InUse"] if "InUse" in c else bool(c.get("InUseBy"))
    return {
        "arn": c["CertificateArn"],
        "domain_name": c.get("DomainName"),
        "status": c.get("Status"),
        "type": c.get("Type"),
        "not_after": _iso(c.get("NotAfter")),
        "in_use": bool(in_use),
    }


def _iso(value):
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
