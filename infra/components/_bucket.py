"""The hardened-bucket recipe the components share (not a component itself): a bucket with
its encryption, versioning, public access block, ownership, TLS-only policy and, when asked,
Object Lock, access logging and lifecycle, each as its own resource parented to `parent`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws


@dataclass
class BucketSpec:
    data_class: str  # phi | logs
    region: Optional[str] = None
    kms_key_arn: Optional[pulumi.Input[str]] = None  # None: SSE-S3 (log buckets for S3 access logs)
    bucket_key: bool = True
    object_lock_days: Optional[int] = None  # None: no Object Lock
    object_lock_mode: str = "COMPLIANCE"
    log_bucket: Optional[pulumi.Input[str]] = None  # server access logging target
    archive_after_days: Optional[int] = None  # lifecycle to GLACIER_IR, then DEEP_ARCHIVE
    block_public_access: bool = True
    deny_insecure_transport: bool = True
    min_tls_version: Optional[str] = "1.2"
    versioning: bool = True
    extra_statements: Sequence = field(default_factory=list)  # callables (arn, account) -> [statement]


def tls_policy(arn: str, spec: BucketSpec, extra: list) -> str:
    statements = list(extra)
    both = [arn, f"{arn}/*"]
    if spec.deny_insecure_transport:
        statements.append(
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": both,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        )
    if spec.min_tls_version:
        statements.append(
            {
                "Sid": "DenyOldTls",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": both,
                "Condition": {"NumericLessThan": {"s3:TlsVersion": spec.min_tls_version}},
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def hardened_bucket(name: str, spec: BucketSpec, parent: pulumi.Resource, account: pulumi.Input[str]) -> aws.s3.Bucket:
    opts = pulumi.ResourceOptions(parent=parent)
    r = spec.region
    bucket = aws.s3.Bucket(
        name,
        object_lock_enabled=spec.object_lock_days is not None or None,
        force_destroy=False,
        region=r,
        tags={"data_class": spec.data_class},
        opts=opts,
    )
    if spec.kms_key_arn is not None:
        default = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="aws:kms", kms_master_key_id=spec.kms_key_arn
        )
    else:
        default = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="AES256"
        )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-sse",
        bucket=bucket.id,
        region=r,
        opts=opts,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=default,
                bucket_key_enabled=spec.bucket_key if spec.kms_key_arn is not None else None,
            )
        ],
    )
    aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.id,
        region=r,
        opts=opts,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
            status="Enabled" if spec.versioning else "Suspended"
        ),
    )
    if spec.block_public_access:
        aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket.id,
            region=r,
            opts=opts,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        region=r,
        opts=opts,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
    )
    aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.id,
        region=r,
        opts=opts,
        policy=pulumi.Output.all(bucket.arn, account).apply(
            lambda v: tls_policy(v[0], spec, [s for make in spec.extra_statements for s in make(v[0], v[1])])
        ),
    )
    if spec.object_lock_days is not None:
        aws.s3.BucketObjectLockConfiguration(
            f"{name}-object-lock",
            bucket=bucket.id,
            region=r,
            opts=opts,
            rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                    mode=spec.object_lock_mode, days=spec.object_lock_days
                )
            ),
        )
    if spec.log_bucket is not None:
        aws.s3.BucketLogging(
            f"{name}-logging",
            bucket=bucket.id,
            target_bucket=spec.log_bucket,
            target_prefix="access/",
            region=r,
            opts=opts,
        )
    if spec.archive_after_days is not None:
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            region=r,
            opts=opts,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="archive-old-studies",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    transitions=[
                        aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                            days=spec.archive_after_days, storage_class="GLACIER_IR"
                        ),
                        aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                            days=spec.archive_after_days + 275, storage_class="DEEP_ARCHIVE"
                        ),
                    ],
                )
            ],
        )
    return bucket


def service_write_statement(service: str, prefix: str = ""):
    """A bucket-policy statement maker letting an AWS service (CloudTrail, S3 server access
    logging) check the bucket ACL and write log objects, for this account only."""
    sid = service.split(".")[0].title()

    def make(arn: str, account: str) -> list:
        only_us = {"StringEquals": {"aws:SourceAccount": account}}
        return [
            {
                "Sid": f"Allow{sid}AclCheck",
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "s3:GetBucketAcl",
                "Resource": arn,
                "Condition": only_us,
            },
            {
                "Sid": f"Allow{sid}Write",
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "s3:PutObject",
                "Resource": f"{arn}/{prefix}*",
                "Condition": only_us,
            },
        ]

    return make
