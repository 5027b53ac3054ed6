"""VPCs (aws.vpc): flow logs, internet gateway, subnets routed to it (explicitly or through the
main route table), S3 endpoint policy; their subnets (aws.subnet) and network ACLs (aws.network_acl)."""

from __future__ import annotations

from enamel_hipaa.sources.normalise.aws import policy as awspolicy
from enamel_hipaa.sources.aws.base import Out, is_error, paginate, read, resource, tag_dict
from enamel_hipaa.sources.normalise.aws import network

SERVICE = "vpc"
GLOBAL = False
TYPES = ("aws.vpc", "aws.subnet", "aws.network_acl")
ACTIONS = (
    "ec2:DescribeVpcs",
    "ec2:DescribeFlowLogs",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeRouteTables",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeSubnets",
    "ec2:DescribeNetworkAcls",
)
CONDITIONAL = {}
GONE = {"deleting", "deleted", "failed", "rejected", "expired"}


def collect(aws, region, regions) -> Out:
    out = Out()
    ec2 = aws.client("ec2", region)
    try:
        vpcs = list(paginate(ec2, "describe_vpcs", "Vpcs"))
        flows = list(paginate(ec2, "describe_flow_logs", "FlowLogs"))
        igws = list(paginate(ec2, "describe_internet_gateways", "InternetGateways"))
        tables = list(paginate(ec2, "describe_route_tables", "RouteTables"))
        subnets = list(paginate(ec2, "describe_subnets", "Subnets"))
    except Exception as exc:  # noqa: BLE001
        out.fail(SERVICE, region, aws.account, TYPES, exc)
        return out
    # only the endpoint property depends on this listing: its failure is that value's $error
    endpoints = read(lambda: list(paginate(ec2, "describe_vpc_endpoints", "VpcEndpoints")))
    igw_of = {a["VpcId"]: g["InternetGatewayId"] for g in igws for a in g.get("Attachments") or []}
    for v in vpcs:
        vid = v["VpcId"]
        active = [f for f in flows if f.get("ResourceId") == vid and f.get("FlowLogStatus", "ACTIVE") == "ACTIVE"]
        public = network.internet_routed_subnets(vid, subnets, tables)
        dest = None
        if active:
            dest = active[0].get("LogDestination") or active[0].get("LogGroupName")
        arn = f"arn:aws:ec2:{region}:{aws.account}:vpc/{vid}"
        tags = tag_dict(v.get("Tags"))
        props = {
            "arn": arn,
            "tags": tags,
            "flow_logs_enabled": bool(active),
            "flow_logs_destination": dest,
            "internet_gateway_attached": vid in igw_of,
            "public_subnet_routes": public,
            "s3_endpoint_policy_allows_all": endpoints
            if is_error(endpoints)
            else s3_endpoint_allows_all([e for e in endpoints if e.get("VpcId") == vid]),
        }
        out.resources.append(resource(aws, "aws.vpc", arn, tags.get("Name") or vid, props, region))
    for sn in subnets:
        arn, tags = (
            sn.get("SubnetArn") or f"arn:aws:ec2:{region}:{aws.account}:subnet/{sn['SubnetId']}",
            tag_dict(sn.get("Tags")),
        )
        out.resources.append(
            resource(
                aws,
                "aws.subnet",
                arn,
                tags.get("Name") or sn["SubnetId"],
                network.subnet_props(arn, sn, tables, tags),
                region,
            )
        )
    _nacls(aws, ec2, region, out)
    return out


def _nacls(aws, ec2, region, out: Out) -> None:
    try:
        acls = list(paginate(ec2, "describe_network_acls", "NetworkAcls"))
    except Exception as exc:  # noqa: BLE001 - ACLs unknown: their rules error, VPCs still count
        out.fail(SERVICE, region, aws.account, ("aws.network_acl",), exc)
        return
    for a in acls:
        arn, tags = f"arn:aws:ec2:{region}:{aws.account}:network-acl/{a['NetworkAclId']}", tag_dict(a.get("Tags"))
        out.resources.append(
            resource(
                aws,
                "aws.network_acl",
                arn,
                tags.get("Name") or a["NetworkAclId"],
                network.nacl_props(arn, a, tags),
                region,
            )
        )


def s3_endpoint_allows_all(endpoints: list[dict]) -> bool | None:
    """Whether an S3 endpoint of the VPC allows every bucket (awspolicy's reading of its
    policy document; no document = AWS's full-access default). None: no S3 endpoint, the
    same as a plan that declares none."""
    s3 = [
        e
        for e in endpoints
        if str(e.get("ServiceName", "")).endswith(".s3") and str(e.get("State", "available")).lower() not in GONE
    ]
    if not s3:
        return None
    return any(awspolicy.vpc_endpoint_policy_facts(e.get("PolicyDocument"))["allows_all"] for e in s3)
