"""Azure SQL servers (azure-mgmt-sql) and PostgreSQL / MySQL flexible servers
(azure-mgmt-postgresqlflexibleservers, azure-mgmt-mysqlflexibleservers) ->
`azure.sql_server`, `azure.postgresql_flexible_server`, `azure.mysql_flexible_server`.
Orthanc's index can live in PostgreSQL or MySQL; practice-management systems often in SQL.
Derivations: sources/normalise/azure/databases.py. Per-server reads run `workers` at a time;
a failed one is an `$error` value (its rules say error)."""

from __future__ import annotations

from enamel_hipaa.sources import Collection
from enamel_hipaa.sources.azure.arm import ArmSettings
from enamel_hipaa.sources.azure.collecting import guarded, listed, mgmt_client, parallel, resource
from enamel_hipaa.sources.azure.values import arm
from enamel_hipaa.sources.normalise.azure import databases as norm
from enamel_hipaa.sources.normalise.azure.network import resource_group

SQL, PG, MYSQL = "azure.sql_server", "azure.postgresql_flexible_server", "azure.mysql_flexible_server"
SERVICES = (("sql", SQL), ("postgresql", PG), ("mysql", MYSQL))
SDK = ("azure.mgmt.sql", "azure.mgmt.postgresqlflexibleservers", "azure.mgmt.mysqlflexibleservers")
ACTIONS = (
    "Microsoft.Sql/servers/read",
    "Microsoft.Sql/servers/firewallRules/read",
    "Microsoft.Sql/servers/auditingSettings/read",
    "Microsoft.Sql/servers/encryptionProtector/read",
    "Microsoft.Sql/servers/databases/read",
    "Microsoft.Sql/servers/databases/transparentDataEncryption/read",
    "Microsoft.DBforPostgreSQL/flexibleServers/read",
    "Microsoft.DBforPostgreSQL/flexibleServers/configurations/read",
    "Microsoft.DBforMySQL/flexibleServers/read",
    "Microsoft.DBforMySQL/flexibleServers/configurations/read",
)


def collect(credential, subscription: str, settings: ArmSettings) -> Collection:
    from azure.mgmt.mysqlflexibleservers import MySQLManagementClient
    from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient
    from azure.mgmt.sql import SqlManagementClient

    out = Collection()
    sql = mgmt_client(SqlManagementClient, credential, subscription, settings)
    servers = listed(out.errors, "sql", (SQL,), subscription, settings, sql.servers.list)
    out.resources.extend(parallel(settings, lambda s: _sql_server(sql, s, subscription, settings), servers or []))
    for rtype, service, cls, list_name, derive in (
        (PG, "postgresql", PostgreSQLManagementClient, "list_by_subscription", norm.postgresql_properties),
        (MYSQL, "mysql", MySQLManagementClient, "list", norm.mysql_properties),
    ):
        client = mgmt_client(cls, credential, subscription, settings)
        found = listed(out.errors, service, (rtype,), subscription, settings, getattr(client.servers, list_name))

        def convert(server, client=client, rtype=rtype, derive=derive):
            rg = resource_group(server["id"])
            configs = guarded(
                "configurations",
                settings,
                lambda: {"items": [arm(c) for c in client.configurations.list_by_server(rg, server["name"])]},
            )
            return resource(rtype, server, derive(server, configs), subscription)

        out.resources.extend(parallel(settings, convert, found or []))
    return out


def _sql_server(client, server: dict, subscription: str, settings: ArmSettings):
    rg, name = resource_group(server["id"]), server["name"]

    def tde():
        states = {}
        for db in client.databases.list_by_server(rg, name):
            db = arm(db)
            if db["name"].lower() == "master":  # system database: TDE does not apply
                continue
            t = arm(client.transparent_data_encryptions.get(rg, name, db["name"], "current"))
            states[db["name"]] = (t.get("properties") or {}).get("state") or "Unknown"
        return states

    props = norm.sql_server_properties(
        server,
        firewall=guarded(
            "firewallRules",
            settings,
            lambda: {"rules": [arm(r) for r in client.firewall_rules.list_by_server(rg, name)]},
        ),
        auditing=guarded("auditingSettings", settings, lambda: arm(client.server_blob_auditing_policies.get(rg, name))),
        protector=guarded(
            "encryptionProtector", settings, lambda: arm(client.encryption_protectors.get(rg, name, "current"))
        ),
        tde=guarded("transparentDataEncryption", settings, tde),
    )
    return resource(SQL, server, props, subscription)
