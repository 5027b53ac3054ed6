"""Per-region account settings (aws.ec2_region): EBS encryption by default and GuardDuty."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, paginate, read, resource

SERVICE = "ec2-settings"
GLOBAL = False
TYPES = ("aws.ec2_region",)
ACTIONS = (
    "ec2:GetEbsEncryptionByDefault",
    "ec2:GetEbsDefaultKmsKeyId",
    "guardduty:ListDetectors",
    "guardduty:GetDetector",
)
CONDITIONAL = {"ec2:GetEbsDefaultKmsKeyId": "only when EBS encryption by default is on"}


def collect(aws, region, regions) -> Out:
    ec2, gd = aws.client("ec2", region), aws.client("guardduty", region)
    on = read(lambda: bool(ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"]))
    # the default key only matters (and is only read) when encryption by default is on
    key = read(lambda: ec2.get_ebs_default_kms_key_id().get("KmsKeyId")) if on is True else None
    props = {
        "ebs_encryption_by_default": on,
        "ebs_default_kms_key_id": key,
        "guardduty_enabled": read(lambda: _guardduty(gd)),
    }
    return Out(resources=[resource(aws, "aws.ec2_region", f"{aws.account}:{region}", region, props, region)])


def _guardduty(gd) -> bool:
    return any(
        gd.get_detector(DetectorId=d).get("Status") == "ENABLED" for d in paginate(gd, "list_detectors", "DetectorIds")
    )
