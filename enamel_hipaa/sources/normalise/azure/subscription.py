"""A subscription's security monitoring as Enamel sees it, from ARM's JSON (Microsoft.Security
pricings and securityContacts, Microsoft.Insights subscription diagnosticSettings and
activityLogAlerts): the one derivation of `azure.subscription`."""

from __future__ import annotations

from enamel_hipaa.core.model import unknown

# Defender for Cloud plan (pricing name) -> property key
PLANS = {
    "VirtualMachines": "virtual_machines",
    "StorageAccounts": "storage_accounts",
    "SqlServers": "sql_servers",
    "SqlServerVirtualMachines": "sql_server_virtual_machines",
    "OpenSourceRelationalDatabases": "open_source_relational_databases",
    "KeyVaults": "key_vaults",
    "Arm": "arm",
}
# activity log categories an export must carry (CIS / Prowler: administrative, security, alert, policy)
CATEGORIES = ("Administrative", "Security", "Alert", "Policy")
# operations whose changes an activity-log alert must watch
OPERATIONS = {
    "Microsoft.Authorization/policyAssignments/write": "policy_assignment_write",
    "Microsoft.Authorization/policyAssignments/delete": "policy_assignment_delete",
    "Microsoft.Network/networkSecurityGroups/write": "nsg_write",
    "Microsoft.Network/networkSecurityGroups/delete": "nsg_delete",
    "Microsoft.Security/securitySolutions/write": "security_solution_write",
    "Microsoft.Security/securitySolutions/delete": "security_solution_delete",
    "Microsoft.Sql/servers/firewallRules/write": "sql_firewall_write",
    "Microsoft.Sql/servers/firewallRules/delete": "sql_firewall_delete",
}
DESTINATIONS = (
    ("workspaceId", "log_analytics"),
    ("storageAccountId", "storage"),
    ("eventHubAuthorizationRuleId", "event_hub"),
    ("marketplacePartnerId", "partner"),
)


def _props(doc: dict) -> dict:
    return doc.get("properties") or {}


def defender_plans(pricings: list[dict]) -> dict:
    tiers = {p.get("name"): _props(p).get("pricingTier") for p in pricings}
    return {
        key: (tiers[name] if tiers.get(name) else unknown(f"pricing {name} not returned"))
        for name, key in PLANS.items()
    }


def security_contact(contacts: list[dict]) -> dict:
    emails, alerts, severity, owners = 0, False, "none", False
    for c in contacts:
        p = _props(c)
        emails += len([e for e in str(p.get("emails") or "").replace(",", ";").split(";") if e.strip()])
        notify = p.get("alertNotifications") or {}
        if str(notify.get("state", "")).lower() == "on":
            alerts, severity = True, notify.get("minimalSeverity") or "High"
        roles = p.get("notificationsByRole") or {}
        owners = owners or (str(roles.get("state", "")).lower() == "on" and "Owner" in (roles.get("roles") or []))
    return {
        "configured": bool(contacts),
        "emails": emails,
        "alert_notifications": alerts,
        "minimal_severity": severity,
        "notify_owners": owners,
    }


def activity_log(settings: list[dict]) -> dict:
    found, destinations = set(), []
    for s in settings:
        p = _props(s)
        dests = [name for key, name in DESTINATIONS if p.get(key)]
        if not dests:
            continue
        destinations.extend(d for d in dests if d not in destinations)
        found.update(log.get("category") for log in p.get("logs") or () if log.get("enabled"))
    return {
        "exported": bool(destinations),
        "destinations": destinations,
        "missing_categories": [c for c in CATEGORIES if c not in found],
    }


def _conditions(alert: dict) -> list[dict]:
    return list((_props(alert).get("condition") or {}).get("allOf") or [])


def activity_alerts(alerts: list[dict]) -> dict:
    watched, health = set(), False
    for a in alerts:
        if not _props(a).get("enabled", True):
            continue
        for cond in _conditions(a):
            field, equals = str(cond.get("field", "")).lower(), str(cond.get("equals", ""))
            if field == "operationname":
                watched.update(op for op in OPERATIONS if op.lower() == equals.lower())
            if field == "category" and equals.lower() == "servicehealth":
                health = True
    return {"missing": [OPERATIONS[op] for op in OPERATIONS if op not in watched], "service_health": health}


def subscription_properties(subscription: str, pricings, contacts, diagnostics, alerts) -> dict:
    """Each argument a list of ARM JSON documents, or an `$error` value (its rules say error)."""

    def view(value, derive):
        return value if isinstance(value, dict) else derive(value)

    return {
        "id": f"/subscriptions/{subscription}",
        "subscription_id": subscription,
        "defender_plans": view(pricings, defender_plans),
        "security_contact": view(contacts, security_contact),
        "activity_log": view(diagnostics, activity_log),
        "activity_alerts": view(alerts, activity_alerts),
    }
