"""PhiKey: a customer-managed KMS key for ePHI whose policy separates key administrators
from key users. Secure with no arguments; weakening takes an explicit named argument."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from .key_policy import phi_key_statements


@dataclass
class PhiKeyArgs:
    admin_arns: Sequence[str] = field(default_factory=list)  # roles that administer the key (never decrypt)
    user_arns: Sequence[str] = field(default_factory=list)  # roles that encrypt/decrypt with it
    service_principals: Sequence[str] = field(default_factory=list)  # e.g. cloudtrail.amazonaws.com
    alias: Optional[str] = None  # default: alias/<name>
    region: Optional[str] = None  # default: the stack's region
    data_class: str = "phi"
    description: str = "Customer-managed key for dental imaging ePHI"
    # weakenings (explicit only)
    enable_rotation: bool = True
    deletion_window_days: int = 30
    allow_admins_to_use_key: bool = False


def key_policy(account_id: str, args: PhiKeyArgs) -> str:
    """The key policy: the account root and named admins administer; users and services use."""
    users = list(args.user_arns) + (list(args.admin_arns) if args.allow_admins_to_use_key else [])
    statements = phi_key_statements(account_id, args.admin_arns, users, args.service_principals)
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


class PhiKey(pulumi.ComponentResource):
    arn: pulumi.Output[str]
    key_id: pulumi.Output[str]
    alias_name: pulumi.Output[str]

    def __init__(self, name: str, args: Optional[PhiKeyArgs] = None, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("enamel:imaging:PhiKey", name, None, opts)
        args = args or PhiKeyArgs()
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=args.enable_rotation,
            deletion_window_in_days=args.deletion_window_days,
            policy=account.apply(lambda acct: key_policy(acct, args)),
            region=args.region,
            tags={"data_class": args.data_class},
            opts=child,
        )
        alias = aws.kms.Alias(
            f"{name}-alias",
            name=args.alias or f"alias/{name}",
            target_key_id=key.key_id,
            region=args.region,
            opts=child,
        )
        self.arn = key.arn
        self.key_id = key.key_id
        self.alias_name = alias.name
        self.register_outputs({"arn": self.arn, "alias_name": self.alias_name})
