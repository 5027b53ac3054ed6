"""Terraform azurerm resources -> azure.* Resources through the live collector's derivations
(sources/azure/storage.py, monitor.py), which read the Azure SDK's model attributes: the
azurerm attributes are mapped onto those attribute names here (azurerm 2.x, 3.x and 4.x names).

A block the configuration leaves computed takes Azure's default for a new account (network
rules absent: Allow; blob soft delete and versioning off); no azurerm_monitor_diagnostic_setting
means no diagnostic settings.
"""

from __future__ import annotations

from types import SimpleNamespace as NS

from enamel_hipaa.core.model import Resource, unknown
from enamel_hipaa.sources.azure import keyvault, monitor, storage
from enamel_hipaa.sources.pulumi.plan import is_marker
from enamel_hipaa.sources.terraform.planjson import Instance

TYPES = {
    "azurerm_storage_account",
    "azurerm_key_vault",
    "azurerm_monitor_diagnostic_setting",
    "azurerm_storage_account_customer_managed_key",
    "azurerm_storage_account_network_rules",
    "azurerm_key_vault_key",
    "azurerm_key_vault_secret",
    "azurerm_private_endpoint",
}


def _one(v):
    if isinstance(v, list):
        return v[0] if v and isinstance(v[0], dict) else None
    return v if isinstance(v, dict) else None


def _first(v: dict, *names, default=None):
    for n in names:
        if n in v and v[n] is not None:
            return v[n]
    return default


def _flag_str(v, yes: str, no: str):
    if is_marker(v) or v is None:
        return v
    return yes if v else no


def _arm_id(v: dict, kind: str) -> str:
    """The ARM id, or its shape with the subscription left open while it is known after apply."""
    if isinstance(v.get("id"), str):
        return v["id"]
    return f"/subscriptions/(known after apply)/resourceGroups/{v.get('resource_group_name')}/providers/{kind}/{v.get('name')}"


def _key_vault_props(key_id) -> NS | None:
    if not isinstance(key_id, str):
        return None if key_id is None else NS(key_vault_uri=key_id, key_name=key_id, key_version=None)
    parts = key_id.split("/")  # https://<vault>.vault.azure.net/keys/<name>[/<version>]
    return NS(
        key_vault_uri="/".join(parts[:3]) + "/",
        key_name=parts[4] if len(parts) > 4 else None,
        key_version=parts[5] if len(parts) > 5 else None,
    )


def _account(inst: Instance, cmk: dict | None, rules: dict | None) -> NS:
    v = inst.values
    nr = rules or _one(v.get("network_rules"))
    cmk = cmk or _one(v.get("customer_managed_key"))
    imm = _one(v.get("immutability_policy"))
    sas = _one(v.get("sas_policy"))
    tier, repl = v.get("account_tier"), v.get("account_replication_type")
    return NS(
        id=_arm_id(v, "Microsoft.Storage/storageAccounts"),
        location=v.get("location"),
        kind=v.get("account_kind", "StorageV2"),
        sku=NS(name=f"{tier}_{repl}" if isinstance(tier, str) and isinstance(repl, str) else None),
        tags=v.get("tags"),
        minimum_tls_version=v.get("min_tls_version"),
        enable_https_traffic_only=_first(v, "https_traffic_only_enabled", "enable_https_traffic_only", default=True),
        allow_blob_public_access=_first(v, "allow_nested_items_to_be_public", "allow_blob_public_access"),
        allow_shared_key_access=v.get("shared_access_key_enabled"),
        key_policy=None,
        sas_policy=NS(
            sas_expiration_period=sas.get("expiration_period"), expiration_action=sas.get("expiration_action", "Log")
        )
        if sas
        else None,
        allow_cross_tenant_replication=v.get("cross_tenant_replication_enabled"),
        default_to_o_auth_authentication=v.get("default_to_oauth_authentication"),
        public_network_access=_flag_str(v.get("public_network_access_enabled", True), "Enabled", "Disabled"),
        network_rule_set=NS(
            bypass=",".join(b for b in (nr.get("bypass") or nr.get("bypasses") or []) if isinstance(b, str)) or "None",
            default_action=nr.get("default_action"),
            ip_rules=[NS(ip_address_or_range=i) for i in nr.get("ip_rules") or []],
            virtual_network_rules=[
                NS(virtual_network_resource_id=s) for s in nr.get("virtual_network_subnet_ids") or []
            ],
            resource_access_rules=nr.get("private_link_access") or [],
        )
        if nr
        else None,
        private_endpoint_connections=[],
        encryption=NS(
            key_source="Microsoft.Keyvault" if cmk else "Microsoft.Storage",
            key_vault_properties=_key_vault_props(cmk.get("key_vault_key_id")) if cmk else None,
            require_infrastructure_encryption=v.get("infrastructure_encryption_enabled"),
            services=NS(blob=NS(enabled=True)),
        ),
        immutable_storage_with_versioning=NS(
            enabled=True,
            immutability_policy=NS(
                state=imm.get("state"),
                immutability_period_since_creation_in_days=imm.get("period_since_creation_in_days"),
            ),
        )
        if imm
        else None,
    )


def _blob(v: dict) -> dict:
    bp = _one(v.get("blob_properties")) or {}

    def policy(name):
        b = _one(bp.get(name))
        return NS(enabled=True, days=b.get("days")) if b else None

    return storage.blob_properties(
        NS(
            delete_retention_policy=policy("delete_retention_policy"),
            container_delete_retention_policy=policy("container_delete_retention_policy"),
            restore_policy=policy("restore_policy"),
            is_versioning_enabled=bp.get("versioning_enabled"),
            change_feed=NS(enabled=bp.get("change_feed_enabled")),
        )
    )


def _many(v) -> list:
    return v if isinstance(v, list) else [v] if isinstance(v, dict) else []


class _Monitor:
    """monitor.logged reads `diagnostic_settings.list(id)`; here from the plan's settings."""

    def __init__(self, settings: list[dict]):
        self.diagnostic_settings = self
        self.settings = settings

    def list(self, _):
        for s in self.settings:
            logs = [
                NS(
                    enabled=lg.get("enabled", True),
                    category=lg.get("category"),
                    category_group=lg.get("category_group"),
                )
                for key in ("enabled_log", "enabled_logs", "log", "logs")
                for lg in _many(s.get(key))
                if isinstance(lg, dict)
            ]
            yield NS(
                workspace_id=s.get("log_analytics_workspace_id"),
                storage_account_id=s.get("storage_account_id"),
                event_hub_authorization_rule_id=s.get("eventhub_authorization_rule_id"),
                marketplace_partner_id=s.get("partner_solution_id"),
                logs=logs,
            )


def resources(insts: list[Instance]) -> list[Resource]:
    attached: dict[str, dict[str, list[dict]]] = {}
    for inst in insts:
        for t, attr in (
            ("azurerm_monitor_diagnostic_setting", "target_resource_id"),
            ("azurerm_storage_account_customer_managed_key", "storage_account_id"),
            ("azurerm_storage_account_network_rules", "storage_account_id"),
            ("azurerm_key_vault_key", "key_vault_id"),
            ("azurerm_key_vault_secret", "key_vault_id"),
            ("azurerm_private_endpoint", "private_service_connection"),
        ):
            if inst.type == t:
                for target in inst.refs.get(attr, []):
                    attached.setdefault(target, {}).setdefault(t, []).append(inst.values)
    out = []
    for inst in insts:
        att = attached.get(inst.address, {})
        diag = monitor.logged(
            _Monitor(att.get("azurerm_monitor_diagnostic_setting", [])),
            inst.address,
            *(
                (storage.LOG_CATEGORIES, storage.GROUPS)
                if inst.type == "azurerm_storage_account"
                else (keyvault.AUDIT, keyvault.GROUPS)
            ),
        )
        if inst.type == "azurerm_storage_account":
            props = storage.account_properties(
                _account(
                    inst,
                    (att.get("azurerm_storage_account_customer_managed_key") or [None])[-1],
                    (att.get("azurerm_storage_account_network_rules") or [None])[-1],
                )
            )
            props["blob"] = _blob(inst.values)
            props["diagnostics"] = diag
            out.append(
                Resource(
                    type=storage.TYPE,
                    id=inst.address,
                    name=str(inst.values.get("name")),
                    source="plan",
                    properties=props,
                    region=inst.values.get("location"),
                )
            )
        elif inst.type == "azurerm_key_vault":
            v = inst.values
            acls = _one(v.get("network_acls")) or {}
            props = {
                "id": _arm_id(v, "Microsoft.KeyVault/vaults"),
                "resource_group": v.get("resource_group_name"),
                "location": v.get("location"),
                "tags": {k: x for k, x in (v.get("tags") or {}).items() if isinstance(x, str)},
                "vault_uri": v.get("vault_uri")
                if isinstance(v.get("vault_uri"), str)
                else unknown("known after apply"),
                "soft_delete_enabled": v.get("soft_delete_enabled", True),  # always on since azurerm 3.0
                "soft_delete_days": v.get("soft_delete_retention_days") or 90,
                "purge_protection_enabled": bool(v.get("purge_protection_enabled")),
                "rbac_authorization": bool(
                    _first(v, "rbac_authorization_enabled", "enable_rbac_authorization", default=False)
                ),
                "public_network_access": _flag_str(v.get("public_network_access_enabled", True), "Enabled", "Disabled"),
                "network_default_action": acls.get("default_action") or "Allow",
                **_vault_contents(inst, att),
                "diagnostics": diag,
            }
            out.append(
                Resource(
                    type=keyvault.TYPE,
                    id=inst.address,
                    name=str(v.get("name")),
                    source="plan",
                    properties=props,
                    region=v.get("location"),
                )
            )
    return out


def _vault_contents(inst: Instance, att: dict) -> dict:
    """keys, secrets and approved private endpoints of a vault, from the azurerm_key_vault_key,
    _secret and azurerm_private_endpoint resources that reference it. A vault this plan creates
    holds exactly those at apply; an existing one may hold more made outside this plan, so
    there a count that would pass is unknown (a failing key or secret still fails)."""
    created = "create" in inst.actions
    outside = unknown("an existing vault may hold keys, secrets or endpoints made outside this plan")

    def objects(kind: str, rotation: bool):
        items = [v for v in att.get(kind, []) if v.get("enabled", True) is not False]
        if any(is_marker(v.get("expiration_date")) for v in items):
            return unknown("an expiry date is known after apply")
        out = {"count": len(items), "without_expiry": sum(1 for v in items if not v.get("expiration_date"))}
        if rotation:
            out["without_rotation"] = sum(1 for v in items if not _auto_rotation(v.get("rotation_policy")))
        failing = out["without_expiry"] or out.get("without_rotation")
        return out if created or failing else outside

    endpoints = [
        v
        for v in att.get("azurerm_private_endpoint", [])
        if (_one(v.get("private_service_connection")) or {}).get("is_manual_connection") is False
    ]
    return {
        "keys": objects("azurerm_key_vault_key", True),
        "secrets": objects("azurerm_key_vault_secret", False),
        # an automatic connection by the vault's deployer is approved at creation; a manual one waits
        "private_endpoints": len(endpoints) if created or endpoints else outside,
    }


def _auto_rotation(policy) -> bool:
    p = _one(policy)
    return isinstance(p, dict) and bool(_one(p.get("automatic")))
