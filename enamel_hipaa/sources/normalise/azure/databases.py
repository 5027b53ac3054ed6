"""Azure SQL logical servers and PostgreSQL / MySQL flexible servers as Enamel sees them,
from ARM's JSON (Microsoft.Sql servers, firewallRules, auditingSettings, encryptionProtector,
transparentDataEncryption; Microsoft.DBforPostgreSQL / Microsoft.DBforMySQL flexibleServers
and their configurations): the one derivation of `azure.sql_server`,
`azure.postgresql_flexible_server` and `azure.mysql_flexible_server`.

Server parameters are read from the server's configurations; one that is not returned is
recorded as unknown (never as the value that would pass)."""

from __future__ import annotations

from enamel_hipaa.core.model import unknown
from enamel_hipaa.sources.normalise.azure.network import resource_group

PG_SETTINGS = (
    "require_secure_transport",
    "ssl_min_protocol_version",
    "log_connections",
    "log_disconnections",
    "log_checkpoints",
    "logfiles.retention_days",
)
MYSQL_SETTINGS = ("require_secure_transport", "tls_version", "audit_log_enabled", "audit_log_events")


def _props(doc: dict) -> dict:
    return doc.get("properties") or {}


def _common(doc: dict) -> dict:
    return {
        "id": doc["id"],
        "resource_group": resource_group(doc["id"]),
        "location": doc.get("location"),
        "tags": {str(k).lower(): str(v) for k, v in (doc.get("tags") or {}).items()},
    }


def firewall_view(rules: list[dict]) -> dict:
    ranges = [(_props(r).get("startIpAddress"), _props(r).get("endIpAddress")) for r in rules]
    return {
        "rules": len(rules),
        "open_to_internet": any(a == "0.0.0.0" and b == "255.255.255.255" for a, b in ranges),
        "allow_azure_services": any(a == "0.0.0.0" and b == "0.0.0.0" for a, b in ranges),
    }


def auditing_view(policy: dict) -> dict:
    p = _props(policy)
    days = int(p.get("retentionDays") or 0)
    return {
        "enabled": str(p.get("state", "Disabled")) == "Enabled",
        # 0 keeps audit records without limit; a Log Analytics / Event Hub target keeps them per its own retention
        "retention_days": days,
        "retention_unlimited": days == 0,
        "to_storage": bool(p.get("storageEndpoint")),
        "to_azure_monitor": bool(p.get("isAzureMonitorTargetEnabled")),
    }


def sql_server_properties(server: dict, firewall, auditing, protector, tde) -> dict:
    """firewall/auditing/protector/tde: the per-server reads (each may be an `$error` value);
    tde: {database name: state}."""
    p = _props(server)
    admins = p.get("administrators") or {}
    return {
        **_common(server),
        "public_network_access": p.get("publicNetworkAccess") or "Enabled",
        # minimalTlsVersion absent or "None": every TLS version is accepted
        "minimal_tls_version": p.get("minimalTlsVersion") or "None",
        "entra_admin": bool(admins.get("login") or admins.get("sid")),
        "entra_only_authentication": bool(admins.get("azureADOnlyAuthentication")),
        "firewall": firewall if "$error" in firewall else firewall_view(firewall["rules"]),
        "auditing": auditing if "$error" in auditing else auditing_view(auditing),
        "tde_protector": protector
        if "$error" in protector
        else (_props(protector).get("serverKeyType") or unknown("serverKeyType not returned by ARM")),
        "databases_tde": tde
        if "$error" in tde
        else {
            "databases": len(tde),
            "all_encrypted": all(s == "Enabled" for s in tde.values()),
            "unencrypted": sorted(n for n, s in tde.items() if s != "Enabled"),
        },
    }


def settings(configurations: list[dict], names: tuple[str, ...]) -> dict:
    found = {c.get("name"): _props(c).get("value") for c in configurations}
    return {
        n.replace(".", "_"): (str(found[n]) if found.get(n) is not None else unknown(f"{n} not returned"))
        for n in names
    }


def _flexible(server: dict) -> dict:
    p = _props(server)
    net = p.get("network") or {}
    backup = p.get("backup") or {}
    return {
        **_common(server),
        "version": str(p.get("version") or "unknown"),
        # a server in a delegated subnet (VNet integration) has no public endpoint at all
        "public_network_access": net.get("publicNetworkAccess")
        or ("Disabled" if net.get("delegatedSubnetResourceId") else "Enabled"),
        "geo_redundant_backup": str(backup.get("geoRedundantBackup") or "Disabled") == "Enabled",
        "backup_retention_days": int(backup.get("backupRetentionDays") or 7),
        "customer_managed_key": str((p.get("dataEncryption") or {}).get("type") or "SystemManaged")
        in ("AzureKeyVault", "AzureKeyVaultKey"),
    }


def postgresql_properties(server: dict, configurations) -> dict:
    auth = _props(server).get("authConfig") or {}
    return {
        **_flexible(server),
        "entra_authentication": str(auth.get("activeDirectoryAuth") or "Disabled") == "Enabled",
        "password_authentication": str(auth.get("passwordAuth") or "Enabled") == "Enabled",
        "parameters": configurations if "$error" in configurations else settings(configurations["items"], PG_SETTINGS),
    }


def mysql_properties(server: dict, configurations) -> dict:
    return {
        **_flexible(server),
        "parameters": configurations
        if "$error" in configurations
        else settings(configurations["items"], MYSQL_SETTINGS),
    }
