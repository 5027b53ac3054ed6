"""PhiKey's key policy as plain data (no Pulumi import): the account root and named admins
administer, users and AWS services (for this account only) use. infra/'s PhiKey builds its
policy here, and tests/awsstack.py provisions the same document in moto, so the live twin of
infra/ cannot drift from the program."""

from __future__ import annotations

from typing import Sequence

ADMIN_ACTIONS = [
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
]
USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
SERVICE_ACTIONS = ["kms:GenerateDataKey*", "kms:Decrypt", "kms:Encrypt", "kms:DescribeKey"]


def phi_key_statements(
    account_id: str,
    admin_arns: Sequence[str] = (),
    user_arns: Sequence[str] = (),
    service_principals: Sequence[str] = (),
) -> list[dict]:
    """The statements of a PhiKey policy (a fresh list: callers may append to it)."""
    statements = [
        {
            "Sid": "KeyAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{account_id}:root", *admin_arns]},
            "Action": list(ADMIN_ACTIONS),
            "Resource": "*",
        }
    ]
    if user_arns:
        statements.append(
            {
                "Sid": "KeyUse",
                "Effect": "Allow",
                "Principal": {"AWS": list(user_arns)},
                "Action": list(USE_ACTIONS),
                "Resource": "*",
            }
        )
    if service_principals:
        statements.append(
            {
                "Sid": "ServiceUse",
                "Effect": "Allow",
                "Principal": {"Service": list(service_principals)},
                "Action": list(SERVICE_ACTIONS),
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        )
    return statements
