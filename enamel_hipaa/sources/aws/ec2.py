"""EC2: security groups (aws.ec2_security_group), EBS volumes (aws.ebs_volume), snapshots
(aws.ebs_snapshot) and AMIs (aws.ec2_image) owned by the account, with public sharing."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, paginate, read, resource, tag_dict
from enamel_hipaa.sources.normalise.aws import ec2_security_group

SERVICE = "ec2"
GLOBAL = False
TYPES = ("aws.ec2_security_group", "aws.ebs_volume", "aws.ebs_snapshot", "aws.ec2_image")
ACTIONS = (
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeVolumes",
    "ec2:DescribeSnapshots",
    "ec2:DescribeSnapshotAttribute",
    "ec2:DescribeImages",
    "elasticloadbalancing:DescribeLoadBalancers",
)
CONDITIONAL = {}


def collect(aws, region, regions) -> Out:
    out = Out()
    ec2 = aws.client("ec2", region)
    for type_, fn in (
        ("aws.ec2_security_group", _groups),
        ("aws.ebs_volume", _volumes),
        ("aws.ebs_snapshot", _snapshots),
        ("aws.ec2_image", _images),
    ):
        try:
            out.resources.extend(fn(aws, ec2, region))
        except Exception as exc:  # noqa: BLE001 - this kind failed; the others still count
            out.fail(SERVICE, region, aws.account, (type_,), exc)
    return out


def _name(item, fallback):
    return tag_dict(item.get("Tags")).get("Name") or fallback


def _groups(aws, ec2, region):
    # which groups front a load balancer (the internet-ingress allow-list): unknown -> $error
    on_lb = read(
        lambda: {
            sg
            for lb in paginate(aws.client("elbv2", region), "describe_load_balancers", "LoadBalancers")
            for sg in lb.get("SecurityGroups") or []
        }
    )
    for g in paginate(ec2, "describe_security_groups", "SecurityGroups"):
        props = ec2_security_group.properties(g)
        props["attached_to_load_balancer"] = on_lb if isinstance(on_lb, dict) else g["GroupId"] in on_lb
        arn = f"arn:aws:ec2:{region}:{aws.account}:security-group/{g['GroupId']}"
        yield resource(aws, "aws.ec2_security_group", arn, _name(g, g.get("GroupName", g["GroupId"])), props, region)


def _volumes(aws, ec2, region):
    for v in paginate(ec2, "describe_volumes", "Volumes"):
        arn = f"arn:aws:ec2:{region}:{aws.account}:volume/{v['VolumeId']}"
        props = {
            "arn": arn,
            "tags": tag_dict(v.get("Tags")),
            "encrypted": bool(v.get("Encrypted")),
            "kms_key_id": v.get("KmsKeyId"),
            "state": v.get("State"),
            "attached": bool(v.get("Attachments")),
        }
        yield resource(aws, "aws.ebs_volume", arn, _name(v, v["VolumeId"]), props, region)


def _snapshots(aws, ec2, region):
    for s in paginate(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"]):
        sid = s["SnapshotId"]
        arn = f"arn:aws:ec2:{region}::snapshot/{sid}"
        perms = read(
            lambda: ec2.describe_snapshot_attribute(SnapshotId=sid, Attribute="createVolumePermission").get(
                "CreateVolumePermissions", []
            )
        )
        if isinstance(perms, dict):  # $error: sharing unknown, never "private"
            public = shared = perms
        else:
            public = any(p.get("Group") == "all" for p in perms)
            shared = sorted({p["UserId"] for p in perms if p.get("UserId")})
        props = {
            "arn": arn,
            "tags": tag_dict(s.get("Tags")),
            "encrypted": bool(s.get("Encrypted")),
            "kms_key_id": s.get("KmsKeyId"),
            "public": public,
            "shared_with_accounts": shared,
        }
        yield resource(aws, "aws.ebs_snapshot", arn, _name(s, sid), props, region)


def _images(aws, ec2, region):
    for i in paginate(ec2, "describe_images", "Images", Owners=["self"]):
        iid = i["ImageId"]
        arn = f"arn:aws:ec2:{region}::image/{iid}"
        ebs = [m["Ebs"] for m in i.get("BlockDeviceMappings") or [] if "Ebs" in m]
        props = {
            "arn": arn,
            "tags": tag_dict(i.get("Tags")),
            "public": bool(i.get("Public")),
            "encrypted": bool(ebs) and all(bool(e.get("Encrypted")) for e in ebs),
        }
        yield resource(aws, "aws.ec2_image", arn, _name(i, i.get("Name") or iid), props, region)
