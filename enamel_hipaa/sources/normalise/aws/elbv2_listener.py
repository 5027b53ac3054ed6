"""aws.elbv2_listener certificate properties, one derivation for every source: live
DescribeListeners' `Certificates`, and the Pulumi/Terraform/CloudFormation listener's
`certificateArn` (Terraform and CloudFormation arrive as Pulumi-shaped records)."""

from __future__ import annotations


def is_acm_arn(arn) -> bool:
    """An ACM certificate ARN in any partition (arn:aws:acm:..., arn:aws-us-gov:acm:...); an IAM
    server certificate is arn:<partition>:iam::<account>:server-certificate/<name>."""
    parts = str(arn or "").split(":")
    return len(parts) > 5 and parts[0] == "arn" and parts[2] == "acm"


def certificate_props(certs) -> dict:
    """`certs`: the listener's certificate ARNs, or one marker ($unknown/$error) standing for them
    all (then both properties are that marker: unknown, never a pass). No certificate: an empty
    list and acm_certificates_only true, as for the classic load balancer (the rule only judges
    HTTPS/TLS listeners, which AWS refuses to create without one)."""
    if isinstance(certs, dict):
        return {"certificates": certs, "acm_certificates_only": certs}
    marker = next((c for c in certs if isinstance(c, dict)), None)
    if marker is not None:
        return {"certificates": marker, "acm_certificates_only": marker}
    arns = sorted({str(c) for c in certs if c})
    return {"certificates": arns, "acm_certificates_only": all(is_acm_arn(c) for c in arns)}
