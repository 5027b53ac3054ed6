"""Storage accounts (azure-mgmt-storage), their blob service (blobServices/default) and its
diagnostic settings (azure-mgmt-monitor) -> `azure.storage_account` resources.

The SDK's attribute names are read here (enable_https_traffic_only, network_rule_set,
encryption.key_vault_properties, ...); ARM's JSON names never appear. Every value is
normalised to an explicit one: what ARM leaves null takes the value Azure applies for
null (minimumTlsVersion null is TLS 1.0, allowSharedKeyAccess null is allowed, ...), and
what cannot be inferred is recorded as unknown, never as a passing value."""

from __future__ import annotations

from enamel_hipaa.core.model import Resource, unknown
from enamel_hipaa.sources.azure import monitor as diag
from enamel_hipaa.sources.azure.arm import ArmSettings
from enamel_hipaa.sources.azure.values import enum_str, flag, resource_group, tags

TYPE = "azure.storage_account"
ACTIONS = ("Microsoft.Storage/storageAccounts/read", "Microsoft.Storage/storageAccounts/blobServices/read")
# blob log categories, and the category groups that include them (audit: conservatively
# only what Microsoft documents for certain, write and delete)
LOG_CATEGORIES = {
    "StorageRead": "blob_read_logged",
    "StorageWrite": "blob_write_logged",
    "StorageDelete": "blob_delete_logged",
}
GROUPS = {"allLogs": ("StorageRead", "StorageWrite", "StorageDelete"), "audit": ("StorageWrite", "StorageDelete")}


def client(credential, subscription: str, settings: ArmSettings):
    from azure.mgmt.storage import StorageManagementClient

    return StorageManagementClient(credential, subscription, **settings.client_kwargs())


def list_accounts(client) -> list:
    return list(client.storage_accounts.list())  # follows nextLink


def to_resource(account, client, monitor, subscription: str, settings: ArmSettings) -> Resource:
    props = account_properties(account)
    if props["kind"] == "FileStorage":  # premium file shares: no blob service to read
        props["blob"] = props["diagnostics"] = unknown("FileStorage accounts have no blob service")
    else:
        rg, blob_service = props["resource_group"], f"{account.id}/blobServices/default"
        props["blob"] = diag.guarded(
            "blobServices/default",
            settings,
            lambda: blob_properties(client.blob_services.get_service_properties(rg, account.name)),
        )
        props["diagnostics"] = diag.guarded(
            "diagnosticSettings", settings, lambda: diag.logged(monitor, blob_service, LOG_CATEGORIES, GROUPS)
        )
    return Resource(
        type=TYPE,
        id=account.id,
        name=account.name,
        source="live",
        properties=props,
        account=subscription,
        region=account.location,
    )


def account_properties(a) -> dict:
    enc = a.encryption
    kv = getattr(enc, "key_vault_properties", None) if enc else None
    blob_enc = getattr(getattr(enc, "services", None), "blob", None) if enc else None
    imm = a.immutable_storage_with_versioning
    policy = getattr(imm, "immutability_policy", None) if imm else None
    return {
        "id": a.id,
        "resource_group": resource_group(a.id),
        "location": a.location,
        "kind": enum_str(a.kind),
        "sku": enum_str(getattr(a.sku, "name", None)),
        "tags": tags(a.tags),
        "minimum_tls_version": enum_str(a.minimum_tls_version) or "TLS1_0",
        "https_only": flag(a.enable_https_traffic_only, unknown("supportsHttpsTrafficOnly not returned by ARM")),
        "allow_blob_public_access": flag(a.allow_blob_public_access, True),
        "allow_shared_key_access": flag(a.allow_shared_key_access, True),
        "shared_key_policies": shared_key_policies(a.key_policy, a.sas_policy),
        "allow_cross_tenant_replication": flag(a.allow_cross_tenant_replication, True),
        "default_to_oauth_authentication": flag(a.default_to_o_auth_authentication, False),
        "public_network_access": enum_str(a.public_network_access) or "Enabled",
        "network_rules": network_rules(a.network_rule_set),
        "private_endpoints": sum(
            1
            for c in a.private_endpoint_connections or ()
            if enum_str(getattr(getattr(c, "private_link_service_connection_state", None), "status", None))
            == "Approved"
        ),
        "encryption": {
            "key_source": enum_str(getattr(enc, "key_source", None)) or "Microsoft.Storage",
            "key_vault_uri": getattr(kv, "key_vault_uri", None) or None,
            "key_name": getattr(kv, "key_name", None) or None,
            "key_version": getattr(kv, "key_version", None) or None,
            "infrastructure_encryption": flag(getattr(enc, "require_infrastructure_encryption", None), False),
            "blob_encryption_enabled": flag(
                getattr(blob_enc, "enabled", None), unknown("encryption.services.blob not returned by ARM")
            ),
        },
        "immutability": {
            "enabled": flag(getattr(imm, "enabled", None), False),
            "policy_state": enum_str(getattr(policy, "state", None)) or "none",
            "period_days": getattr(policy, "immutability_period_since_creation_in_days", None),
        },
    }


def shared_key_policies(key_policy, sas_policy) -> dict:
    days = getattr(key_policy, "key_expiration_period_in_days", None)
    period = getattr(sas_policy, "sas_expiration_period", None)
    return {
        "key_expiry_policy": days is not None,
        "key_expiration_days": days,
        "sas_expiry_policy": period is not None,
        "sas_expiration_period": period,
        "sas_expiration_action": enum_str(getattr(sas_policy, "expiration_action", None)) if period else None,
    }


def network_rules(rs) -> dict:
    if rs is None:  # no networkAcls: every network may connect
        return {
            "default_action": "Allow",
            "bypass": [],
            "ip_rules": [],
            "virtual_network_rules": [],
            "resource_access_rules": 0,
        }
    bypass = [b.strip() for b in (enum_str(rs.bypass) or "").split(",") if b.strip() and b.strip() != "None"]
    return {
        "default_action": enum_str(rs.default_action) or "Allow",
        "bypass": bypass,
        "ip_rules": [r.ip_address_or_range for r in rs.ip_rules or ()],
        "virtual_network_rules": [r.virtual_network_resource_id for r in rs.virtual_network_rules or ()],
        "resource_access_rules": len(rs.resource_access_rules or ()),
    }


def _retention(policy) -> tuple[bool, int | None]:
    enabled = flag(getattr(policy, "enabled", None), False)
    return enabled, (getattr(policy, "days", None) if enabled else None)


def blob_properties(bs) -> dict:
    soft, soft_days = _retention(bs.delete_retention_policy)
    cont, cont_days = _retention(bs.container_delete_retention_policy)
    pitr, pitr_days = _retention(bs.restore_policy)
    return {
        "soft_delete_enabled": soft,
        "soft_delete_days": soft_days,
        "container_soft_delete_enabled": cont,
        "container_soft_delete_days": cont_days,
        "versioning_enabled": flag(bs.is_versioning_enabled, False),
        "change_feed_enabled": flag(getattr(bs.change_feed, "enabled", None), False),
        "point_in_time_restore_enabled": pitr,
        "point_in_time_restore_days": pitr_days,
    }
