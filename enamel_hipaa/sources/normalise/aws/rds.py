"""aws.rds_instance, aws.rds_cluster and aws.rds_snapshot from RDS's Describe* shapes, and
the TLS-enforcing parameters of a DB parameter group."""

from __future__ import annotations


def tag_dict(tags) -> dict:
    """[{Key, Value}] -> {key: value}."""
    return {t["Key"]: str(t.get("Value", "")) for t in tags or [] if "Key" in t}


# parameter -> value that forces TLS (PostgreSQL / SQL Server; MySQL / MariaDB)
TLS_PARAMETERS = {"rds.force_ssl": ("1", "true", "on"), "require_secure_transport": ("1", "on", "true")}


def forces_tls(parameters: list[dict]) -> bool:
    """Whether a parameter group (DescribeDBParameters' Parameters) forces TLS connections."""
    for p in parameters:
        name = p.get("ParameterName")
        if name in TLS_PARAMETERS and str(p.get("ParameterValue", "")).strip().lower() in TLS_PARAMETERS[name]:
            return True
    return False


def instance_props(d: dict, force_ssl) -> dict:
    """`force_ssl`: forces_tls() of the instance's parameter group (or an $error value)."""
    return {
        "arn": d["DBInstanceArn"],
        "tags": tag_dict(d.get("TagList")),
        "engine": d.get("Engine"),
        "storage_encrypted": bool(d.get("StorageEncrypted")),
        "kms_key_id": d.get("KmsKeyId"),
        "publicly_accessible": bool(d.get("PubliclyAccessible")),
        "backup_retention_days": int(d.get("BackupRetentionPeriod") or 0),
        "deletion_protection": bool(d.get("DeletionProtection")),
        "multi_az": bool(d.get("MultiAZ")),
        "cluster_member": bool(d.get("DBClusterIdentifier")),
        "iam_auth": bool(d.get("IAMDatabaseAuthenticationEnabled")),
        "log_exports": sorted(d.get("EnabledCloudwatchLogsExports") or []),
        "auto_minor_version_upgrade": bool(d.get("AutoMinorVersionUpgrade")),
        "enhanced_monitoring_interval": int(d.get("MonitoringInterval") or 0),
        "force_ssl": force_ssl,
    }


def cluster_props(c: dict) -> dict:
    return {
        "arn": c["DBClusterArn"],
        "tags": tag_dict(c.get("TagList")),
        "engine": c.get("Engine"),
        "storage_encrypted": bool(c.get("StorageEncrypted")),
        "kms_key_id": c.get("KmsKeyId"),
        "deletion_protection": bool(c.get("DeletionProtection")),
        "multi_az": bool(c.get("MultiAZ")),
        "backup_retention_days": int(c.get("BackupRetentionPeriod") or 0),
        "iam_auth": bool(c.get("IAMDatabaseAuthenticationEnabled")),
        "log_exports": sorted(c.get("EnabledCloudwatchLogsExports") or []),
    }


def snapshot_props(s: dict, restore_accounts) -> dict:
    """`restore_accounts`: the snapshot's "restore" attribute values ("all" = public), or an $error."""
    arn = s.get("DBSnapshotArn") or s.get("DBClusterSnapshotArn")
    if isinstance(restore_accounts, dict):
        public = shared = restore_accounts
    else:
        public = "all" in restore_accounts
        shared = sorted(a for a in restore_accounts if a != "all")
    return {
        "arn": arn,
        "tags": tag_dict(s.get("TagList")),
        "encrypted": bool(s.get("Encrypted")),
        "kms_key_id": s.get("KmsKeyId"),
        "public": public,
        "shared_with_accounts": shared,
        "cluster_snapshot": "DBClusterSnapshotArn" in s,
    }


def default_forces_tls(engine, version) -> bool | None:
    """Whether an engine's default parameter group forces TLS, from the engine (or a parameter
    group family such as "postgres16") and its version; None when Enamel does not know it.
    RDS documentation: rds.force_ssl defaults to 1 from PostgreSQL 15, 0 before it; SQL Server's
    rds.force_ssl and MySQL 5.7/8.0's require_secure_transport default to off."""
    engine = str(engine or "").lower()
    version = str(version or "")
    digits = "".join(c for c in engine if c.isdigit() or c == ".") if not version else version
    major = digits.split(".")[0]
    if engine.startswith("postgres") and major.isdigit():
        return int(major) >= 15
    if engine.startswith("sqlserver"):
        return False
    if engine.startswith("mysql") and digits[:3] in ("5.7", "8.0"):
        return False
    return None


def planned_forces_tls(parameters, engine, version):
    """force_ssl of a planned parameter group: `parameters` {name: value} as declared (the
    rest take the family's defaults); None = the engine's default group."""
    declared = {k: v for k, v in (parameters or {}).items() if k in TLS_PARAMETERS}
    if declared:
        return any(str(v).strip().lower() in TLS_PARAMETERS[k] for k, v in declared.items())
    return default_forces_tls(engine, version)
