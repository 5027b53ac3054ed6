"""ACM certificates (aws.acm_certificate): expiry and whether something uses the certificate,
from ListCertificates' summaries (one listing per region). DescribeCertificate is called only
for a summary without NotAfter or InUse (older endpoints)."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, listed, paginate, read, resource
from enamel_hipaa.sources.normalise.aws.acm_certificate import certificate_props

SERVICE = "acm"
GLOBAL = False
TYPES = ("aws.acm_certificate",)
ACTIONS = ("acm:ListCertificates", "acm:DescribeCertificate")
CONDITIONAL = {"acm:DescribeCertificate": "only when a certificate summary lacks NotAfter or InUse"}
# every key type: ListCertificates returns only RSA-2048 certificates unless asked
KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]


def collect(aws, region, regions) -> Out:
    out = Out()
    acm = aws.client("acm", region)
    certs = listed(
        out,
        aws,
        SERVICE,
        region,
        TYPES,
        lambda: paginate(acm, "list_certificates", "CertificateSummaryList", Includes={"keyTypes": KEY_TYPES}),
    )
    for c in certs or []:
        arn = c["CertificateArn"]
        if "NotAfter" not in c or "InUse" not in c:
            c = read(lambda arn=arn: acm.describe_certificate(CertificateArn=arn)["Certificate"])
            if isinstance(c, dict) and "$error" in c:
                out.resources.append(
                    resource(aws, "aws.acm_certificate", arn, arn.rsplit("/", 1)[-1], {"arn": arn}, region, c["$error"])
                )
                continue
        props = certificate_props(c)
        out.resources.append(
            resource(aws, "aws.acm_certificate", arn, c.get("DomainName") or arn.rsplit("/", 1)[-1], props, region)
        )
    return out
