"""Key vaults (azure-mgmt-keyvault) -> `azure.key_vault`: soft delete, purge protection,
RBAC, network exposure and audit logging of the vaults that hold customer-managed keys."""

from __future__ import annotations

from enamel_hipaa.core.model import Resource, unknown
from enamel_hipaa.sources.azure import monitor as diag
from enamel_hipaa.sources.azure.arm import ArmSettings
from enamel_hipaa.sources.azure.values import arm, dig, enum_str, flag, resource_group, tags

TYPE = "azure.key_vault"
ACTIONS = (
    "Microsoft.KeyVault/vaults/read",
    "Microsoft.KeyVault/vaults/keys/read",
    "Microsoft.KeyVault/vaults/secrets/read",
)
AUDIT = {"AuditEvent": "audit_logged"}
GROUPS = {"audit": ("AuditEvent",), "allLogs": ("AuditEvent",)}


def client(credential, subscription: str, settings: ArmSettings):
    from azure.mgmt.keyvault import KeyVaultManagementClient

    return KeyVaultManagementClient(credential, subscription, **settings.client_kwargs())


def list_vaults(client) -> list:
    return list(client.vaults.list_by_subscription())  # follows nextLink


def _objects(items, rotation: bool) -> dict:
    """Enabled keys or secrets (ARM metadata only: never a value): how many lack an expiry
    date, and (keys) a rotation policy with an automatic rotate action."""
    enabled = [arm(i) for i in items]
    enabled = [i for i in enabled if dig(i, "properties.attributes.enabled", True)]
    out = {"count": len(enabled), "without_expiry": sum(1 for i in enabled if not dig(i, "properties.attributes.exp"))}
    if rotation:
        out["without_rotation"] = sum(
            1
            for i in enabled
            if not any(
                str(dig(a, "action.type", "")).lower() == "rotate"
                for a in dig(i, "properties.rotationPolicy.lifetimeActions", [])
            )
        )
    return out


def contents(client, vault, settings: ArmSettings) -> dict:
    rg = resource_group(vault.id)
    return {
        "keys": diag.guarded("keys", settings, lambda: _objects(client.keys.list(rg, vault.name), True)),
        "secrets": diag.guarded("secrets", settings, lambda: _objects(client.secrets.list(rg, vault.name), False)),
    }


def to_resource(vault, client, monitor, subscription: str, settings: ArmSettings) -> Resource:
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
        "private_endpoints": sum(
            1
            for c in getattr(p, "private_endpoint_connections", None) or ()
            if enum_str(getattr(getattr(c, "private_link_service_connection_state", None), "status", None))
            == "Approved"
        ),
        **contents(client, vault, settings),
        "diagnostics": diag.guarded(
            "diagnosticSettings", settings, lambda: diag.logged(monitor, vault.id, AUDIT, GROUPS)
        ),
    }
    return Resource(
        type=TYPE,
        id=vault.id,
        name=vault.name,
        source="live",
        properties=props,
        account=subscription,
        region=vault.location,
    )
