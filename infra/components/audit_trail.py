"""AuditTrail: a multi-region CloudTrail with log file validation, KMS encryption, S3 data
events for the imaging buckets, a KMS-encrypted CloudWatch log group kept >= 6 years, and a
locked (Object Lock) log bucket."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from ._iam import service_role

from ._bucket import BucketSpec, hardened_bucket, service_write_statement
from .phi_key import PhiKey, PhiKeyArgs


@dataclass
class AuditTrailArgs:
    data_event_bucket_arns: Sequence[pulumi.Input[str]] = field(default_factory=list)
    key_admin_arns: Sequence[str] = field(default_factory=list)
    region: Optional[str] = None  # the trail's home region; default: the stack's aws:region
    log_retention_days: int = 2192  # >= 6 years (a value CloudWatch accepts)
    bucket_retention_years: int = 6
    # weakenings (explicit only)
    multi_region: bool = True
    log_file_validation: bool = True
    kms_encryption: bool = True
    data_events: bool = True
    log_group_encryption: bool = True


class AuditTrail(pulumi.ComponentResource):
    trail_arn: pulumi.Output[str]
    log_group_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: Optional[AuditTrailArgs] = None, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("enamel:imaging:AuditTrail", name, None, opts)
        args = args or AuditTrailArgs()
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        region = args.region or pulumi.Config("aws").get("region") or "us-east-1"
        key = PhiKey(
            f"{name}-key",
            PhiKeyArgs(
                admin_arns=list(args.key_admin_arns),
                data_class="logs",
                description="Audit log encryption key",
                service_principals=["cloudtrail.amazonaws.com", f"logs.{region}.amazonaws.com"],
            ),
            opts=child,
        )
        bucket = hardened_bucket(
            f"{name}-trail-logs",
            BucketSpec(
                data_class="logs",
                kms_key_arn=key.arn,
                object_lock_days=args.bucket_retention_years * 365,
                object_lock_mode="GOVERNANCE",
                extra_statements=[service_write_statement("cloudtrail.amazonaws.com")],
            ),
            self,
            account,
        )
        group = aws.cloudwatch.LogGroup(
            f"{name}-log-group",
            retention_in_days=args.log_retention_days,
            kms_key_id=key.arn if args.log_group_encryption else None,
            tags={"data_class": "logs"},
            opts=child,
        )
        role = service_role(f"{name}-cloudwatch-role", "cloudtrail.amazonaws.com", self)
        aws.iam.RolePolicy(
            f"{name}-cloudwatch-policy",
            role=role.id,
            opts=child,
            policy=group.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                                "Resource": f"{arn}:*",
                            }
                        ],
                    }
                )
            ),
        )
        selectors = None
        if args.data_events:  # the named buckets' objects, or every bucket's when none is named
            values = pulumi.Output.all(*args.data_event_bucket_arns).apply(
                lambda arns: [f"{a}/" for a in arns] or ["arn:aws:s3"]
            )
            selectors = [
                aws.cloudtrail.TrailEventSelectorArgs(
                    read_write_type="All",
                    include_management_events=True,
                    data_resources=[
                        aws.cloudtrail.TrailEventSelectorDataResourceArgs(type="AWS::S3::Object", values=values)
                    ],
                )
            ]
        trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            s3_bucket_name=bucket.id,
            is_multi_region_trail=args.multi_region,
            include_global_service_events=True,
            enable_log_file_validation=args.log_file_validation,
            kms_key_id=key.arn if args.kms_encryption else None,
            cloud_watch_logs_group_arn=group.arn.apply(lambda a: f"{a}:*"),
            cloud_watch_logs_role_arn=role.arn,
            event_selectors=selectors,
            tags={"data_class": "logs"},
            opts=child,
        )
        self.trail_arn = trail.arn
        self.log_group_arn = group.arn
        self.key_arn = key.arn
        self.register_outputs({"trail_arn": self.trail_arn})
