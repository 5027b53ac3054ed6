"""Where ARM is and how to talk to it: endpoint, CA bundle, credential scope, bounded
retries that honour Retry-After, and turning SDK errors into one-line reasons.

Nothing here imports azure at module import time."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

CLOUDS = {  # name -> (ARM endpoint, ARM token scope, Entra authority host)
    "public": ("https://management.azure.com", "https://management.azure.com/.default", "login.microsoftonline.com"),
    "usgov": (
        "https://management.usgovcloudapi.net",
        "https://management.core.usgovcloudapi.net/.default",
        "login.microsoftonline.us",
    ),
    "china": (
        "https://management.chinacloudapi.cn",
        "https://management.chinacloudapi.cn/.default",
        "login.chinacloudapi.cn",
    ),
}
GRAPH = {  # cloud -> Microsoft Graph endpoint (national clouds have their own)
    "public": "https://graph.microsoft.com",
    "usgov": "https://graph.microsoft.us",
    "china": "https://microsoftgraph.chinacloudapi.cn",
}


@dataclass(frozen=True)
class ArmSettings:
    cloud: str = "public"
    endpoint: str | None = None  # ARM base URL (sovereign cloud, Azure Stack, a test stand-in)
    ca_bundle: str | None = None  # PEM file used to verify ARM and token endpoints
    authority: str | None = None  # Entra ID authority host (https://host) for secret/cert credentials
    max_retries: int = 3
    max_retry_after: float = 60.0  # longer Retry-After than this: give up (an error, never a pass)
    timeout: float = 60.0
    workers: int = 8  # per-account reads in parallel (azure SDK clients are thread-safe)
    graph_endpoint: str | None = None  # Microsoft Graph base URL (a test stand-in); /v1.0 is appended
    extra: dict = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return (self.endpoint or CLOUDS[self.cloud][0]).rstrip("/")

    @property
    def scope(self) -> str:
        return CLOUDS[self.cloud][1]

    @property
    def graph_url(self) -> str:
        return (self.graph_endpoint or GRAPH[self.cloud]).rstrip("/") + "/v1.0"

    @property
    def graph_scope(self) -> str:
        return (self.graph_endpoint or GRAPH[self.cloud]).rstrip("/") + "/.default"

    def identity_kwargs(self) -> dict:
        """Keyword arguments for azure-identity credentials (authority, TLS verification, and
        the same bounded retries as every ARM call: azure-core's default would retry a refused
        connection with backoff for ~5 s per token request)."""
        kw: dict = {
            "retry_total": self.max_retries,
            "retry_connect": self.max_retries,
            "retry_read": self.max_retries,
            "retry_status": self.max_retries,
            "retry_backoff_factor": 0.5,
        }
        if self.authority:
            kw["authority"] = self.authority
            known = {c[2] for c in CLOUDS.values()}
            if self.authority.split("://")[-1].rstrip("/") not in known:
                kw["disable_instance_discovery"] = True  # never ask a public cloud to vouch for it
        elif self.cloud != "public":
            kw["authority"] = CLOUDS[self.cloud][2]
        if self.ca_bundle:
            kw["connection_verify"] = self.ca_bundle
        return kw

    def client_kwargs(self) -> dict:
        """Keyword arguments for every azure-mgmt client."""
        from enamel_hipaa.sources.apilimit import KEY, azure_policy

        per_retry = [read_only_policy(), azure_policy(self.extra.get(KEY)), answer_shape_policy()]
        kw = {
            "base_url": self.base_url,
            "credential_scopes": [self.scope],
            "retry_policy": retry_policy(self),
            "per_retry_policies": [p for p in per_retry if p is not None],
            "connection_timeout": 10,
            "read_timeout": self.timeout,
        }
        if self.ca_bundle:
            kw["connection_verify"] = self.ca_bundle
        return kw


def from_config(config, extra: dict | None = None) -> ArmSettings:
    """`config`: a sources.config.AzureSource; `extra`: the scan context's shared objects
    (e.g. the global API call cap)."""
    from enamel_hipaa.core.errors import InputError

    env = os.environ
    cloud = config.cloud or env.get("ENAMEL_AZURE_CLOUD") or "public"
    if cloud not in CLOUDS:
        raise InputError("ENAMEL_AZURE_CLOUD", f"unknown Azure cloud {cloud!r} (choose from {', '.join(CLOUDS)})")
    if config.max_retries < 0 or config.max_retry_after < 0:
        raise InputError("command line", "--azure-max-retries and --azure-max-retry-after cannot be negative")
    return ArmSettings(
        cloud=cloud,
        endpoint=config.endpoint or env.get("ENAMEL_AZURE_ENDPOINT") or None,
        graph_endpoint=getattr(config, "graph_endpoint", None) or env.get("ENAMEL_AZURE_GRAPH_ENDPOINT") or None,
        ca_bundle=config.ca_bundle or env.get("ENAMEL_AZURE_CA_BUNDLE") or None,
        authority=config.authority or env.get("AZURE_AUTHORITY_HOST") or None,
        max_retries=config.max_retries,
        max_retry_after=config.max_retry_after,
        workers=max(1, config.workers),
        extra=dict(extra or {}),
    )


def retry_policy(settings: ArmSettings):
    from azure.core.pipeline.policies import RetryPolicy

    class BoundedRetryPolicy(RetryPolicy):
        """azure-core's retry policy (which sleeps for Retry-After on 429/503), bounded:
        at most `max_retries` retries, and no retry when the server asks for a longer
        wait than `max_retry_after` seconds. The last response then surfaces as an error."""

        def is_retry(self, settings_, response):
            after = self.get_retry_after(response)
            if after is not None and after > settings.max_retry_after:
                return False
            return super().is_retry(settings_, response)

    return BoundedRetryPolicy(
        retry_total=settings.max_retries,
        retry_connect=settings.max_retries,
        retry_read=settings.max_retries,
        retry_status=settings.max_retries,
        retry_backoff_factor=0.5,
        retry_backoff_max=30,
    )


def read_only_policy():
    from azure.core.exceptions import AzureError
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    class ReadOnlyPolicy(SansIOHTTPPolicy):
        """The scan only reads. azure-mgmt-core answers a 409 MissingSubscriptionRegistration
        by POSTing .../register and polling until registered; this refuses any request that
        is not a GET before it leaves, so that call fails (an error) instead of changing the
        subscription."""

        def on_request(self, request):
            http = request.http_request
            if http.method != "GET":
                path = http.url.split("?", 1)[0].split("/subscriptions/", 1)[-1]
                raise AzureError(
                    f"refused {http.method} /subscriptions/{path}: the scan is read-only "
                    "(a resource provider is probably not registered in this subscription)"
                )

    return ReadOnlyPolicy()


def required_key(path: str) -> str | None:
    """What every successful ARM GET answer of `path` must carry: a collection (an odd number
    of segments after the last provider namespace, or /subscriptions) answers {"value": [...]},
    a resource (type/name pairs) answers an object with its "id"."""
    segs = [s for s in path.lower().split("?", 1)[0].split("/") if s]
    if "providers" in segs:
        p = len(segs) - 1 - segs[::-1].index("providers")
        rest = segs[p + 2 :]
        if not rest:
            return None
        return "value" if len(rest) % 2 else "id"
    return ("value" if len(segs) % 2 else "id") if segs and segs[0] == "subscriptions" else None


def check_answer(path: str, body: bytes) -> str | None:
    """Why a 200 answer of `path` cannot be read as ARM says it should, or None. The SDK reads
    `{}` as an empty listing or a resource with nothing configured; a garbled body raises an
    unexpected error. Either must be an error for what the answer feeds, never "nothing"."""
    import json

    where = path.split("?", 1)[0]
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return f"HTTP 200 with a body that is not JSON from {where}"
    if not isinstance(doc, dict):
        return f"HTTP 200 with a body that is not a JSON object from {where}"
    key = required_key(where)
    if key == "value" and not isinstance(doc.get("value"), list):
        return f"malformed answer from {where}: no `value` list"
    if key == "value" and not all(isinstance(i, dict) and i.get("id") for i in doc["value"]):
        return f"malformed answer from {where}: an item without `id`"
    if key == "id" and not doc.get("id"):
        return f"malformed answer from {where}: no `id`"
    return None


def answer_shape_policy():
    from azure.core.exceptions import AzureError
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    class MalformedAnswer(AzureError):
        """A 200 answer without the shape the collector relies on (listed/guarded: an error)."""

    class AnswerShapePolicy(SansIOHTTPPolicy):
        """Checks every successful GET answer before the SDK deserialises it (it sees the
        response before azure-core's ContentDecodePolicy)."""

        def on_response(self, request, response):
            http = response.http_response
            if request.http_request.method != "GET" or http.status_code != 200:
                return
            from urllib.parse import urlsplit

            why = check_answer(urlsplit(request.http_request.url).path, http.body() or b"")
            if why:
                raise MalformedAnswer(why)

    return AnswerShapePolicy()


def describe_error(exc: BaseException, settings: ArmSettings | None = None) -> str:
    """One line: what failed and why (no secrets, no traceback)."""
    from azure.core.exceptions import HttpResponseError, ServiceRequestError

    if isinstance(exc, HttpResponseError):
        status = exc.status_code
        code = getattr(getattr(exc, "error", None), "code", None) or exc.reason or "error"
        message = getattr(getattr(exc, "error", None), "message", None) or ""
        message = " ".join(str(message).split())[:300]
        if status == 429:
            retries = settings.max_retries if settings else "the allowed"
            return f"throttled (HTTP 429 {code}) after {retries} retries: {message}".rstrip(": ")
        if status in (401, 403):
            return f"access denied (HTTP {status} {code}): {message}".rstrip(": ")
        return f"HTTP {status} {code}: {message}".rstrip(": ")
    if isinstance(exc, ServiceRequestError):
        return f"could not reach ARM: {first_line(exc)}"
    if type(exc).__name__ == "MalformedAnswer":
        return first_line(exc)
    return f"{type(exc).__name__}: {first_line(exc)}"


def first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return " ".join(text.splitlines()[0].split())[:300] if text else type(exc).__name__
