"""aws.ec2_security_group and aws.vpc (flow logs, internet routes, S3 endpoint policy)."""

from __future__ import annotations

from collections import defaultdict

from enamel_hipaa.core.model import Resource, unknown
from enamel_hipaa.sources.normalise.aws import ec2_security_group
from enamel_hipaa.sources.normalise.aws import policy as awspolicy
from enamel_hipaa.sources.pulumi.plan import Plan, _index, _prop, _tags, is_marker, need, policy_facts


def _ranges(values, key: str, desc):
    if is_marker(values):
        return values
    return [{key: c, **desc} for c in values or []]


def ip_permission(r: dict) -> dict:
    """One Pulumi rule (inline, ec2.SecurityGroupRule or vpc.SecurityGroup*Rule) as the EC2
    API's IpPermission."""
    proto = r.get("protocol", r.get("ipProtocol", "-1"))
    perm = {"IpProtocol": proto if is_marker(proto) else str(proto)}
    if is_marker(proto) or ec2_security_group.protocol(proto) != "-1":
        perm.update(FromPort=r.get("fromPort", 0), ToPort=r.get("toPort", 0))
    desc = {"Description": r["description"]} if r.get("description") is not None else {}
    v4, v6 = r.get("cidrBlocks") or [], r.get("ipv6CidrBlocks") or []
    if r.get("cidrIpv4") is not None:
        v4 = [r["cidrIpv4"]] if not is_marker(v4) else v4
    if r.get("cidrIpv6") is not None:
        v6 = [r["cidrIpv6"]] if not is_marker(v6) else v6
    perm["IpRanges"], perm["Ipv6Ranges"] = _ranges(v4, "CidrIp", desc), _ranges(v6, "CidrIpv6", desc)
    if not v4 and not v6:  # a group, prefix list or self reference: one item without a CIDR
        perm["UserIdGroupPairs"] = [
            {"GroupId": r.get("sourceSecurityGroupId") or r.get("referencedSecurityGroupId"), **desc}
        ]
    return perm


def _permissions(rules) -> list:
    return [ip_permission(r) for r in need(rules) or []]


def security_groups(plan: Plan) -> list[Resource]:
    groups = plan.by_type.get("aws:ec2/securityGroup:SecurityGroup", []) + plan.by_type.get(
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", []
    )
    idx = _index(groups)
    extra: dict[str, dict[str, list]] = defaultdict(lambda: {"ingress": [], "egress": []})
    for ctype, direction in (
        ("aws:ec2/securityGroupRule:SecurityGroupRule", None),
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ingress"),
        ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "egress"),
    ):
        for rec in plan.by_type.get(ctype, []):
            target = plan.ref(rec, "securityGroupId", idx)
            if target is None:
                continue
            d = direction or rec["props"].get("type")
            key = target["urn"] if "urn" in target else None
            extra[key or "?"][d if d in ("ingress", "egress") else "ingress"].append(rec["props"])
    out = []
    lb_groups = [
        sg
        for lb in plan.by_type.get("aws:lb/loadBalancer:LoadBalancer", [])
        + plan.by_type.get("aws:alb/loadBalancer:LoadBalancer", [])
        for sg in (lb["props"].get("securityGroups") or [])
    ]
    for rec in groups:
        p = rec["props"]
        tags = _tags(p)
        group = {
            "GroupId": rec.get("id") or rec["name"],
            "VpcId": p.get("vpcId"),
            "GroupName": "default" if rec["ctype"].endswith("DefaultSecurityGroup") else p.get("name"),
            "Tags": tags if is_marker(tags) else [{"Key": k, "Value": v} for k, v in tags.items()],
        }
        for d, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
            group[key] = _prop(lambda d=d: _permissions(p.get(d) or []) + _permissions(extra[rec["urn"]][d]))
        props = ec2_security_group.properties(group)
        props["attached_to_load_balancer"] = (
            True
            if rec.get("id") in lb_groups
            else unknown("a load balancer's security groups are known after apply")
            if any(is_marker(sg) for sg in lb_groups)
            else False
        )
        out.append(plan.resource("aws.ec2_security_group", rec, props["group_id"], p.get("name") or rec["name"], props))
    return out


def vpcs(plan: Plan) -> list[Resource]:
    vpc_recs = plan.by_type.get("aws:ec2/vpc:Vpc", [])
    idx = _index(vpc_recs)

    def owned(ctype, prop="vpcId"):
        found = defaultdict(list)
        for rec in plan.by_type.get(ctype, []):
            t = plan.ref(rec, prop, idx)
            found["?" if t is None or is_marker(t) else t["urn"]].append(rec)
        return found

    flows, igws = owned("aws:ec2/flowLog:FlowLog"), owned("aws:ec2/internetGateway:InternetGateway")
    attach = owned("aws:ec2/internetGatewayAttachment:InternetGatewayAttachment")
    tables, endpoints = owned("aws:ec2/routeTable:RouteTable"), owned("aws:ec2/vpcEndpoint:VpcEndpoint")
    igw_ids = {r.get("id") for r in plan.by_type.get("aws:ec2/internetGateway:InternetGateway", [])}
    rt_idx = _index(plan.by_type.get("aws:ec2/routeTable:RouteTable", []))
    routes = defaultdict(list)
    for r in plan.by_type.get("aws:ec2/route:Route", []):
        t = plan.ref(r, "routeTableId", rt_idx)
        if isinstance(t, dict) and "urn" in t:
            routes[t["urn"]].append(r["props"])
    assoc = defaultdict(list)
    for a in plan.by_type.get("aws:ec2/routeTableAssociation:RouteTableAssociation", []):
        t = plan.ref(a, "routeTableId", rt_idx)
        if isinstance(t, dict) and "urn" in t:
            assoc[t["urn"]].append(a["props"].get("subnetId"))

    def to_igw(route) -> bool:
        dest = (
            route.get("cidrBlock")
            or route.get("destinationCidrBlock")
            or route.get("ipv6CidrBlock")
            or route.get("destinationIpv6CidrBlock")
        )
        gw = route.get("gatewayId")
        return dest in ("0.0.0.0/0", "::/0") and isinstance(gw, str) and (gw in igw_ids or gw.startswith("igw-"))

    out = []
    for rec in vpc_recs:
        p, urn = rec["props"], rec["urn"]
        flow = flows.get(urn, [])
        public = []
        for t in tables.get(urn, []):
            rts = (t["props"].get("routes") or []) + routes.get(t["urn"], [])
            if any(to_igw(r) for r in rts if isinstance(r, dict)):
                public.extend(s for s in assoc.get(t["urn"], []) if isinstance(s, str))
        s3_eps = [e["props"] for e in endpoints.get(urn, []) if str(e["props"].get("serviceName", "")).endswith(".s3")]
        props = {
            "arn": p.get("arn"),
            "tags": _tags(p),
            "flow_logs_enabled": bool(flow),
            "flow_logs_destination": (flow[0]["props"].get("logDestination") or flow[0]["props"].get("logGroupName"))
            if flow
            else None,
            "internet_gateway_attached": bool(igws.get(urn) or attach.get(urn)),
            "public_subnet_routes": sorted(public),
            "s3_endpoint_policy_allows_all": _prop(_endpoint_allows_all, s3_eps) if s3_eps else None,
        }
        if "?" in flows and not flow:  # a flow log whose VPC is not known until deploy
            props["flow_logs_enabled"] = unknown("a flow log for a VPC not known until deploy")
        out.append(plan.resource("aws.vpc", rec, rec.get("id") or rec["name"], rec["name"], props))
    return out


def _endpoint_allows_all(eps: list[dict]):
    verdicts = [
        policy_facts(e.get("policy"), awspolicy.vpc_endpoint_policy_facts)
        if e.get("policy") is not None
        else {"allows_all": True}
        for e in eps
    ]
    for v in verdicts:
        if is_marker(v):
            return v
    return any(v["allows_all"] for v in verdicts)
