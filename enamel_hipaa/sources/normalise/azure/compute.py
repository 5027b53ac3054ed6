"""Virtual machines, managed disks and Recovery Services backup as Enamel sees them, from
ARM's JSON (Microsoft.Compute virtualMachine.json / disk.json, Microsoft.RecoveryServices
vaults.json, bms.json): the one derivation of `azure.virtual_machine`, `azure.managed_disk`
and `azure.recovery_services_vault`."""

from __future__ import annotations

from enamel_hipaa.core.model import unknown
from enamel_hipaa.sources.normalise.azure.network import resource_group

CUSTOMER_KEY = ("EncryptionAtRestWithCustomerKey", "EncryptionAtRestWithPlatformAndCustomerKeys")
# retention units of a backup policy's daily schedule, in days
UNIT_DAYS = {"days": 1, "weeks": 7, "months": 30, "years": 365}


def _props(doc: dict) -> dict:
    return doc.get("properties") or {}


def _tags(doc: dict) -> dict:
    return {str(k).lower(): str(v) for k, v in (doc.get("tags") or {}).items()}


def _common(doc: dict) -> dict:
    return {
        "id": doc["id"],
        "resource_group": resource_group(doc["id"]),
        "location": doc.get("location"),
        "tags": _tags(doc),
    }


def disk_properties(disk: dict) -> dict:
    p = _props(disk)
    enc = p.get("encryption") or {}
    state = p.get("diskState") or ("Attached" if disk.get("managedBy") else "Unknown")
    return {
        **_common(disk),
        "attached": bool(disk.get("managedBy")) or state in ("Attached", "Reserved"),
        "disk_state": state,
        # no encryption block: Azure encrypts at rest with platform keys (SSE default)
        "encryption_type": enc.get("type") or "EncryptionAtRestWithPlatformKey",
        "disk_encryption_set": bool(enc.get("diskEncryptionSetId")),
        "network_access_policy": p.get("networkAccessPolicy") or "AllowAll",
        "public_network_access": p.get("publicNetworkAccess") or "Enabled",
    }


def vm_disks(vm: dict) -> list[dict]:
    storage = _props(vm).get("storageProfile") or {}
    return [d for d in [storage.get("osDisk")] + list(storage.get("dataDisks") or []) if d]


def customer_keys(vm: dict, disks: dict[str, dict]) -> bool:
    """Every managed disk of the VM encrypted with a customer-managed key (disk encryption
    set). `disks`: disk id (lower case) -> disk_properties; a disk not found there counts
    by the VM's own reference to a disk encryption set."""
    found = []
    for d in vm_disks(vm):
        managed = d.get("managedDisk") or {}
        if not managed.get("id"):
            return False  # an unmanaged VHD: no disk encryption set possible
        disk = disks.get(managed["id"].lower())
        found.append(
            disk["encryption_type"] in CUSTOMER_KEY
            if disk
            else bool((managed.get("diskEncryptionSet") or {}).get("id"))
        )
    return bool(found) and all(found)


def public_ips(vm: dict, nics: dict[str, dict]) -> int:
    """Public IP addresses on the VM's network interfaces (`nics`: id lower case -> ARM JSON)."""
    count = 0
    for ref in (_props(vm).get("networkProfile") or {}).get("networkInterfaces") or []:
        nic = nics.get(str(ref.get("id", "")).lower()) or {}
        count += sum(
            1 for c in _props(nic).get("ipConfigurations") or [] if (_props(c).get("publicIPAddress") or {}).get("id")
        )
    return count


def policy_view(policy: dict | None) -> dict:
    p = _props(policy or {})
    freq = (p.get("schedulePolicy") or {}).get("scheduleRunFrequency")
    daily = ((p.get("retentionPolicy") or {}).get("dailySchedule") or {}).get("retentionDuration") or {}
    days = None
    if daily.get("count") is not None:
        days = int(daily["count"]) * UNIT_DAYS.get(str(daily.get("durationType", "Days")).lower(), 1)
    return {"policy": (policy or {}).get("name"), "frequency": freq or "none", "daily_retention_days": days}


def backup_view(vm_id: str, protected: dict[str, dict], policies: dict[str, dict]) -> dict:
    """`protected`: VM id (lower case) -> protected item JSON; `policies`: policy id (lower) -> JSON."""
    item = protected.get(vm_id.lower())
    if item is None:
        return {
            "protected": False,
            "protection_state": "NotProtected",
            "policy": None,
            "frequency": "none",
            "daily_retention_days": None,
        }
    p = _props(item)
    state = p.get("protectionState") or "Unknown"
    view = policy_view(policies.get(str(p.get("policyId", "")).lower()))
    return {"protected": state in ("Protected", "IRPending"), "protection_state": state, **view}


def protected_vm_id(item: dict) -> str:
    p = _props(item)
    return str(p.get("virtualMachineId") or p.get("sourceResourceId") or "").lower()


def vm_properties(vm: dict, disks, nics, backup) -> dict:
    """`disks`/`nics`: maps (or an `$error` value when their listing failed); `backup`: the
    backup view (or an `$error` value)."""
    p = _props(vm)
    all_disks = vm_disks(vm)
    return {
        **_common(vm),
        "os_type": ((p.get("storageProfile") or {}).get("osDisk") or {}).get("osType") or "Unknown",
        "managed_disks": bool(all_disks) and all((d.get("managedDisk") or {}).get("id") for d in all_disks),
        "data_disks": max(0, len(all_disks) - 1),
        "encryption_at_host": bool((p.get("securityProfile") or {}).get("encryptionAtHost")),
        "disks_customer_key": customer_keys(vm, disks) if "$error" not in disks else disks,
        "public_ips": public_ips(vm, nics) if "$error" not in nics else nics,
        "backup": backup,
    }


def vault_properties(vault: dict) -> dict:
    p = _props(vault)
    sec = p.get("securitySettings") or {}
    soft = sec.get("softDeleteSettings") or {}
    red = p.get("redundancySettings") or {}
    return {
        **_common(vault),
        "immutability": (sec.get("immutabilitySettings") or {}).get("state") or "Disabled",
        "soft_delete": soft.get("softDeleteState") or unknown("softDeleteSettings not returned by ARM"),
        "soft_delete_days": int(soft.get("softDeleteRetentionPeriodInDays") or 14),
        "cross_region_restore": str(red.get("crossRegionRestore") or "Disabled") == "Enabled",
        "storage_redundancy": red.get("standardTierStorageRedundancy") or "Unknown",
        "public_network_access": p.get("publicNetworkAccess") or "Enabled",
    }
