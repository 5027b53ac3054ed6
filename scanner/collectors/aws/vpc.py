"""VPCs (aws.vpc): flow logs, internet gateway, subnets routed to it."""
from __future__ import annotations

from .base import Out, paginate, resource, tag_dict

SERVICE = "vpc"
GLOBAL = False
TYPES = ("aws.vpc",)
ACTIONS = ("ec2:DescribeVpcs", "ec2:DescribeFlowLogs", "ec2:DescribeInternetGateways",
           "ec2:DescribeRouteTables")
CONDITIONAL = {}


def collect(aws, region, regions) -> Out:
    out = Out()
    ec2 = aws.client("ec2", region)
    try:
        vpcs = list(paginate(ec2, "describe_vpcs", "Vpcs"))
        flows = list(paginate(ec2, "describe_flow_logs", "FlowLogs"))
        igws = list(paginate(ec2, "describe_internet_gateways", "InternetGateways"))
        tables = list(paginate(ec2, "describe_route_tables", "RouteTables"))
    except Exception as exc:  # noqa: BLE001
        out.fail(SERVICE, region, aws.account, TYPES, exc)
        return out
    igw_of = {a["VpcId"]: g["InternetGatewayId"] for g in igws for a in g.get("Attachments") or []}
    for v in vpcs:
        vid = v["VpcId"]
        active = [f for f in flows if f.get("ResourceId") == vid and f.get("FlowLogStatus", "ACTIVE") == "ACTIVE"]
        public = set()
        for t in tables:
            if t.get("VpcId") != vid:
                continue
            if any(r.get("DestinationCidrBlock") == "0.0.0.0/0" and str(r.get("GatewayId", "")).startswith("igw-")
                   for r in t.get("Routes") or []):
                public.update(a["SubnetId"] for a in t.get("Associations") or [] if a.get("SubnetId"))
        dest = None
        if active:
            dest = active[0].get("LogDestination") or active[0].get("LogGroupName")
        arn = f"arn:aws:ec2:{region}:{aws.account}:vpc/{vid}"
        tags = tag_dict(v.get("Tags"))
        props = {"arn": arn, "tags": tags, "flow_logs_enabled": bool(active), "flow_logs_destination": dest,
                 "internet_gateway_attached": vid in igw_of, "public_subnet_routes": sorted(public)}
        out.resources.append(resource(aws, "aws.vpc", arn, tags.get("Name") or vid, props, region))
    return out
