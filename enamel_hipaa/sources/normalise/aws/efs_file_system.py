"""aws.efs_file_system from EFS's DescribeFileSystems and DescribeBackupPolicy shapes."""

from __future__ import annotations


def file_system_props(fs: dict, tags: dict, backup_status) -> dict:
    """`backup_status`: the backup policy's Status ("ENABLED", "DISABLED", ...) or an $error value."""
    enabled = backup_status if isinstance(backup_status, dict) else backup_status in ("ENABLED", "ENABLING")
    return {
        "arn": fs.get("FileSystemArn"),
        "tags": tags,
        "encrypted": bool(fs.get("Encrypted")),
        "kms_key_id": fs.get("KmsKeyId"),
        "automatic_backups": enabled,
    }
