"""Site-to-site VPN connections (aws.vpn_connection): both tunnels up (the practice's link to
the imaging VPC keeps working when AWS maintains one tunnel endpoint). One
DescribeVpnConnections per region, no call per connection. A connection whose answer has no
tunnel telemetry is an $error, never "up"."""

from __future__ import annotations

from enamel_hipaa.core.model import error_value
from enamel_hipaa.sources.aws.base import Out, listed, paginate, resource, tag_dict

SERVICE = "ec2"
GLOBAL = False
TYPES = ("aws.vpn_connection",)
ACTIONS = ("ec2:DescribeVpnConnections",)
CONDITIONAL = {}


def collect(aws, region, regions) -> Out:
    out = Out()
    ec2 = aws.client("ec2", region)
    for c in (
        listed(out, aws, SERVICE, region, TYPES, lambda: paginate(ec2, "describe_vpn_connections", "VpnConnections"))
        or []
    ):
        if c.get("State") in ("deleted", "deleting"):
            continue
        tags = tag_dict(c.get("Tags"))
        out.resources.append(
            resource(
                aws,
                "aws.vpn_connection",
                c["VpnConnectionId"],
                tags.get("Name") or c["VpnConnectionId"],
                vpn_props(c),
                region,
            )
        )
    return out


def vpn_props(c: dict) -> dict:
    telemetry = c.get("VgwTelemetry")
    if not telemetry:
        up = error_value("DescribeVpnConnections gave no tunnel telemetry (VgwTelemetry) for the connection")
    else:
        up = sum(1 for t in telemetry if str(t.get("Status", "")).upper() == "UP")
    return {"state": c.get("State"), "tunnels_up": up, "tunnels": len(telemetry or [])}
