"""Shared steps of the per-service collectors: a subscription-wide listing whose failure
makes every rule on a type `error` there, a per-resource read whose failure is an `$error`
value, and the Resource each normalised ARM document becomes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from enamel_hipaa.core.model import CollectionError, Resource, error_value
from enamel_hipaa.sources.azure.arm import ArmSettings, describe_error
from enamel_hipaa.sources.azure.values import arm


def mgmt_client(cls, credential, subscription: str, settings: ArmSettings):
    return cls(credential, subscription, **settings.client_kwargs())


def listed(errors: list, service: str, rtypes: tuple[str, ...], subscription: str, settings: ArmSettings, read):
    """[ARM JSON, ...] of a paged listing, or None after recording a CollectionError for
    each of `rtypes` (a credential failure propagates: it stops the tenant)."""
    from azure.core.exceptions import AzureError, ClientAuthenticationError

    try:
        return [arm(item) for item in read()]
    except ClientAuthenticationError:
        raise
    except AzureError as exc:
        why = describe_error(exc, settings)
        errors.extend(CollectionError("azure", service, why, account=subscription, resource_type=t) for t in rtypes)
        return None


def guarded(what: str, settings: ArmSettings, read):
    """One per-resource read; a failure is an `$error` value naming what failed."""
    from azure.core.exceptions import AzureError, ClientAuthenticationError

    try:
        return read()
    except ClientAuthenticationError:
        raise
    except AzureError as exc:
        return error_value(f"{what}: {describe_error(exc, settings)}")


def parallel(settings: ArmSettings, convert, items: list) -> list:
    """convert(item) for each item, `settings.workers` at a time, in order."""
    if settings.workers <= 1 or len(items) <= 1:
        return [convert(i) for i in items]
    with ThreadPoolExecutor(max_workers=settings.workers) as pool:
        return list(pool.map(convert, items))


def resource(rtype: str, doc: dict, props: dict, subscription: str) -> Resource:
    return Resource(
        type=rtype,
        id=doc["id"],
        name=doc.get("name") or doc["id"].rsplit("/", 1)[-1],
        source="live",
        properties=props,
        account=subscription,
        region=str(doc.get("location") or "global").lower(),
    )
