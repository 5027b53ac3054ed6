"""Entra ID through Microsoft Graph v1.0: the tenant-level `azure.entra_tenant` resource.

Plain HTTPS through azure-core's pipeline (docs/decisions/0012-graph-client.md): the same
azure-identity credential as the ARM scan (token scope `<graph>/.default`), the same
bounded retry policy honouring Retry-After, the read-only guard and the global API cap.
Collections are paged through `@odata.nextLink`. Any read that fails (401, 403 -- e.g.
conditional access without an Entra ID P1 licence --, 429 after the retries, a timeout)
becomes an `$error` value, so the rules that need it say `error`, never `pass`."""

from __future__ import annotations

from enamel_hipaa.core.model import Resource, error_value
from enamel_hipaa.sources import Collection
from enamel_hipaa.sources.azure.arm import ArmSettings, first_line, read_only_policy, retry_policy
from enamel_hipaa.sources.normalise.azure import entra

TYPE = "azure.entra_tenant"
# Microsoft Graph application permissions the reads need (docs/azure.md)
PERMISSIONS = ("Policy.Read.All", "Directory.Read.All", "AuditLog.Read.All", "UserAuthenticationMethod.Read.All")
MAX_PAGES = 2000  # a runaway nextLink loop is an error, not an endless scan
READS = {  # what -> (path, Graph permission)
    "organization": ("/organization?$select=id,displayName", "Directory.Read.All"),
    "security_defaults": ("/policies/identitySecurityDefaultsEnforcementPolicy", "Policy.Read.All"),
    "conditional_access": ("/identity/conditionalAccess/policies", "Policy.Read.All"),
    "directory_roles": ("/directoryRoles?$select=id,displayName,roleTemplateId", "Directory.Read.All"),
    "registrations": (
        "/reports/authenticationMethods/userRegistrationDetails?$select=id,isMfaRegistered,userType",
        "UserAuthenticationMethod.Read.All",
    ),
    "users": ("/users?$select=id,userType,signInActivity,accountEnabled&$top=999", "AuditLog.Read.All"),
}
# what every successful answer must carry (a collection: a `value` list of objects with these
# keys; a single object: these keys). A 200 without them - empty, truncated, garbled - is an
# error for the properties it feeds, never "no policies", "no admins" or "defaults off".
REQUIRED = {
    "organization": ("id",),
    "security_defaults": ("isEnabled",),
    "conditional_access": ("id", "state"),
    "directory_roles": ("id", "roleTemplateId"),
    "members": ("id",),
    "registrations": ("id",),
    "users": ("id",),
}


class GraphError(Exception):
    """A Graph read that did not answer 200: one line, no secrets."""


class GraphClient:
    def __init__(self, credential, settings: ArmSettings):
        from azure.core import PipelineClient
        from azure.core.pipeline.policies import (
            BearerTokenCredentialPolicy,
            ContentDecodePolicy,
            HeadersPolicy,
            UserAgentPolicy,
        )
        from enamel_hipaa.sources.apilimit import KEY, azure_policy

        self.base = settings.graph_url
        policies = [
            HeadersPolicy({"Accept": "application/json"}),
            UserAgentPolicy("enamel-hipaa"),
            retry_policy(settings),
            read_only_policy(),
            azure_policy(settings.extra.get(KEY)),
            BearerTokenCredentialPolicy(credential, settings.graph_scope),
            ContentDecodePolicy(),
        ]
        kw = {"connection_timeout": 10, "read_timeout": settings.timeout}
        if settings.ca_bundle:
            kw["connection_verify"] = settings.ca_bundle
        self.client = PipelineClient(base_url=self.base, policies=[p for p in policies if p is not None], **kw)

    def get(self, path_or_url: str) -> dict:
        from azure.core.exceptions import AzureError
        from azure.core.rest import HttpRequest

        url = (
            path_or_url
            if path_or_url.startswith("https://") or path_or_url.startswith("http://")
            else f"{self.base}{path_or_url}"
        )
        try:
            response = self.client.send_request(HttpRequest("GET", url))
        except AzureError as exc:  # token refused, connection failure, timeout
            raise GraphError(f"could not read Graph: {first_line(exc)}") from None
        except ValueError:  # azure-core's content decoding of a body that is not UTF-8 text
            raise GraphError(f"HTTP 200 with a body that is not JSON from {url.split('?')[0]}") from None
        if response.status_code != 200:
            raise GraphError(describe(response))
        try:
            doc = response.json()
        except ValueError:  # UnicodeDecodeError included
            raise GraphError(f"HTTP 200 with a body that is not JSON from {url.split('?')[0]}") from None
        if not isinstance(doc, dict):
            raise GraphError(f"HTTP 200 with a body that is not a JSON object from {url.split('?')[0]}")
        return doc

    def get_one(self, path: str, keys: tuple[str, ...] = ()) -> dict:
        doc = self.get(path)
        missing = [k for k in keys if doc.get(k) is None]
        if missing:
            raise GraphError(f"malformed answer from {path.split('?')[0]}: no {', '.join(missing)}")
        return doc

    def get_all(self, path: str, keys: tuple[str, ...] = ()) -> list[dict]:
        items: list[dict] = []
        url: str | None = path
        for _ in range(MAX_PAGES):
            page = self.get(url)
            value = page.get("value")
            if not isinstance(value, list):
                raise GraphError(f"malformed answer from {path.split('?')[0]}: no `value` list")
            for item in value:
                if not isinstance(item, dict) or any(item.get(k) is None for k in keys):
                    raise GraphError(f"malformed answer from {path.split('?')[0]}: an item without {', '.join(keys)}")
            items.extend(value)
            url = page.get("@odata.nextLink")
            if url is not None and not isinstance(url, str):
                raise GraphError(f"malformed answer from {path.split('?')[0]}: a nextLink that is not a URL")
            if not url:
                return items
        raise GraphError(f"more than {MAX_PAGES} pages from {path.split('?')[0]}")


def describe(response) -> str:
    status = response.status_code
    try:
        err = (response.json() or {}).get("error") or {}
    except ValueError:
        err = {}
    code, message = err.get("code") or response.reason or "error", " ".join(str(err.get("message") or "").split())[:300]
    if status == 429:
        return f"throttled (HTTP 429 {code}) after the allowed retries: {message}".rstrip(": ")
    if status in (401, 403):
        return f"access denied (HTTP {status} {code}): {message}".rstrip(": ")
    return f"HTTP {status} {code}: {message}".rstrip(": ")


def read(client: GraphClient, what: str, many: bool = True):
    """Graph JSON, or an `$error` value naming the read, the reason and the permission it needs."""
    path, permission = READS[what]
    try:
        keys = REQUIRED.get(what, ())
        return client.get_all(path, keys) if many else client.get_one(path, keys)
    except GraphError as exc:
        return error_value(f"Graph {path.split('?')[0]} ({permission}): {exc}")


def read_roles(client: GraphClient):
    roles = read(client, "directory_roles")
    if entra.is_error(roles):
        return roles
    for role in roles:
        try:
            role["members"] = client.get_all(
                f"/directoryRoles/{role['id']}/members?$select=id,userType", REQUIRED["members"]
            )
        except GraphError as exc:
            return error_value(f"Graph /directoryRoles/{{id}}/members (Directory.Read.All): {exc}")
    return roles


def collect(credential, tenant: str, settings: ArmSettings) -> Collection:
    """The tenant's `azure.entra_tenant` resource (one per identity scanned)."""
    client = GraphClient(credential, settings)
    org = read(client, "organization")
    tenant_id = org[0]["id"] if not entra.is_error(org) and org and org[0].get("id") else tenant
    name = (org[0].get("displayName") if not entra.is_error(org) and org else None) or tenant
    props = entra.tenant_properties(
        tenant_id,
        read(client, "security_defaults", many=False),
        read(client, "conditional_access"),
        read_roles(client),
        read(client, "registrations"),
        read(client, "users"),
    )
    out = Collection()
    out.resources.append(
        Resource(
            type=TYPE,
            id=f"/tenants/{tenant_id}",
            name=name,
            source="live",
            properties=props,
            account=tenant,
            region="global",
        )
    )
    return out
