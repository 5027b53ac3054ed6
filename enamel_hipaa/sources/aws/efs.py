"""EFS file systems (aws.efs_file_system): encryption at rest and automatic backups."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, listed, paginate, read, resource, tag_dict
from enamel_hipaa.sources.normalise.aws.efs_file_system import file_system_props

SERVICE = "efs"
GLOBAL = False
TYPES = ("aws.efs_file_system",)
ACTIONS = ("elasticfilesystem:DescribeFileSystems", "elasticfilesystem:DescribeBackupPolicy")
CONDITIONAL = {"elasticfilesystem:DescribeBackupPolicy": "only when a file system exists"}


def collect(aws, region, regions) -> Out:
    out = Out()
    efs = aws.client("efs", region)
    for fs in (
        listed(out, aws, SERVICE, region, TYPES, lambda: paginate(efs, "describe_file_systems", "FileSystems")) or []
    ):
        fid = fs["FileSystemId"]
        status = read(
            lambda: efs.describe_backup_policy(FileSystemId=fid)["BackupPolicy"]["Status"],
            absent={"PolicyNotFound": "DISABLED"},
        )
        tags = tag_dict(fs.get("Tags"))
        fs.setdefault("FileSystemArn", f"arn:aws:elasticfilesystem:{region}:{aws.account}:file-system/{fid}")
        out.resources.append(
            resource(
                aws,
                "aws.efs_file_system",
                fs["FileSystemArn"],
                tags.get("Name") or fid,
                file_system_props(fs, tags, status),
                region,
            )
        )
    return out
