"""Azure Monitor diagnostic settings (azure-mgmt-monitor): which log categories of a
resource reach a destination, and the guarded per-resource read used for them."""

from __future__ import annotations

from enamel_hipaa.core.model import error_value
from enamel_hipaa.sources.azure.arm import ArmSettings, describe_error

ACTIONS = ("Microsoft.Insights/diagnosticSettings/read",)
DESTINATIONS = (
    ("workspace_id", "log_analytics"),
    ("storage_account_id", "storage"),
    ("event_hub_authorization_rule_id", "event_hub"),
    ("marketplace_partner_id", "partner"),
)


def client(credential, subscription: str, settings: ArmSettings):
    from azure.mgmt.monitor import MonitorManagementClient

    return MonitorManagementClient(credential, subscription, **settings.client_kwargs())


def guarded(what: str, settings: ArmSettings, read):
    """One per-resource read; a failure is an `$error` value (the rules needing it say
    `error`), except a credential failure, which stops the tenant."""
    from azure.core.exceptions import AzureError, ClientAuthenticationError

    try:
        return read()
    except ClientAuthenticationError:
        raise
    except AzureError as exc:
        return error_value(f"{what}: {describe_error(exc, settings)}")


def logged(monitor, resource_id: str, categories: dict[str, str], groups: dict[str, tuple]) -> dict:
    """{settings, destinations, <key>: bool per category}. A category counts as logged when
    an enabled log for it (or for a category group that includes it) goes to a destination.
    `categories` maps a log category to its property key; `groups` a group to its categories."""
    found: set[str] = set()
    destinations: list[str] = []
    settings = list(monitor.diagnostic_settings.list(resource_id.lstrip("/")))
    for s in settings:
        dests = [name for attr, name in DESTINATIONS if getattr(s, attr, None)]
        if not dests:
            continue
        destinations.extend(d for d in dests if d not in destinations)
        for log in s.logs or ():
            if log.enabled:
                found.update([log.category] if log.category in categories else ())
                found.update(groups.get(getattr(log, "category_group", None) or "", ()))
    out = {"settings": len(settings), "destinations": destinations}
    out.update({key: cat in found for cat, key in categories.items()})
    return out
