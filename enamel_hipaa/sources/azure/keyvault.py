"""Key vaults (azure-mgmt-keyvault) -> `azure.key_vault`: soft delete, purge protection,
RBAC, network exposure and audit logging of the vaults that hold customer-managed keys."""
from __future__ import annotations

from enamel_hipaa.core.model import Resource, unknown
from enamel_hipaa.sources.azure import monitor as diag
from enamel_hipaa.sources.azure.arm import ArmSettings
from enamel_hipaa.sources.azure.values import enum_str, flag, resource_group, tags

TYPE = "azure.key_vault"
ACTIONS = ("Microsoft.KeyVault/vaults/read",)
AUDIT = {"AuditEvent": "audit_logged"}
GROUPS = {"audit": ("AuditEvent",), "allLogs": ("AuditEvent",)}


def list_vaults(credential, subscription: str, settings: ArmSettings) -> list:
    from azure.mgmt.keyvault import KeyVaultManagementClient
    client = KeyVaultManagementClient(credential, subscription, **settings.client_kwargs())
    return list(client.vaults.list_by_subscription())  # follows nextLink


def to_resource(vault, monitor, subscription: str, settings: ArmSettings) -> Resource:
    p = vault.properties
    acls = getattr(p, "network_acls", None)
    soft = flag(p.enable_soft_delete, unknown("enableSoftDelete not returned by ARM"))
    props = {
        "id": vault.id,
        "resource_group": resource_group(vault.id),
        "location": vault.location,
        "tags": tags(vault.tags),
        "vault_uri": p.vault_uri,
        "soft_delete_enabled": soft,
        "soft_delete_days": (p.soft_delete_retention_in_days or 90) if soft is True else None,
        "purge_protection_enabled": flag(p.enable_purge_protection, False),
        "rbac_authorization": flag(p.enable_rbac_authorization, False),
        "public_network_access": enum_str(p.public_network_access) or "Enabled",
        "network_default_action": enum_str(getattr(acls, "default_action", None)) or "Allow",
        "diagnostics": diag.guarded("diagnosticSettings", settings, lambda: diag.logged(
            monitor, vault.id, AUDIT, GROUPS)),
    }
    return Resource(type=TYPE, id=vault.id, name=vault.name, source="live", properties=props,
                    account=subscription, region=vault.location)
