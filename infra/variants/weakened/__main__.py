"""The imaging archive with a handful of controls switched off through the components'
explicit arguments: what the plan gate must stop. Resources are prefixed `weak-` so the
demo can show it next to infra/. Never deploy this."""

import sys
from pathlib import Path

import pulumi

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # infra/, for `components`

from components import (
    AccountBaseline,
    AccountBaselineArgs,
    AuditTrail,
    AuditTrailArgs,  # noqa: E402
    ImagingArchive,
    ImagingArchiveArgs,
    PhiKey,
    PhiKeyArgs,
    PrivateNetwork,
    PrivateNetworkArgs,
)

config = pulumi.Config()
key = PhiKey(
    "weak-phi",
    PhiKeyArgs(
        enable_rotation=False, allow_admins_to_use_key=True, admin_arns=["arn:aws:iam::123456789012:role/Admin"]
    ),
)
archive = ImagingArchive(
    "weak-xray",
    ImagingArchiveArgs(
        kms_key_arn=key.arn,
        retention_years=config.get_int("retentionYears") or 7,
        object_lock=False,
        deny_insecure_transport=False,
        min_tls_version=None,
        replicate=False,
    ),
)
audit = AuditTrail(
    "weak-audit",
    AuditTrailArgs(data_event_bucket_arns=[archive.bucket_arn], multi_region=False, log_file_validation=False),
)
PrivateNetwork(
    "weak-imaging",
    PrivateNetworkArgs(
        allowed_bucket_arns=[archive.bucket_arn],
        log_kms_key_arn=audit.key_arn,
        flow_logs=False,
        internet_gateway=True,
        restrict_s3_endpoint=False,
    ),
)
AccountBaseline(
    "weak-baseline",
    AccountBaselineArgs(
        backup_resource_arns=[archive.bucket_arn],
        backup_kms_key_arn=key.arn,
        min_password_length=8,
        guardduty=False,
        vault_lock=False,
    ),
)
pulumi.export("archive_bucket", archive.bucket_name)
