"""Source `azure`: live Azure storage accounts and key vaults, read through ARM with the
azure SDK (azure-identity, azure-mgmt-storage, azure-mgmt-monitor, azure-mgmt-keyvault,
azure-mgmt-resource-subscriptions). See docs/azure.md.

Fails closed: a subscription whose listing is denied (403) or stays throttled (429 after
bounded retries honouring Retry-After) becomes a CollectionError, so every rule on that
type reports `error` there; a per-account read that fails becomes an `$error` value. A
credential that cannot get a token makes its tenant an error; when no identity works at
all the scan stops with one line (exit 2)."""

from __future__ import annotations

import importlib
import logging
import os
from concurrent.futures import ThreadPoolExecutor

from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.model import CollectionError
from enamel_hipaa.sources import Collection
from enamel_hipaa.sources.azure import (
    arm,
    auth,
    compute,
    databases,
    graph,
    keyvault,
    monitor,
    network,
    storage,
    subscription,
)

# services beyond storage and key vaults: each has collect(credential, subscription, settings)
# -> Collection, SERVICES ((service, resource type), ...), SDK (modules) and ACTIONS
MORE = (network, compute, databases, subscription)
SERVICES = (("storage", storage.TYPE), ("keyvault", keyvault.TYPE)) + tuple(s for m in MORE for s in m.SERVICES)
SCANNABLE_STATES = {"Enabled", "Warning", "PastDue"}
SDK_MODULES = (
    "azure.identity",
    "azure.mgmt.storage",
    "azure.mgmt.monitor",
    "azure.mgmt.keyvault",
    "azure.mgmt.resource.subscriptions",
) + tuple(sdk for m in MORE for sdk in m.SDK)
# every ARM permission the collector uses; reader-role.json (shipped) grants exactly these
ACTIONS = tuple(
    dict.fromkeys(
        ("Microsoft.Resources/subscriptions/read",)
        + storage.ACTIONS
        + keyvault.ACTIONS
        + monitor.ACTIONS
        + tuple(a for m in MORE for a in m.ACTIONS)
    )
)


def _subscriptions(values: list[str]) -> tuple[str, ...] | None:
    if not values or any(v.lower() == "all" for v in values):
        return None
    return tuple(dict.fromkeys(values))


def collect(config, ctx=None) -> Collection:
    """`config`: a sources.config.AzureSource."""
    for module in SDK_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:
            raise InputError(
                "command line", f"--azure needs the Azure SDK ({module} is missing): pip install 'enamel-hipaa[azure]'"
            ) from None
    quiet_sdk_logs()
    settings = arm.from_config(config, getattr(ctx, "extra", None))
    subs = _subscriptions(list(config.subscriptions))
    if config.tenants_file:
        targets = auth.load_tenants(
            config.tenants_file,
            settings,
            only=config.tenant,
            cli_subscriptions=subs if config.subscriptions_given else False,
        )
    else:
        targets = [auth.default_target(settings, subs)]
    return collect_targets(targets, settings)


def collect_targets(targets: list[auth.Target], settings: arm.ArmSettings) -> Collection:
    from azure.core.exceptions import ClientAuthenticationError

    out = Collection()
    failed: list[str] = []
    for target in targets:
        try:
            out.extend(scan_target(target, settings))
        except ClientAuthenticationError as exc:
            reason = credential_reason(exc)
            who = "" if target.name == "default" else f"{target.name}: "
            failed.append(f"{who}{target.describe} failed: {reason}")
            out.errors.extend(
                CollectionError(
                    "azure", service, f"credential failed: {reason}", account=target.name, resource_type=rtype
                )
                for service, rtype in SERVICES + (("entra", graph.TYPE),)
            )
    if failed and len(failed) == len(targets):
        raise InputError(
            "azure credentials",
            "; ".join(failed) + " (check az login, the AZURE_* environment variables or the tenants file)",
        )
    return out


def scan_target(target: auth.Target, settings: arm.ArmSettings) -> Collection:
    from azure.core.exceptions import AzureError, ClientAuthenticationError

    credential = target.make()
    # one sign-in first: a tenant whose credential cannot get a token (wrong secret, unreachable
    # authority) fails here once, not once per Graph and ARM call (each with its own retries)
    credential.get_token(settings.scope)
    out = Collection()
    out.extend(graph.collect(credential, target.name, settings))  # the tenant's Entra ID, through Graph
    subs = target.subscriptions
    if subs is None:
        try:
            subs = list_subscriptions(credential, settings)
        except ClientAuthenticationError:
            raise
        except AzureError as exc:
            why = f"listing subscriptions: {arm.describe_error(exc, settings)}"
            out.errors.extend(
                CollectionError("azure", service, why, account=target.name, resource_type=rtype)
                for service, rtype in SERVICES
            )
            return out
        if not subs:  # nothing visible is not the same as nothing wrong
            why = f"{target.describe} sees no enabled subscription (check its role assignments)"
            out.errors.extend(
                CollectionError("azure", service, why, account=target.name, resource_type=rtype)
                for service, rtype in SERVICES
            )
            return out

    def one(sub):
        try:
            return scan_subscription(credential, sub, settings), None
        except ClientAuthenticationError as exc:  # e.g. 401 InvalidAuthenticationTokenTenant for one subscription
            return None, exc

    denied = []
    # subscriptions `workers` at a time (an MSP's tenant has dozens); results kept in order
    with ThreadPoolExecutor(max_workers=max(1, min(settings.workers, len(subs)))) as pool:
        for sub, (got, exc) in zip(subs, pool.map(one, subs)):
            if exc is None:
                out.extend(got)
                continue
            denied.append(exc)
            why = f"credential failed: {credential_reason(exc)}"
            out.errors.extend(
                CollectionError("azure", service, why, account=sub, resource_type=rtype) for service, rtype in SERVICES
            )
    if denied and len(denied) == len(subs):
        raise denied[0]  # the identity works nowhere: a credential failure, not a finding
    return out


def list_subscriptions(credential, settings: arm.ArmSettings) -> list[str]:
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    client = SubscriptionClient(credential, **settings.client_kwargs())
    return [
        s.subscription_id
        for s in client.subscriptions.list()
        if str(getattr(s.state, "value", s.state)) in SCANNABLE_STATES
    ]


def scan_subscription(credential, sub: str, settings: arm.ArmSettings) -> Collection:
    from azure.core.exceptions import AzureError, ClientAuthenticationError

    out = Collection(sources=[f"azure:{sub}"])
    client, logs = storage.client(credential, sub, settings), monitor.client(credential, sub, settings)
    vaults = keyvault.client(credential, sub, settings)
    steps = (
        (
            "storage",
            storage.TYPE,
            lambda: storage.list_accounts(client),
            lambda a: storage.to_resource(a, client, logs, sub, settings),
        ),
        (
            "keyvault",
            keyvault.TYPE,
            lambda: keyvault.list_vaults(vaults),
            lambda v: keyvault.to_resource(v, vaults, logs, sub, settings),
        ),
    )
    for service, rtype, list_items, convert in steps:
        try:
            items = list_items()
        except ClientAuthenticationError:
            raise
        except AzureError as exc:
            out.errors.append(
                CollectionError("azure", service, arm.describe_error(exc, settings), account=sub, resource_type=rtype)
            )
            continue
        with ThreadPoolExecutor(max_workers=settings.workers) as pool:
            out.resources.extend(pool.map(convert, items))  # keeps order; re-raises credential errors
    for service in MORE:
        out.extend(service.collect(credential, sub, settings))
    return out


def credential_reason(exc: BaseException) -> str:
    """ARM's 401 as its code and message; azure-identity's multi-line message as one line,
    without the troubleshooting links."""
    if getattr(exc, "status_code", None) and getattr(exc, "error", None) is not None:
        return arm.describe_error(exc)
    text = str(getattr(exc, "message", None) or exc)
    parts = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if (
            not line
            or line.startswith(("Attempted credentials", "To mitigate", "Visit ", "Content:"))
            or "failed to retrieve a token from the included credentials" in line
        ):
            continue
        parts.append(line)
    return ("; ".join(parts) or type(exc).__name__)[:600]


def quiet_sdk_logs() -> None:
    """azure-identity logs each failed credential as a multi-line warning; the scan reports
    failures itself, in one line. ENAMEL_DEBUG=1 keeps the SDK's logs."""
    log = logging.getLogger("azure")
    if not os.environ.get("ENAMEL_DEBUG") and not log.handlers:
        log.addHandler(logging.NullHandler())
        log.propagate = False
