"""ImagingArchive: the DICOM/X-ray bucket and its second-region replica (3-2-1 copies).

Both copies: SSE-KMS with their own region's PhiKey and a bucket key, versioning, Object
Lock with a default retention, the four public access blocks, BucketOwnerEnforced, a
TLS-1.2-only bucket policy, server access logging to a log bucket in the same region and
lifecycle to archival storage. The primary replicates to the replica and back (two-way),
so a fail-over region's writes are protected the same way."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from ._iam import service_role

from ._bucket import BucketSpec, hardened_bucket, service_write_statement
from .phi_key import PhiKey, PhiKeyArgs


@dataclass
class ImagingArchiveArgs:
    kms_key_arn: Optional[pulumi.Input[str]] = None  # default: a new PhiKey in the primary region
    key_admin_arns: tuple = ()
    key_user_arns: tuple = ()
    region: Optional[str] = None  # default: the stack's aws:region
    dr_region: str = "us-west-2"
    retention_years: int = 7
    archive_after_days: int = 90
    # weakenings (explicit only)
    object_lock: bool = True
    versioning: bool = True
    block_public_access: bool = True
    deny_insecure_transport: bool = True
    min_tls_version: Optional[str] = "1.2"
    access_logging: bool = True
    replicate: bool = True
    lifecycle_archive: bool = True
    sse_kms: bool = True
    bucket_key: bool = True


def replication_role_policy(sources: list, destinations: list, keys: list) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"], "Resource": sources},
                {
                    "Effect": "Allow",
                    "Action": [
                        "s3:GetObjectVersionForReplication",
                        "s3:GetObjectVersionAcl",
                        "s3:GetObjectVersionTagging",
                        "s3:GetObjectRetention",
                        "s3:GetObjectLegalHold",
                    ],
                    "Resource": [f"{s}/*" for s in sources],
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "s3:ReplicateObject",
                        "s3:ReplicateDelete",
                        "s3:ReplicateTags",
                        "s3:ObjectOwnerOverrideToBucketOwner",
                    ],
                    "Resource": [f"{d}/*" for d in destinations],
                },
                {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], "Resource": keys},
            ],
        },
        sort_keys=True,
    )


class ImagingArchive(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    replica_bucket_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: Optional[ImagingArchiveArgs] = None, opts: Optional[pulumi.ResourceOptions] = None
    ):
        super().__init__("enamel:imaging:ImagingArchive", name, None, opts)
        args = args or ImagingArchiveArgs()
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        key_arn = args.kms_key_arn
        if key_arn is None:
            key_arn = PhiKey(
                f"{name}-key",
                PhiKeyArgs(
                    admin_arns=list(args.key_admin_arns), user_arns=list(args.key_user_arns), region=args.region
                ),
                opts=child,
            ).arn
        replica_key = PhiKey(
            f"{name}-replica-key",
            PhiKeyArgs(admin_arns=list(args.key_admin_arns), user_arns=list(args.key_user_arns), region=args.dr_region),
            opts=child,
        )
        lock_days = args.retention_years * 365 if args.object_lock else None

        def copy(suffix: str, region: Optional[str], kms: pulumi.Input[str]):
            log_bucket = None
            if args.access_logging:
                log_bucket = hardened_bucket(
                    f"{name}-{suffix}access-logs",
                    BucketSpec(
                        data_class="logs",
                        region=region,
                        extra_statements=[service_write_statement("logging.s3.amazonaws.com", "access/")],
                    ),
                    self,
                    account,
                )
            return hardened_bucket(
                f"{name}-{suffix}images",
                BucketSpec(
                    data_class="phi",
                    region=region,
                    kms_key_arn=kms if args.sse_kms else None,
                    bucket_key=args.bucket_key,
                    object_lock_days=lock_days,
                    versioning=args.versioning,
                    log_bucket=log_bucket.id if log_bucket is not None else None,
                    archive_after_days=args.archive_after_days if args.lifecycle_archive else None,
                    block_public_access=args.block_public_access,
                    deny_insecure_transport=args.deny_insecure_transport,
                    min_tls_version=args.min_tls_version,
                ),
                self,
                account,
            )

        primary = copy("", args.region, key_arn)
        replica = copy("replica-", args.dr_region, replica_key.arn)
        if args.replicate:
            role = service_role(f"{name}-replication-role", "s3.amazonaws.com", self)
            aws.iam.RolePolicy(
                f"{name}-replication-policy",
                role=role.id,
                opts=child,
                policy=pulumi.Output.all(primary.arn, replica.arn, key_arn, replica_key.arn).apply(
                    lambda v: replication_role_policy([v[0], v[1]], [v[0], v[1]], [v[2], v[3]])
                ),
            )
            for label, src, dst, region, dst_key in (
                ("", primary, replica, args.region, replica_key.arn),
                ("replica-", replica, primary, args.dr_region, key_arn),
            ):
                aws.s3.BucketReplicationConfig(
                    f"{name}-{label}replication",
                    bucket=src.id,
                    role=role.arn,
                    region=region,
                    opts=child,
                    rules=[
                        aws.s3.BucketReplicationConfigRuleArgs(
                            id="second-region-copy",
                            status="Enabled",
                            priority=1,
                            filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
                            delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                                status="Disabled"
                            ),
                            source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                                sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                                    status="Enabled"
                                )
                            ),
                            destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                                bucket=dst.arn,
                                storage_class="STANDARD_IA",
                                encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                                    replica_kms_key_id=dst_key
                                ),
                            ),
                        )
                    ],
                )
        self.bucket_name = primary.bucket
        self.bucket_arn = primary.arn
        self.replica_bucket_arn = replica.arn
        self.kms_key_arn = pulumi.Output.from_input(key_arn)
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "replica_bucket_arn": self.replica_bucket_arn,
            }
        )
