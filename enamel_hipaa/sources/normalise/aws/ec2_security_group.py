"""aws.ec2_security_group: the one derivation of a security group's Enamel properties, from
the EC2 API's own response (the live collector's boto3 answer; a plan's inputs converted to
this shape).

Input contract: one DescribeSecurityGroups `SecurityGroups` entry, boto3's shape:
  {"GroupId", "GroupName", "VpcId"?, "Tags"?: [{"Key", "Value"}],
   "IpPermissions" / "IpPermissionsEgress": [{"IpProtocol", "FromPort"?, "ToPort"?,
       "IpRanges"?: [{"CidrIp", "Description"?}], "Ipv6Ranges"?: [{"CidrIpv6", "Description"?}],
       "UserIdGroupPairs"?: [{"GroupId", "Description"?}], "PrefixListIds"?: [{"PrefixListId"}]}]}
Any value may be a marker ({"$error"}/{"$unknown"}): the rule list that needs it becomes
that marker."""

from __future__ import annotations

from enamel_hipaa.sources.normalise.values import need, prop

PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}


def protocol(p) -> str:
    p = str(need(p) if p is not None else "-1").lower()
    return PROTOCOLS.get(p, p)


def permissions(rules) -> list[dict]:
    """IpPermissions -> one item per CIDR (an item without cidr for a group or prefix list)."""
    out = []
    for p in need(rules) or []:
        proto = protocol(p.get("IpProtocol", "-1"))
        lo, hi = need(p.get("FromPort")), need(p.get("ToPort"))
        if proto in ("icmp", "icmpv6"):  # type/code, not ports: never overlaps a port range
            rng = {"from": int(-1 if lo is None else lo), "to": int(-1 if hi is None else hi)}
        elif proto == "-1" or lo in (None, -1):
            rng = {"from": 0, "to": 65535}
        else:
            rng = {"from": int(lo), "to": int(hi if hi is not None else lo)}
        for r in need(p.get("IpRanges")) or []:
            out.append(
                {
                    "protocol": proto,
                    "port_range": rng,
                    "cidr": need(r.get("CidrIp")),
                    "description": r.get("Description"),
                }
            )
        for r in need(p.get("Ipv6Ranges")) or []:
            out.append(
                {
                    "protocol": proto,
                    "port_range": rng,
                    "cidr": need(r.get("CidrIpv6")),
                    "description": r.get("Description"),
                }
            )
        for r in (need(p.get("UserIdGroupPairs")) or []) + (need(p.get("PrefixListIds")) or []):
            out.append({"protocol": proto, "port_range": rng, "description": r.get("Description")})
    return out


def tag_dict(tags) -> dict:
    out = {}
    for t in need(tags) or []:
        k, v = t.get("Key"), t.get("Value")
        if isinstance(k, str):
            out[k] = "" if v is None else str(v)
    return out


def properties(group: dict) -> dict:
    return {
        "group_id": group.get("GroupId"),
        "vpc_id": group.get("VpcId"),
        "is_default": group.get("GroupName") == "default",
        "tags": prop(tag_dict, group.get("Tags")),
        "ingress": prop(permissions, group.get("IpPermissions")),
        "egress": prop(permissions, group.get("IpPermissionsEgress")),
    }
