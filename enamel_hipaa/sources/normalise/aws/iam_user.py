"""aws.iam_user: one IAM user's credentials, from a credential-report row (the CSV's column
names are AWS's; a Terraform/CloudFormation source has no usage data and leaves the
activity dates null, which the unused-credential rules read as unknown, never as used)."""

from __future__ import annotations


def when(v: str | None) -> str | None:
    """A report date, or None for the report's 'no date' spellings."""
    return None if v in (None, "", "N/A", "no_information", "not_supported") else v


def user_props(row: dict) -> dict:
    """Credential-report row -> properties.

    `console_last_activity`: the last console sign-in, or for a password never used the
    day it was set (so a never-used password older than N days counts as unused, as AWS
    Config's IAM_USER_UNUSED_CREDENTIALS_CHECK does). Each key's `last_activity` is its
    last use, or its creation for a key never used."""
    keys = []
    for i in (1, 2):
        created = when(row.get(f"access_key_{i}_last_rotated"))
        if created is None:
            continue
        used = when(row.get(f"access_key_{i}_last_used_date"))
        keys.append(
            {
                "id": f"access_key_{i}",
                "active": row.get(f"access_key_{i}_active") == "true",
                "created": created,
                "last_used": used,
                "last_activity": used or created,
            }
        )
    console = row.get("password_enabled") == "true"
    last_used = when(row.get("password_last_used"))
    set_on = when(row.get("password_last_changed")) or when(row.get("user_creation_time"))
    return {
        "arn": row["arn"],
        "console_access": console,
        "mfa_enabled": row.get("mfa_active") == "true",
        "password_last_used": last_used,
        "console_last_activity": (last_used or set_on) if console else None,
        "access_keys": keys,
    }
