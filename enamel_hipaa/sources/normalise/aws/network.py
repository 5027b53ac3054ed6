"""aws.subnet and aws.network_acl, and the routing facts aws.vpc shares, from EC2's
DescribeSubnets / DescribeRouteTables / DescribeNetworkAcls shapes.

A subnet without an explicit route-table association uses its VPC's *main* route table:
a route to an internet gateway in the main table makes every such subnet public."""

from __future__ import annotations

INTERNET = ("0.0.0.0/0", "::/0")


def _to_igw(table: dict) -> bool:
    return any(
        (r.get("DestinationCidrBlock") in INTERNET or r.get("DestinationIpv6CidrBlock") in INTERNET)
        and str(r.get("GatewayId", "")).startswith("igw-")
        and r.get("State", "active") == "active"
        for r in table.get("Routes") or []
    )


def route_table_of(subnet_id: str, vpc_id: str, tables: list[dict]) -> dict | None:
    """The table a subnet uses: its explicit association, else its VPC's main table."""
    main = None
    for t in tables:
        for a in t.get("Associations") or []:
            if a.get("SubnetId") == subnet_id:
                return t
            if a.get("Main") and t.get("VpcId") == vpc_id:
                main = t
    return main


def internet_routed_subnets(vpc_id: str, subnets: list[dict], tables: list[dict]) -> list[str]:
    return sorted(
        s["SubnetId"]
        for s in subnets
        if s.get("VpcId") == vpc_id and _to_igw(route_table_of(s["SubnetId"], vpc_id, tables) or {})
    )


def subnet_props(arn: str, subnet: dict, tables: list[dict], tags: dict) -> dict:
    table = route_table_of(subnet["SubnetId"], subnet.get("VpcId"), tables)
    explicit = table is not None and any(
        a.get("SubnetId") == subnet["SubnetId"] for a in table.get("Associations") or []
    )
    return {
        "arn": arn,
        "tags": tags,
        "vpc_id": subnet.get("VpcId"),
        "map_public_ip_on_launch": bool(subnet.get("MapPublicIpOnLaunch")),
        "route_table": table.get("RouteTableId") if table else None,
        "uses_main_route_table": table is not None and not explicit,
        "routes_to_internet_gateway": _to_igw(table or {}),
    }


def _all_ports(e: dict) -> bool:
    proto = str(e.get("Protocol", "-1"))
    if proto == "-1":
        return True
    ports = e.get("PortRange")
    return proto in ("6", "17") and (not ports or (ports.get("From", 0) <= 0 and ports.get("To", 65535) >= 65535))


def nacl_props(arn: str, acl: dict, tags: dict) -> dict:
    """`allows_all_ingress_from_internet`: the first matching ingress entry (lowest rule number)
    for traffic from anywhere on every port is an allow."""
    ingress = sorted((e for e in acl.get("Entries") or [] if not e.get("Egress")), key=lambda e: e.get("RuleNumber", 0))
    open_all = False
    for e in ingress:
        cidr = e.get("CidrBlock") or e.get("Ipv6CidrBlock")
        if cidr in INTERNET and _all_ports(e):
            open_all = e.get("RuleAction") == "allow"
            break
    return {
        "arn": arn,
        "tags": tags,
        "vpc_id": acl.get("VpcId"),
        "is_default": bool(acl.get("IsDefault")),
        "subnets": sorted(a["SubnetId"] for a in acl.get("Associations") or [] if a.get("SubnetId")),
        "allows_all_ingress_from_internet": open_all,
    }
