"""aws.secret from Secrets Manager's ListSecrets shape (no secret value is ever read)."""

from __future__ import annotations

AWS_MANAGED = ("alias/aws/secretsmanager",)


def secret_props(s: dict, tags: dict) -> dict:
    key = s.get("KmsKeyId")
    return {
        "arn": s["ARN"],
        "tags": tags,
        "rotation_enabled": bool(s.get("RotationEnabled")),
        "rotation_days": (s.get("RotationRules") or {}).get("AutomaticallyAfterDays"),
        "kms_key_id": key,
        "customer_managed_key": bool(key) and not str(key).endswith(AWS_MANAGED),
    }
