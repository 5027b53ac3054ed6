"""Network security groups, virtual networks, network watchers and their flow logs
(azure-mgmt-network) -> `azure.network_security_group` and `azure.network_region`. The
derivation (internet-reachable ports after priority order, flow-log coverage through the
NSG or its virtual network) is in sources/normalise/azure/network.py."""

from __future__ import annotations

from enamel_hipaa.sources import Collection
from enamel_hipaa.sources.azure.arm import ArmSettings
from enamel_hipaa.sources.azure.collecting import guarded, listed, mgmt_client, resource
from enamel_hipaa.sources.azure.values import arm
from enamel_hipaa.sources.normalise.azure import network as norm

NSG, REGION = "azure.network_security_group", "azure.network_region"
SERVICES = (("network", NSG), ("network", REGION))
SDK = ("azure.mgmt.network",)
ACTIONS = (
    "Microsoft.Network/networkSecurityGroups/read",
    "Microsoft.Network/virtualNetworks/read",
    "Microsoft.Network/networkWatchers/read",
    "Microsoft.Network/networkWatchers/flowLogs/read",
)


def collect(credential, subscription: str, settings: ArmSettings) -> Collection:
    from azure.mgmt.network import NetworkManagementClient

    client = mgmt_client(NetworkManagementClient, credential, subscription, settings)
    out = Collection()
    nsgs = listed(out.errors, "network", (NSG,), subscription, settings, client.network_security_groups.list_all)
    watchers = listed(out.errors, "network", (REGION,), subscription, settings, client.network_watchers.list_all)
    vnets = (
        None
        if watchers is None
        else listed(out.errors, "network", (REGION,), subscription, settings, client.virtual_networks.list_all)
    )
    if watchers is None:
        flow_logs = {"$error": "network watchers could not be listed, so neither could their flow logs"}
    else:
        flow_logs = guarded(
            "flowLogs",
            settings,
            lambda: [arm(f) for w in watchers for f in client.flow_logs.list(norm.resource_group(w["id"]), w["name"])],
        )
    for nsg in nsgs or ():
        props = norm.nsg_properties(nsg, flow_logs if isinstance(flow_logs, list) else [])
        if not isinstance(flow_logs, list):
            props["flow_logs"] = flow_logs
        out.resources.append(resource(NSG, nsg, props, subscription))
    if vnets is not None:
        for region in norm.regions(subscription, vnets, watchers):
            out.resources.append(
                resource(
                    REGION,
                    {"id": region["id"], "name": region["location"], "location": region["location"]},
                    region,
                    subscription,
                )
            )
    return out
