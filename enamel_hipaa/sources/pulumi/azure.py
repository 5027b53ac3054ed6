"""azure.storage_account and azure.key_vault from Pulumi records of the azure-native provider
(ARM's shape in camelCase: the live collector's SDK attribute names once snake_cased) and of
the classic azure provider (generated from azurerm: the Terraform converter's shape once
snake_cased). Both go through the live collector's derivations (sources/azure/storage.py).

What a program leaves out takes Azure's default for a new resource: no BlobServiceProperties
resource means soft delete and versioning off; no DiagnosticSetting means no diagnostics."""

from __future__ import annotations

import re

from enamel_hipaa.core.model import Resource
from enamel_hipaa.sources.azure import keyvault, monitor, storage
from enamel_hipaa.sources.pulumi.plan import Plan, is_marker

NATIVE_ACCOUNT = "azure-native:storage:StorageAccount"
NATIVE_BLOB = "azure-native:storage:BlobServiceProperties"
NATIVE_VAULT = "azure-native:keyvault:Vault"
NATIVE_DIAG = "azure-native:insights:DiagnosticSetting"
CLASSIC = {
    "azure:storage/account:Account": "azurerm_storage_account",
    "azure:keyvault/keyVault:KeyVault": "azurerm_key_vault",
    "azure:monitoring/diagnosticSetting:DiagnosticSetting": "azurerm_monitor_diagnostic_setting",
}
_CAP = re.compile(r"(?<=[a-z0-9])([A-Z])")
_FIX = {"i_p_address_or_range": "ip_address_or_range"}


def snake(v):
    if isinstance(v, dict) and not is_marker(v):
        out = {}
        for k, x in v.items():
            sk = _CAP.sub(lambda m: "_" + m.group(1).lower(), k).lower() if k != "tags" else k
            out[_FIX.get(sk, sk)] = x if k == "tags" else snake(x)
        return out
    if isinstance(v, list):
        return [snake(x) for x in v]
    return v


class _Obj:
    """An SDK-model-like view of a dict: attributes by snake_case name, None when absent."""

    def __init__(self, d: dict):
        self._d = d

    def __getattr__(self, name):
        v = self._d.get(name)
        if name == "tags":
            return v if isinstance(v, dict) else None
        if isinstance(v, dict) and not is_marker(v):
            return _Obj(v)
        if isinstance(v, list):
            return [_Obj(x) if isinstance(x, dict) and not is_marker(x) else x for x in v]
        return v


class _Settings:
    def __init__(self, settings: list[dict]):
        self.diagnostic_settings, self.settings = self, settings

    def list(self, _):
        return [_Obj(s) for s in self.settings]


def _attached(plan: Plan, ctype: str, prop: str, targets: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for rec in _of(plan, ctype):
        t = plan.ref(rec, prop, targets)
        if isinstance(t, dict) and "urn" in t:
            found.setdefault(t["urn"], []).append(snake(rec["props"]))
    return found


def _arm_id(rec: dict, p: dict, kind: str, name_key: str) -> str:
    if isinstance(p.get("id"), str) and p["id"].startswith("/subscriptions/"):
        return p["id"]
    if isinstance(rec.get("id"), str) and rec["id"].startswith("/subscriptions/"):
        return rec["id"]
    return (
        f"/subscriptions/(known after deploy)/resourceGroups/{p.get('resourceGroupName')}/providers/{kind}/"
        f"{p.get(name_key) or rec['name']}"
    )


def _of(plan: Plan, token: str) -> list[dict]:
    """Records of an azure-native token, its API-versioned modules included (storage/v20230101)."""
    pkg, mod, cls = token.split(":")
    return [
        r
        for t, recs in plan.by_type.items()
        if t.startswith(f"{pkg}:{mod}") and t.endswith(f":{cls}") and t.split(":")[1].split("/")[0] == mod
        for r in recs
    ]


def native(plan: Plan) -> list[Resource]:
    out = []
    accounts = _of(plan, NATIVE_ACCOUNT)
    idx = {r["urn"]: r for r in accounts}
    idx.update({r["props"]["accountName"]: r for r in accounts if isinstance(r["props"].get("accountName"), str)})
    blobs = _attached(plan, NATIVE_BLOB, "accountName", idx)
    vaults = _of(plan, NATIVE_VAULT)
    targets = dict(idx, **{r["urn"]: r for r in vaults})
    diags = _attached(plan, NATIVE_DIAG, "resourceUri", targets)
    for rec in accounts:
        p = rec["props"]
        arm = snake(p)
        arm["id"] = _arm_id(rec, p, "Microsoft.Storage/storageAccounts", "accountName")
        props = storage.account_properties(_Obj(arm))
        b = (blobs.get(rec["urn"]) or [{}])[-1]
        props["blob"] = storage.blob_properties(_Obj(b))
        props["diagnostics"] = monitor.logged(
            _Settings(_native_diags(diags.get(rec["urn"], []))), arm["id"], storage.LOG_CATEGORIES, storage.GROUPS
        )
        out.append(
            Resource(
                type=storage.TYPE,
                id=arm["id"],
                name=str(p.get("accountName") or rec["name"]),
                source=plan.source,
                properties=props,
                region=p.get("location"),
            )
        )
    for rec in vaults:
        p = rec["props"]
        vp = p.get("properties") or {}
        rid = _arm_id(rec, p, "Microsoft.KeyVault/vaults", "vaultName")
        soft = vp.get("enableSoftDelete", True)
        props = {
            "id": rid,
            "resource_group": p.get("resourceGroupName"),
            "location": p.get("location"),
            "tags": {k: v for k, v in (p.get("tags") or {}).items() if isinstance(v, str)},
            "vault_uri": vp.get("vaultUri") or f"https://{p.get('vaultName') or rec['name']}.vault.azure.net/",
            "soft_delete_enabled": soft,
            "soft_delete_days": (vp.get("softDeleteRetentionInDays") or 90) if soft is True else None,
            "purge_protection_enabled": bool(vp.get("enablePurgeProtection", False)),
            "rbac_authorization": bool(vp.get("enableRbacAuthorization", False)),
            "public_network_access": vp.get("publicNetworkAccess") or "Enabled",
            "network_default_action": (vp.get("networkAcls") or {}).get("defaultAction") or "Allow",
            "diagnostics": monitor.logged(
                _Settings(_native_diags(diags.get(rec["urn"], []))), rid, keyvault.AUDIT, keyvault.GROUPS
            ),
        }
        out.append(
            Resource(
                type=keyvault.TYPE,
                id=rid,
                name=str(p.get("vaultName") or rec["name"]),
                source=plan.source,
                properties=props,
                region=p.get("location"),
            )
        )
    return out


def _native_diags(settings: list[dict]) -> list[dict]:
    return [dict(s, logs=s.get("logs") or []) for s in settings]


def classic(plan: Plan) -> list[Resource]:
    """The classic provider's records through the Terraform azurerm converter."""
    from enamel_hipaa.sources.terraform import azure as tfazure
    from enamel_hipaa.sources.terraform.planjson import Instance

    insts = []
    for token, tf_type in CLASSIC.items():
        for rec in plan.by_type.get(token, []):
            refs = {snake({k: 0}).popitem()[0]: v for k, v in (rec.get("deps") or {}).items()}
            insts.append(Instance(address=rec["urn"], type=tf_type, values=snake(rec["props"]), refs=refs))
    out = []
    for r in tfazure.resources(insts):
        out.append(
            Resource(type=r.type, id=r.id, name=r.name, source=plan.source, properties=r.properties, region=r.region)
        )
    return out
