"""Network security groups, flow logs and network watchers as Enamel sees them, from ARM's
JSON (Microsoft.Network, REST spec networkSecurityGroup.json / networkWatcher.json): the
one derivation of `azure.network_security_group` and `azure.network_region`, whatever
source read the JSON (the live collector today; ARM templates or plans could feed it too).

What reaches a port from the internet is worked out the way Azure evaluates an NSG:
inbound rules in priority order (lowest number first), the first rule matching a packet
decides. A Deny from the internet earlier in the order removes those ports from any later
Allow. Only internet-wide sources count (`*`, `Internet`, `Any`, `0.0.0.0/0`, `::/0`); an
allow-list of specific addresses is not "the internet". Each NSG is judged alone: a subnet
NSG that allows RDP fails even if the NIC's NSG denies it (fix the permissive one)."""

from __future__ import annotations

from enamel_hipaa.core.model import unknown

INTERNET = {"*", "internet", "any", "0.0.0.0/0", "0.0.0.0", "::/0", "0.0.0.0/00"}
PROTOCOLS = {"tcp": ("tcp",), "udp": ("udp",), "*": ("tcp", "udp"), "any": ("tcp", "udp")}
ALL_PORTS = (0, 65535)


def _props(doc: dict) -> dict:
    return doc.get("properties") or {}


def resource_group(resource_id: str) -> str:
    parts = resource_id.strip("/").split("/")
    for i, p in enumerate(parts[:-1]):
        if p.lower() == "resourcegroups":
            return parts[i + 1]
    raise ValueError(f"no resource group in {resource_id!r}")


def port_ranges(rule_props: dict) -> list[tuple[int, int]]:
    """destinationPortRange / destinationPortRanges as (from, to) pairs; '*' is every port.
    Unparsable text raises ValueError (the caller records the NSG as unknown)."""
    texts = [rule_props.get("destinationPortRange")] + list(rule_props.get("destinationPortRanges") or [])
    out = []
    for text in texts:
        if text is None or text == "":
            continue
        text = str(text).strip()
        if text == "*":
            out.append(ALL_PORTS)
            continue
        lo, _, hi = text.partition("-")
        a, b = int(lo), int(hi or lo)
        if not 0 <= a <= b <= 65535:
            raise ValueError(f"port range {text!r}")
        out.append((a, b))
    return out


def from_internet(rule_props: dict) -> bool:
    sources = [rule_props.get("sourceAddressPrefix")] + list(rule_props.get("sourceAddressPrefixes") or [])
    return any(str(s).strip().lower() in INTERNET for s in sources if s is not None)


def _subtract(rng: tuple[int, int], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    pieces = [rng]
    for lo, hi in holes:
        nxt = []
        for a, b in pieces:
            if hi < a or lo > b:
                nxt.append((a, b))
                continue
            if a < lo:
                nxt.append((a, lo - 1))
            if b > hi:
                nxt.append((hi + 1, b))
        pieces = nxt
    return pieces


def internet_ingress(rules: list[dict]) -> list[dict]:
    """The TCP/UDP port ranges an NSG lets in from the internet, after earlier Deny rules."""
    inbound = [r for r in rules if str(_props(r).get("direction", "")).lower() == "inbound"]
    inbound.sort(key=lambda r: int(_props(r).get("priority") or 0))
    denied: dict[str, list] = {"tcp": [], "udp": []}
    out = []
    for rule in inbound:
        p = _props(rule)
        if not from_internet(p):
            continue
        protocols = PROTOCOLS.get(str(p.get("protocol", "")).lower(), ())
        for proto in protocols:
            for rng in port_ranges(p):
                if str(p.get("access", "")).lower() == "deny":
                    denied[proto].append(rng)
                    continue
                for a, b in _subtract(rng, denied[proto]):
                    out.append(
                        {
                            "rule": rule.get("name"),
                            "priority": p.get("priority"),
                            "protocol": proto,
                            "port_range": {"from": a, "to": b},
                        }
                    )
    return out


def _ingress(rules: list[dict]):
    try:
        return internet_ingress(rules)
    except (ValueError, TypeError) as exc:  # a port text Azure would not accept: never a pass
        return unknown(f"security rules not understood: {exc}")


def subnet_vnet(subnet_id: str) -> str:
    """…/virtualNetworks/<vnet>/subnets/<subnet> -> the virtual network's id (lower case)."""
    return subnet_id.lower().split("/subnets/")[0]


def flow_log_view(flow_logs: list[dict], targets: set[str]) -> dict:
    """The best enabled flow log whose target is one of `targets` (the NSG or the virtual
    networks of its subnets; lower-case ids). Retention 0 days, or no retention policy, keeps
    the logs (Azure deletes nothing then)."""
    best = None
    for fl in flow_logs:
        p = _props(fl)
        if str(p.get("targetResourceId", "")).lower() not in targets or not p.get("enabled"):
            continue
        policy = p.get("retentionPolicy") or {}
        forever = not policy.get("enabled") or int(policy.get("days") or 0) == 0
        days = None if forever else int(policy["days"])
        view = {
            "enabled": True,
            "retention_forever": forever,
            "retention_days": days,
            "target": "network_security_group"
            if "/networksecuritygroups/" in str(p.get("targetResourceId", "")).lower()
            else "virtual_network",
            "traffic_analytics": bool(
                ((p.get("flowAnalyticsConfiguration") or {}).get("networkWatcherFlowAnalyticsConfiguration") or {}).get(
                    "enabled"
                )
            ),
        }
        if best is None or forever or (days or 0) > (best["retention_days"] or 0):
            best = view
    return best or {
        "enabled": False,
        "retention_forever": False,
        "retention_days": None,
        "target": None,
        "traffic_analytics": False,
    }


def nsg_properties(nsg: dict, flow_logs: list[dict]) -> dict:
    p = _props(nsg)
    subnets = [s.get("id", "") for s in p.get("subnets") or []]
    targets = {nsg["id"].lower()} | {subnet_vnet(s) for s in subnets if s}
    return {
        "id": nsg["id"],
        "resource_group": resource_group(nsg["id"]),
        "location": nsg.get("location"),
        "tags": {str(k).lower(): str(v) for k, v in (nsg.get("tags") or {}).items()},
        "rules": len(p.get("securityRules") or []),
        "internet_ingress": _ingress(list(p.get("securityRules") or [])),
        "subnets": len(subnets),
        "network_interfaces": len(p.get("networkInterfaces") or []),
        "flow_logs": flow_log_view(flow_logs, targets),
    }


def regions(subscription: str, vnets: list[dict], watchers: list[dict]) -> list[dict]:
    """One `azure.network_region` per region that has a virtual network (every VM, NSG in
    use and private endpoint sits in one): does it have a Network Watcher, which flow logs,
    connection troubleshooting and topology need?"""
    where: dict[str, dict] = {}
    for d in vnets:
        loc = str(d.get("location") or "").lower()
        if loc:
            where.setdefault(loc, {"virtual_networks": 0})["virtual_networks"] += 1
    watched = {}
    for w in watchers:
        loc = str(w.get("location") or "").lower()
        state = _props(w).get("provisioningState") or "Unknown"
        if loc and (loc not in watched or state == "Succeeded"):
            watched[loc] = state
    out = []
    for loc, counts in sorted(where.items()):
        out.append(
            {
                "id": f"/subscriptions/{subscription}/providers/Microsoft.Network/locations/{loc}",
                "location": loc,
                **counts,
                "network_watcher": watched.get(loc) == "Succeeded",
                "network_watcher_state": watched.get(loc, "absent"),
            }
        )
    return out
