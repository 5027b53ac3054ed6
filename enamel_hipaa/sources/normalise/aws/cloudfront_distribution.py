"""aws.cloudfront_distribution from a DistributionConfig: the API's shape (lists as
{Quantity, Items}) and CloudFormation's (plain lists) alike.

With the default *.cloudfront.net certificate CloudFront accepts TLSv1 whatever the
configuration says, so the effective floor is then "TLSv1"."""

from __future__ import annotations

HTTPS_VIEWER = ("redirect-to-https", "https-only")
# viewer security policies at least as strict as TLSv1.2_2021
MODERN_TLS = ("TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025")


def _items(value) -> list:
    if isinstance(value, dict):
        return list(value.get("Items") or [])
    return list(value or [])


def distribution_props(config: dict, arn: str) -> dict:
    behaviours = [config.get("DefaultCacheBehavior") or {}] + _items(config.get("CacheBehaviors"))
    viewer = [str(b.get("ViewerProtocolPolicy") or "allow-all") for b in behaviours]
    origins = _items(config.get("Origins"))
    custom = [
        str((o.get("CustomOriginConfig") or {}).get("OriginProtocolPolicy") or "http-only")
        for o in origins
        if o.get("CustomOriginConfig") is not None
    ]
    cert = config.get("ViewerCertificate") or {}
    own = any(cert.get(k) for k in ("ACMCertificateArn", "AcmCertificateArn", "IAMCertificateId", "IamCertificateId"))
    default_cert = not own
    floor = "TLSv1" if default_cert else (cert.get("MinimumProtocolVersion") or "TLSv1")
    logging = config.get("Logging") or {}
    return {
        "arn": arn,
        "enabled": bool(config.get("Enabled", True)),
        "viewer_protocol_policies": viewer,
        "https_only": all(v in HTTPS_VIEWER for v in viewer),
        "minimum_protocol_version": floor,
        "default_certificate": default_cert,
        "modern_tls": floor in MODERN_TLS,
        "custom_origin_protocol_policies": custom,
        "origins_https_only": all(p == "https-only" for p in custom),
        # the API says Enabled; CloudFormation's Logging has no such key (present = on)
        "access_logging": bool(logging.get("Enabled", True)) and bool(logging.get("Bucket")),
        "web_acl": config.get("WebACLId") or None,
    }
