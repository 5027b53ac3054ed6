"""Backup completeness (aws.backup_coverage, one per region): the EBS volumes, EC2 instances,
RDS instances, Aurora clusters and EFS file systems no backup plan selects (union over all
plans' selections), and how many plans exist. Any listing or selection that cannot be read
makes the affected lists $error values: a resource is never assumed covered."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, paginate, read, resource, tag_dict
from enamel_hipaa.sources.normalise.aws.backup_coverage import coverage_props

SERVICE = "backup"
GLOBAL = False
TYPES = ("aws.backup_coverage",)
ACTIONS = (
    "backup:ListBackupPlans",
    "backup:ListBackupSelections",
    "backup:GetBackupSelection",
    "ec2:DescribeVolumes",
    "ec2:DescribeInstances",
    "rds:DescribeDBInstances",
    "rds:DescribeDBClusters",
    "elasticfilesystem:DescribeFileSystems",
)
CONDITIONAL = {}
KINDS = ("ebs_volumes", "ec2_instances", "rds_instances", "rds_clusters", "efs_file_systems")


def collect(aws, region, regions) -> Out:
    bk = aws.client("backup", region)
    plans = read(lambda: [p["BackupPlanId"] for p in paginate(bk, "list_backup_plans", "BackupPlansList")])
    selections = (
        plans
        if isinstance(plans, dict)
        else read(
            lambda: [
                bk.get_backup_selection(BackupPlanId=pid, SelectionId=s["SelectionId"])["BackupSelection"]
                for pid in plans
                for s in paginate(bk, "list_backup_selections", "BackupSelectionsList", BackupPlanId=pid)
            ]
        )
    )
    listed = {kind: read(lambda kind=kind: list(_LIST[kind](aws, region))) for kind in KINDS}
    props = {"plans": plans if isinstance(plans, dict) else len(plans)}
    for kind, items in listed.items():
        if isinstance(items, dict):
            props[f"uncovered_{kind}"] = items
        elif isinstance(selections, dict):
            props[f"uncovered_{kind}"] = selections if items else []
        else:
            props[f"uncovered_{kind}"] = coverage_props(0, selections, {kind: items})[f"uncovered_{kind}"]
    return Out(
        resources=[
            resource(aws, "aws.backup_coverage", f"backup-coverage:{aws.account}:{region}", region, props, region)
        ]
    )


def _volumes(aws, region):
    for v in paginate(aws.client("ec2", region), "describe_volumes", "Volumes"):
        tags = tag_dict(v.get("Tags"))
        yield f"arn:aws:ec2:{region}:{aws.account}:volume/{v['VolumeId']}", tags.get("Name") or v["VolumeId"], tags


def _instances(aws, region):
    for r in paginate(aws.client("ec2", region), "describe_instances", "Reservations"):
        for i in r.get("Instances") or []:
            if (i.get("State") or {}).get("Name") in ("terminated", "shutting-down"):
                continue
            tags = tag_dict(i.get("Tags"))
            yield (
                f"arn:aws:ec2:{region}:{aws.account}:instance/{i['InstanceId']}",
                tags.get("Name") or i["InstanceId"],
                tags,
            )


def _dbs(aws, region):
    for d in paginate(aws.client("rds", region), "describe_db_instances", "DBInstances"):
        if not d.get("DBClusterIdentifier"):  # Aurora members are backed up with their cluster
            yield d["DBInstanceArn"], d["DBInstanceIdentifier"], tag_dict(d.get("TagList"))


def _clusters(aws, region):
    for c in paginate(aws.client("rds", region), "describe_db_clusters", "DBClusters"):
        yield c["DBClusterArn"], c["DBClusterIdentifier"], tag_dict(c.get("TagList"))


def _efs(aws, region):
    for f in paginate(aws.client("efs", region), "describe_file_systems", "FileSystems"):
        tags = tag_dict(f.get("Tags"))
        arn = (
            f.get("FileSystemArn")
            or f"arn:aws:elasticfilesystem:{region}:{aws.account}:file-system/{f['FileSystemId']}"
        )
        yield arn, tags.get("Name") or f["FileSystemId"], tags


_LIST = {
    "ebs_volumes": _volumes,
    "ec2_instances": _instances,
    "rds_instances": _dbs,
    "rds_clusters": _clusters,
    "efs_file_systems": _efs,
}
