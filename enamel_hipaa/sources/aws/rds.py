"""RDS (regional): DB instances (aws.rds_instance) with the TLS setting of their parameter
group, Aurora/Multi-AZ clusters (aws.rds_cluster), and manual DB and cluster snapshots
(aws.rds_snapshot) with who may restore them."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, listed, paginate, read, resource
from enamel_hipaa.sources.normalise.aws import rds as norm

SERVICE = "rds"
GLOBAL = False
TYPES = ("aws.rds_instance", "aws.rds_cluster", "aws.rds_snapshot")
ACTIONS = (
    "rds:DescribeDBInstances",
    "rds:DescribeDBParameters",
    "rds:DescribeDBClusters",
    "rds:DescribeDBSnapshots",
    "rds:DescribeDBSnapshotAttributes",
    "rds:DescribeDBClusterSnapshots",
    "rds:DescribeDBClusterSnapshotAttributes",
)
CONDITIONAL = {
    "rds:DescribeDBParameters": "only when a DB instance exists",
    "rds:DescribeDBSnapshotAttributes": "only when a manual DB snapshot exists",
    "rds:DescribeDBClusterSnapshotAttributes": "only when a manual cluster snapshot exists",
}


def collect(aws, region, regions) -> Out:
    out = Out()
    rds = aws.client("rds", region)
    dbs = listed(
        out, aws, SERVICE, region, ("aws.rds_instance",), lambda: paginate(rds, "describe_db_instances", "DBInstances")
    )
    groups: dict[str, object] = {}  # one DescribeDBParameters per parameter group, not per instance
    for d in dbs or []:
        pg = next((g["DBParameterGroupName"] for g in d.get("DBParameterGroups") or []), None)
        if pg is not None and pg not in groups:
            groups[pg] = read(
                lambda pg=pg: norm.forces_tls(
                    paginate(rds, "describe_db_parameters", "Parameters", DBParameterGroupName=pg)
                )
            )
        props = norm.instance_props(d, groups.get(pg, {"$error": "no DB parameter group reported"}))
        out.resources.append(
            resource(aws, "aws.rds_instance", d["DBInstanceArn"], d["DBInstanceIdentifier"], props, region)
        )
    clusters = listed(
        out, aws, SERVICE, region, ("aws.rds_cluster",), lambda: paginate(rds, "describe_db_clusters", "DBClusters")
    )
    for c in clusters or []:
        out.resources.append(
            resource(aws, "aws.rds_cluster", c["DBClusterArn"], c["DBClusterIdentifier"], norm.cluster_props(c), region)
        )
    _snapshots(aws, rds, region, out)
    return out


def _snapshots(aws, rds, region, out: Out) -> None:
    for op, key, attr_op, attr_key, id_key in (
        (
            "describe_db_snapshots",
            "DBSnapshots",
            "describe_db_snapshot_attributes",
            "DBSnapshotAttributesResult",
            "DBSnapshotIdentifier",
        ),
        (
            "describe_db_cluster_snapshots",
            "DBClusterSnapshots",
            "describe_db_cluster_snapshot_attributes",
            "DBClusterSnapshotAttributesResult",
            "DBClusterSnapshotIdentifier",
        ),
    ):
        snaps = listed(
            out,
            aws,
            SERVICE,
            region,
            ("aws.rds_snapshot",),
            lambda op=op, key=key: paginate(rds, op, key, SnapshotType="manual"),
        )
        for s in snaps or []:
            sid = s[id_key]
            who = read(
                lambda sid=sid, attr_op=attr_op, attr_key=attr_key, id_key=id_key: _restore(
                    getattr(rds, attr_op)(**{id_key: sid})[attr_key]
                )
            )
            props = norm.snapshot_props(s, who)
            out.resources.append(resource(aws, "aws.rds_snapshot", props["arn"], sid, props, region))


def _restore(result: dict) -> list[str]:
    attrs = result.get("DBSnapshotAttributes") or result.get("DBClusterSnapshotAttributes") or []
    return [v for a in attrs if a.get("AttributeName") == "restore" for v in a.get("AttributeValues") or []]
