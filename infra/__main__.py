"""The HIPAA-hardened dental imaging archive: composes the components from stack config.

Config (Pulumi.<stack>.yaml; see README "Stack config"): aws:region, drRegion,
retentionYears, keyAdmins, keyUsers, humanPrincipals, passwordMaxAgeDays, logRetentionDays."""

import pulumi

from components import (
    AccountBaseline,
    AccountBaselineArgs,
    AuditTrail,
    AuditTrailArgs,
    ImagingArchive,
    ImagingArchiveArgs,
    PhiKey,
    PhiKeyArgs,
    PrivateNetwork,
    PrivateNetworkArgs,
)

config = pulumi.Config()
region = pulumi.Config("aws").get("region") or "us-east-1"
key_admins = config.get_object("keyAdmins") or []
key_users = config.get_object("keyUsers") or []
dr_region = config.get("drRegion") or "us-west-2"

phi_key = PhiKey("phi", PhiKeyArgs(admin_arns=key_admins, user_arns=key_users, alias="alias/imaging-phi"))
archive = ImagingArchive(
    "xray",
    ImagingArchiveArgs(
        kms_key_arn=phi_key.arn,
        key_admin_arns=tuple(key_admins),
        key_user_arns=tuple(key_users),
        region=region,
        dr_region=dr_region,
        retention_years=config.get_int("retentionYears") or 7,
    ),
)
audit = AuditTrail(
    "audit",
    AuditTrailArgs(
        data_event_bucket_arns=[archive.bucket_arn, archive.replica_bucket_arn],
        key_admin_arns=key_admins,
        region=region,
        log_retention_days=config.get_int("logRetentionDays") or 2192,
    ),
)
network = PrivateNetwork(
    "imaging",
    PrivateNetworkArgs(allowed_bucket_arns=[archive.bucket_arn], log_kms_key_arn=audit.key_arn, region=region),
)
baseline = AccountBaseline(
    "baseline",
    AccountBaselineArgs(
        backup_resource_arns=[archive.bucket_arn],
        backup_kms_key_arn=phi_key.arn,
        extra_regions=[dr_region],
        dr_region=dr_region,
        human_role_principals=config.get_object("humanPrincipals") or [],
        password_max_age_days=config.get_int("passwordMaxAgeDays") or 90,
    ),
)

pulumi.export("archive_bucket", archive.bucket_name)
pulumi.export("replica_bucket_arn", archive.replica_bucket_arn)
pulumi.export("trail_arn", audit.trail_arn)
pulumi.export("vpc_id", network.vpc_id)
