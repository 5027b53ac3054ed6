"""AccountBaseline: the account-wide controls an imaging archive relies on: the IAM password
policy, an MFA-required policy for human roles, GuardDuty, EBS encryption by default, the
account-level S3 public access block, and an AWS Backup vault (KMS, vault lock) with a plan
covering the archive."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from ._iam import service_role

from .phi_key import PhiKey, PhiKeyArgs

MFA_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyAllWithoutMfa",
                "Effect": "Deny",
                "NotAction": ["iam:ChangePassword", "iam:GetUser", "sts:GetSessionToken"],
                "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            }
        ],
    },
    sort_keys=True,
)


@dataclass
class AccountBaselineArgs:
    backup_resource_arns: Sequence[pulumi.Input[str]] = field(default_factory=list)
    backup_kms_key_arn: Optional[pulumi.Input[str]] = None  # default: a new PhiKey
    human_role_principals: Sequence[str] = field(default_factory=list)  # who may assume the imaging role
    password_max_age_days: int = 90
    backup_retention_days: int = 35
    vault_min_retention_days: int = 7
    vault_max_retention_days: int = 3650
    extra_regions: Sequence[str] = field(default_factory=list)  # GuardDuty + EBS default encryption there too
    dr_region: str = "us-west-2"  # where backups are copied (3-2-1: a copy off the primary region)
    # weakenings (explicit only)
    human_role_requires_mfa: bool = True
    min_password_length: int = 14
    password_reuse_prevention: int = 24
    guardduty: bool = True
    ebs_encryption_by_default: bool = True
    account_public_access_block: bool = True
    vault_lock: bool = True
    backup_copy_to_dr: bool = True


class AccountBaseline(pulumi.ComponentResource):
    backup_vault_arn: pulumi.Output[str]
    human_role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: Optional[AccountBaselineArgs] = None, opts: Optional[pulumi.ResourceOptions] = None
    ):
        super().__init__("enamel:imaging:AccountBaseline", name, None, opts)
        args = args or AccountBaselineArgs()
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        aws.iam.AccountPasswordPolicy(
            f"{name}-password-policy",
            minimum_password_length=args.min_password_length,
            password_reuse_prevention=args.password_reuse_prevention,
            max_password_age=args.password_max_age_days,
            require_symbols=True,
            require_numbers=True,
            require_uppercase_characters=True,
            require_lowercase_characters=True,
            allow_users_to_change_password=True,
            opts=child,
        )
        mfa = aws.iam.Policy(
            f"{name}-require-mfa", description="Deny everything without MFA", policy=MFA_POLICY, opts=child
        )
        principals = list(args.human_role_principals)
        mfa_only = (
            {"Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}} if args.human_role_requires_mfa else {}
        )
        trust = account.apply(
            lambda acct: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "sts:AssumeRole",
                            "Principal": {"AWS": principals or [f"arn:aws:iam::{acct}:root"]},
                            **mfa_only,
                        }
                    ],
                },
                sort_keys=True,
            )
        )
        human = aws.iam.Role(
            f"{name}-imaging-staff",
            assume_role_policy=trust,
            max_session_duration=3600,
            tags={"access": "human"},
            opts=child,
        )
        aws.iam.RolePolicyAttachment(f"{name}-imaging-staff-mfa", role=human.name, policy_arn=mfa.arn, opts=child)
        for region in (None, *args.extra_regions):
            suffix = f"-{region}" if region else ""
            aws.guardduty.Detector(
                f"{name}-guardduty{suffix}",
                enable=args.guardduty,
                region=region,
                finding_publishing_frequency="FIFTEEN_MINUTES",
                opts=child,
            )
            aws.ebs.EncryptionByDefault(
                f"{name}-ebs-encryption{suffix}", enabled=args.ebs_encryption_by_default, region=region, opts=child
            )
        if args.account_public_access_block:
            aws.s3.AccountPublicAccessBlock(
                f"{name}-s3-public-access-block",
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
                opts=child,
            )
        backup_key = args.backup_kms_key_arn
        if backup_key is None:
            backup_key = PhiKey(
                f"{name}-backup-key", PhiKeyArgs(description="Backup vault encryption key"), opts=child
            ).arn
        vault = aws.backup.Vault(
            f"{name}-vault", kms_key_arn=backup_key, force_destroy=False, tags={"data_class": "phi"}, opts=child
        )
        if args.vault_lock:
            aws.backup.VaultLockConfiguration(
                f"{name}-vault-lock",
                backup_vault_name=vault.name,
                min_retention_days=args.vault_min_retention_days,
                max_retention_days=args.vault_max_retention_days,
                changeable_for_days=3,
                opts=child,
            )
        if args.backup_resource_arns:  # a plan only when there is something to back up
            copies = []
            if args.backup_copy_to_dr:
                dr_key = PhiKey(
                    f"{name}-dr-backup-key",
                    PhiKeyArgs(description="DR backup vault encryption key", region=args.dr_region),
                    opts=child,
                )
                dr_vault = aws.backup.Vault(
                    f"{name}-dr-vault",
                    kms_key_arn=dr_key.arn,
                    force_destroy=False,
                    region=args.dr_region,
                    tags={"data_class": "phi"},
                    opts=child,
                )
                if args.vault_lock:
                    aws.backup.VaultLockConfiguration(
                        f"{name}-dr-vault-lock",
                        backup_vault_name=dr_vault.name,
                        min_retention_days=args.vault_min_retention_days,
                        max_retention_days=args.vault_max_retention_days,
                        changeable_for_days=3,
                        region=args.dr_region,
                        opts=child,
                    )
                copies = [
                    aws.backup.PlanRuleCopyActionArgs(
                        destination_vault_arn=dr_vault.arn,
                        lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(delete_after=args.backup_retention_days),
                    )
                ]
            plan = aws.backup.Plan(
                f"{name}-plan",
                opts=child,
                rules=[
                    aws.backup.PlanRuleArgs(
                        rule_name="daily",
                        target_vault_name=vault.name,
                        schedule="cron(0 5 * * ? *)",
                        lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=args.backup_retention_days),
                        copy_actions=copies,
                    )
                ],
            )
            role = service_role(f"{name}-backup-role", "backup.amazonaws.com", self)
            for policy in ("AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForS3Backup"):
                aws.iam.RolePolicyAttachment(
                    f"{name}-backup-{policy}",
                    role=role.name,
                    opts=child,
                    policy_arn=f"arn:aws:iam::aws:policy/service-role/{policy}"
                    if policy.endswith("ForBackup")
                    else f"arn:aws:iam::aws:policy/{policy}",
                )
            aws.backup.Selection(
                f"{name}-archive-selection",
                plan_id=plan.id,
                iam_role_arn=role.arn,
                resources=list(args.backup_resource_arns),
                opts=child,
            )
        self.backup_vault_arn = vault.arn
        self.human_role_arn = human.arn
        self.register_outputs({"backup_vault_arn": self.backup_vault_arn})
