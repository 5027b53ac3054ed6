"""The one helper every AWS collector shares: a session (standard credential chain, optional
AssumeRole with ExternalId), clients with adaptive retries and per-call timeouts, pagination,
call recording (botocore `before-call` events) and fail-closed error capture.

Nothing here prints or stores credentials."""

from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import dataclass, field

from enamel_hipaa.core.model import CollectionError, Resource, error_value

SOURCE = "live"
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30
MAX_POOL = 16

# IAM action names that differ from the API operation name (everything else is
# "<prefix>:<OperationName>").
S3_ACTIONS = {
    "ListBuckets": "ListAllMyBuckets",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "GetBucketReplication": "GetReplicationConfiguration",
}
S3CONTROL_ACTIONS = {"GetPublicAccessBlock": "GetAccountPublicAccessBlock"}
PREFIXES = {"tagging": "tag"}  # signing name -> IAM action prefix where they differ


def iam_action(service_model, operation_name: str) -> str:
    prefix = service_model.signing_name or service_model.endpoint_prefix
    prefix = PREFIXES.get(prefix, prefix)
    if service_model.service_name == "s3control":
        return f"s3:{S3CONTROL_ACTIONS.get(operation_name, operation_name)}"
    if prefix == "s3":
        operation_name = S3_ACTIONS.get(operation_name, operation_name)
    return f"{prefix}:{operation_name}"


class CallFailed(Exception):
    """An AWS call that failed for a reason the scan must report (never read as 'not set')."""


def describe_failure(exc: BaseException, limit: int = 240) -> str:
    """One short line naming the failure; never echoes request parameters or credentials."""
    text = " ".join(_describe(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(exc: BaseException) -> str:
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        ReadTimeoutError,
    )

    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = err.get("Code") or str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "error"))
        op = getattr(exc, "operation_name", "call")
        msg = err.get("Message", "")
        if msg.lstrip().startswith("<"):  # an HTML error page (a proxy, an emulator), not an AWS error
            msg = "the endpoint answered with an HTML error page (operation not supported there?)"
        return f"{op}: {code}: {msg}".strip().rstrip(":")
    if isinstance(exc, (ConnectTimeoutError, ReadTimeoutError)):
        return f"timeout: {type(exc).__name__}"
    if isinstance(exc, EndpointConnectionError):
        return "endpoint unreachable (unsupported region or no network)"
    if isinstance(exc, NoCredentialsError):
        return "no AWS credentials found (standard chain: env, profile, SSO, instance role)"
    if isinstance(exc, CallFailed) or type(exc).__name__ == "MalformedAnswer":
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def error_code(exc: BaseException) -> str | None:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code")
    return None


@dataclass
class Aws:
    """One scan's AWS access: session, account, client cache and call counter."""

    session: object
    account: str
    home_region: str
    endpoint_url: str | None = None
    calls: Counter = field(default_factory=Counter)
    s3_plan: object = None  # s3_moot.Plan: which per-bucket reads are moot, and the tally
    _clients: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, service: str, region: str | None = None):
        region = region or self.home_region
        key = (service, region)
        with self._lock:  # boto3 client creation is not thread-safe on a shared session
            c = self._clients.get(key)
            if c is None:
                c = self._clients[key] = make_client(self.session, service, region, self.endpoint_url)
            return c

    def record(self, model, **_):
        action = iam_action(model.service_model, model.name)
        with self._lock:
            self.calls[action] += 1


def request_deadline() -> float:
    """Seconds one request may take in total (ENAMEL_AWS_REQUEST_DEADLINE, default 60)."""
    return _env_seconds("ENAMEL_AWS_REQUEST_DEADLINE", 60.0)


def source_deadline() -> float:
    """Seconds the whole AWS source may take (ENAMEL_AWS_SOURCE_DEADLINE, default 1800)."""
    return _env_seconds("ENAMEL_AWS_SOURCE_DEADLINE", 1800.0)


def _env_seconds(name: str, default: float) -> float:
    try:
        v = float(os.environ.get(name, ""))
        return v if v > 0 else default
    except ValueError:
        return default


def client_config():
    from botocore.config import Config

    return Config(
        retries={"mode": "adaptive"},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        max_pool_connections=MAX_POOL,
        user_agent_extra="enamel-audit",
    )


def endpoint_for(service: str) -> str | None:
    """A custom endpoint (AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>): boto3 honours
    these itself; we only need to know one is set for S3 Control's host prefix."""
    specific = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
    return os.environ.get(specific) or os.environ.get("AWS_ENDPOINT_URL")


def make_client(session, service: str, region: str, endpoint_url: str | None = None):
    kwargs = {"region_name": region, "config": client_config()}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    c = session.client(service, **kwargs)
    from enamel_hipaa.sources.aws import shapes  # answers checked for shape; a total deadline per request

    shapes.install(c, request_deadline())
    if service == "s3control" and (endpoint_url or endpoint_for("s3control")):
        c.meta.events.register("before-sign.s3-control.*", _strip_account_host_prefix)
    return c


def _strip_account_host_prefix(request, **_):
    """S3 Control puts the account id in the host name ({account}.s3-control.{region}...).
    Behind a custom endpoint (moto, LocalStack, a proxy) that name does not resolve, so the
    prefix is dropped before signing; against real AWS this hook is never registered."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(request.url)
    account = request.headers.get("x-amz-account-id")
    if isinstance(account, bytes):
        account = account.decode()
    if account and parts.netloc.startswith(account + "."):
        request.url = urlunsplit(parts._replace(netloc=parts.netloc[len(account) + 1 :]))


def paginate(client, operation: str, key: str, **kwargs):
    """Every item of `key` over all pages (raises on failure: callers decide scope)."""
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, [])
    else:
        yield from getattr(client, operation)(**kwargs).get(key, [])


def read(fn, *, absent: dict | None = None):
    """Run one property read: the value, a declared default when AWS says "not configured"
    (absent={error code: value}), or {"$error": why} for anything else (fail closed)."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - every failure becomes an $error value
        code = error_code(exc)
        if absent and code in absent:
            return absent[code]
        return error_value(describe_failure(exc))


def is_error(value) -> bool:
    return isinstance(value, dict) and "$error" in value


@dataclass
class Out:
    """What one collector task returns."""

    resources: list[Resource] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)

    def fail(self, service: str, region: str | None, account: str, types, exc: BaseException) -> None:
        msg = describe_failure(exc)
        for t in types:
            self.errors.append(
                CollectionError(
                    source=SOURCE, service=service, message=msg, region=region, account=account, resource_type=t
                )
            )


def listed(out: Out, aws: Aws, service: str, region: str | None, types, fn):
    """fn()'s items, or None once its failure is recorded as collection errors for `types`."""
    try:
        return list(fn())
    except Exception as exc:  # noqa: BLE001 - a failed listing must never look empty
        out.fail(service, region, aws.account, types, exc)
        return None


def resource(
    aws: Aws, type_: str, id_: str, name: str, props: dict, region: str | None, error: str | None = None
) -> Resource:
    return Resource(
        type=type_, id=id_, name=name, source=SOURCE, properties=props, account=aws.account, region=region, error=error
    )


def tag_dict(tags) -> dict:
    """[{Key, Value}] (any capitalisation) -> {key: value}."""
    out = {}
    for t in tags or []:
        k = t.get("Key", t.get("key", t.get("TagKey")))
        v = t.get("Value", t.get("value", t.get("TagValue")))
        if k is not None:
            out[k] = "" if v is None else str(v)
    return out


def iso(value) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
