"""Virtual machines, managed disks and network interfaces (azure-mgmt-compute,
azure-mgmt-network) and their backup in Recovery Services vaults (azure-mgmt-recoveryservices,
azure-mgmt-recoveryservicesbackup) -> `azure.virtual_machine`, `azure.managed_disk`,
`azure.recovery_services_vault`. Derivations: sources/normalise/azure/compute.py.

A listing that fails makes its type `error`; a listing other types depend on (disks, NICs,
vaults and their protected items) makes the dependent property an `$error` value, so the
VM rules reading it say `error`, never pass."""

from __future__ import annotations

from enamel_hipaa.core.model import error_value
from enamel_hipaa.sources import Collection
from enamel_hipaa.sources.azure.arm import ArmSettings
from enamel_hipaa.sources.azure.collecting import guarded, listed, mgmt_client, parallel, resource
from enamel_hipaa.sources.azure.values import arm
from enamel_hipaa.sources.normalise.azure import compute as norm
from enamel_hipaa.sources.normalise.azure.network import resource_group

VM, DISK, VAULT = "azure.virtual_machine", "azure.managed_disk", "azure.recovery_services_vault"
SERVICES = (("compute", VM), ("compute", DISK), ("backup", VAULT))
SDK = ("azure.mgmt.compute", "azure.mgmt.recoveryservices", "azure.mgmt.recoveryservicesbackup")
ACTIONS = (
    "Microsoft.Compute/virtualMachines/read",
    "Microsoft.Compute/disks/read",
    "Microsoft.Network/networkInterfaces/read",
    "Microsoft.RecoveryServices/vaults/read",
    "Microsoft.RecoveryServices/vaults/backupProtectedItems/read",
    "Microsoft.RecoveryServices/vaults/backupPolicies/read",
)
VM_ITEMS = "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'"


def collect(credential, subscription: str, settings: ArmSettings) -> Collection:
    from azure.mgmt.compute import ComputeManagementClient
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.recoveryservices import RecoveryServicesClient

    compute = mgmt_client(ComputeManagementClient, credential, subscription, settings)
    out = Collection()
    vms = listed(out.errors, "compute", (VM,), subscription, settings, compute.virtual_machines.list_all)
    disks = listed(out.errors, "compute", (DISK,), subscription, settings, compute.disks.list)
    vaults = listed(
        out.errors,
        "backup",
        (VAULT,),
        subscription,
        settings,
        mgmt_client(RecoveryServicesClient, credential, subscription, settings).vaults.list_by_subscription_id,
    )
    disk_props = {d["id"].lower(): norm.disk_properties(d) for d in disks or ()}
    for d in disks or ():
        out.resources.append(resource(DISK, d, disk_props[d["id"].lower()], subscription))
    for v in vaults or ():
        out.resources.append(resource(VAULT, v, norm.vault_properties(v), subscription))
    if not vms:
        return out
    network = mgmt_client(NetworkManagementClient, credential, subscription, settings)
    nics = guarded(
        "networkInterfaces",
        settings,
        lambda: {n["id"].lower(): n for n in (arm(x) for x in network.network_interfaces.list_all())},
    )
    if disks is None:
        disk_props = error_value("disks could not be listed")
    backup = _backup(credential, subscription, settings, vaults)
    for vm in vms:
        b = backup if "$error" in backup else norm.backup_view(vm["id"], *backup["maps"])
        out.resources.append(resource(VM, vm, norm.vm_properties(vm, disk_props, nics, b), subscription))
    return out


def _backup(credential, subscription: str, settings: ArmSettings, vaults) -> dict:
    """{"maps": (protected items by VM id, policies by id)} or an `$error` value."""
    if vaults is None:
        return error_value("Recovery Services vaults could not be listed")
    from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient

    client = mgmt_client(RecoveryServicesBackupClient, credential, subscription, settings)

    def read(vault):
        rg = resource_group(vault["id"])
        return guarded(
            f"vault {vault['name']}",
            settings,
            lambda: (
                [arm(i) for i in client.backup_protected_items.list(vault["name"], rg, filter=VM_ITEMS)],
                [arm(p) for p in client.backup_policies.list(vault["name"], rg)],
            ),
        )

    protected, policies = {}, {}
    for got in parallel(settings, read, list(vaults)):
        if isinstance(got, dict):  # one vault unreadable: any VM might be backed up there
            return got
        items, pols = got
        protected.update({norm.protected_vm_id(i): i for i in items})
        policies.update({p["id"].lower(): p for p in pols})
    return {"maps": (protected, policies)}
