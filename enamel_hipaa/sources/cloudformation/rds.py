"""CloudFormation RDS resources -> planned-resource records (Pulumi's camelCase inputs): DB
instances, clusters and DB parameter groups (whose rds.force_ssl / require_secure_transport
decide an instance's `force_ssl`). A property left out takes AWS's documented default."""

from __future__ import annotations

from enamel_hipaa.sources.cloudformation.template import is_marker
from enamel_hipaa.sources.cloudformation.values import _b, _i, _tags


def _instance(p):
    logs = p.get("EnableCloudwatchLogsExports")
    return {
        "storageEncrypted": _b(p.get("StorageEncrypted")),
        "publiclyAccessible": _b(p.get("PubliclyAccessible")),
        "backupRetentionPeriod": _i(p.get("BackupRetentionPeriod")),
        "deletionProtection": _b(p.get("DeletionProtection")),
        "multiAz": _b(p.get("MultiAZ")),
        "engine": p.get("Engine"),
        "engineVersion": p.get("EngineVersion"),
        "kmsKeyId": p.get("KmsKeyId"),
        "replicateSourceDb": p.get("SourceDBInstanceIdentifier"),
        "tags": _tags(p.get("Tags")),
        "clusterIdentifier": p.get("DBClusterIdentifier"),
        "parameterGroupName": p.get("DBParameterGroupName"),
        "name": p.get("DBInstanceIdentifier"),
        "iamDatabaseAuthenticationEnabled": _b(p.get("EnableIAMDatabaseAuthentication")),
        "enabledCloudwatchLogsExports": logs,
        "autoMinorVersionUpgrade": _b(p.get("AutoMinorVersionUpgrade")),
        "monitoringInterval": _i(p.get("MonitoringInterval")),
    }


def _parameter_group(p):
    params = p.get("Parameters")
    return {
        "family": p.get("Family"),
        "parameters": params
        if is_marker(params)
        else [{"name": k, "value": v} for k, v in (params or {}).items()]
        if isinstance(params, dict)
        else [],
    }


CONVERT = {
    "AWS::RDS::DBInstance": ("aws:rds/instance:Instance", _instance),
    "AWS::RDS::DBCluster": (
        "aws:rds/cluster:Cluster",
        lambda p: {
            "storageEncrypted": _b(p.get("StorageEncrypted")),
            "backupRetentionPeriod": _i(p.get("BackupRetentionPeriod")),
            "deletionProtection": _b(p.get("DeletionProtection")),
            "kmsKeyId": p.get("KmsKeyId"),
        },
    ),
    "AWS::RDS::DBParameterGroup": ("aws:rds/parameterGroup:ParameterGroup", _parameter_group),
}
