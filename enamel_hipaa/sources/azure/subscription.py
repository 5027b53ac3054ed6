"""Subscription-wide monitoring (azure-mgmt-security, azure-mgmt-monitor) -> one
`azure.subscription` per subscription: Defender for Cloud plans, the security contact, the
activity log export and activity-log alerts. Each read that fails is an `$error` value in
its property, so only the rules reading it say error. Derivation:
sources/normalise/azure/subscription.py."""

from __future__ import annotations

from enamel_hipaa.core.model import CollectionError, Resource
from enamel_hipaa.sources import Collection
from enamel_hipaa.sources.azure.arm import ArmSettings
from enamel_hipaa.sources.azure.collecting import guarded, mgmt_client
from enamel_hipaa.sources.azure.values import arm
from enamel_hipaa.sources.normalise.azure.subscription import subscription_properties

TYPE = "azure.subscription"
SERVICES = (("monitoring", TYPE),)
SDK = ("azure.mgmt.security", "azure.mgmt.monitor")
ACTIONS = (
    "Microsoft.Security/pricings/read",
    "Microsoft.Security/securityContacts/read",
    "Microsoft.Insights/diagnosticSettings/read",
    "Microsoft.Insights/activityLogAlerts/read",
)


def collect(credential, subscription: str, settings: ArmSettings) -> Collection:
    from azure.mgmt.monitor import MonitorManagementClient
    from azure.mgmt.security import SecurityCenter

    security = mgmt_client(SecurityCenter, credential, subscription, settings)
    monitor = mgmt_client(MonitorManagementClient, credential, subscription, settings)
    props = subscription_properties(
        subscription,
        pricings=guarded(
            "pricings",
            settings,
            lambda: [arm(p) for p in security.pricings.list(f"subscriptions/{subscription}").value or ()],
        ),
        contacts=guarded("securityContacts", settings, lambda: [arm(c) for c in security.security_contacts.list()]),
        diagnostics=guarded(
            "activity log diagnosticSettings",
            settings,
            lambda: [arm(d) for d in monitor.subscription_diagnostic_settings.list()],
        ),
        alerts=guarded(
            "activityLogAlerts",
            settings,
            lambda: [arm(a) for a in monitor.activity_log_alerts.list_by_subscription_id()],
        ),
    )
    errors = [v for v in props.values() if isinstance(v, dict) and "$error" in v]
    out = Collection()
    if len(errors) == 4:  # nothing readable: the subscription itself is out of reach
        reason = errors[0]["$error"].partition(": ")[2]  # without the "pricings: " label
        out.errors.append(CollectionError("azure", "monitoring", reason, account=subscription, resource_type=TYPE))
        return out
    out.resources.append(
        Resource(
            type=TYPE,
            id=props["id"],
            name=subscription,
            source="live",
            properties=props,
            account=subscription,
            region="global",
        )
    )
    return out
