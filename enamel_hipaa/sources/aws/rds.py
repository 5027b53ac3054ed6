"""RDS DB instances (aws.rds_instance): encryption, public access, backups, deletion protection."""
from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, listed, paginate, resource, tag_dict

SERVICE = "rds"
GLOBAL = False
TYPES = ("aws.rds_instance",)
ACTIONS = ("rds:DescribeDBInstances",)
CONDITIONAL = {}


def collect(aws, region, regions) -> Out:
    out = Out()
    dbs = listed(out, aws, SERVICE, region, TYPES,
                 lambda: paginate(aws.client("rds", region), "describe_db_instances", "DBInstances"))
    for d in dbs or []:
        props = {"arn": d["DBInstanceArn"], "tags": tag_dict(d.get("TagList")), "engine": d.get("Engine"),
                 "storage_encrypted": bool(d.get("StorageEncrypted")), "kms_key_id": d.get("KmsKeyId"),
                 "publicly_accessible": bool(d.get("PubliclyAccessible")),
                 "backup_retention_days": int(d.get("BackupRetentionPeriod") or 0),
                 "deletion_protection": bool(d.get("DeletionProtection")), "multi_az": bool(d.get("MultiAZ"))}
        out.resources.append(resource(aws, "aws.rds_instance", d["DBInstanceArn"], d["DBInstanceIdentifier"],
                                      props, region))
    return out
