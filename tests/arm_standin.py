"""A small HTTPS stand-in for Azure Resource Manager (and the Entra ID token endpoint),
for tests only. No ARM emulator exists, so the real azure SDK clients are pointed at this.

It serves ARM-shaped JSON read from a fixtures directory:

    tenant.json              subscriptions: [{subscriptionId, displayName, accounts, vaults,
                             mode}], page_size, client_id, client_secret
    accounts/<name>.json     {"storageAccount": ARM JSON, "blobService": ARM JSON,
                             "diagnosticSettings": [ARM JSON, ...]}
    vaults/<name>.json       {"vault": ARM JSON, "diagnosticSettings": [ARM JSON, ...]}

    graph/<name>.json        Microsoft Graph v1.0 (/v1.0/...), the tenant's Entra ID; the
                             stand-in's `graph` attribute names the file: {"<path>": a list
                             (paged with @odata.nextLink) or an object, or {"$status":
                             401|403|404|429}}; "{days_ago:N}" becomes a timestamp N days ago.
    arm/<name>.json          any other ARM GET, for the subscription whose `arm` names it:
                             {"<path under /subscriptions/{sub}>": a list (served as a paged
                             collection) or an object (served as is), or {"$status": 403|404|429}
                             (that request fails so)}; "{sub}" in the file is the subscription id.
                             Paths are matched case-insensitively, as ARM does.

A subscription's `mode` is "ok", "denied" (every request under it gets HTTP 403
AuthorizationFailed), "throttled_once" (its first request gets 429 with Retry-After, the
rest are served), "throttled" (always 429), "unregistered" (409
MissingSubscriptionRegistration, which makes the SDK try to register the provider) or
"other_tenant" (401 InvalidAuthenticationTokenTenant: the token is for another tenant).

ARM requests must be GETs carrying a bearer token the token endpoint issued; the token
endpoint accepts only the configured client secret, or a client assertion (JWT) signed by
a certificate registered with `trust_certificate`.

`malformed` (a test sets it) maps a regular expression over request paths (matched
case-insensitively, searched) to a 200 answer of the wrong shape, for answer-shape tests:
"empty" ({}), "garbled" (a body that is not JSON), "truncated" (the first half of the real
body) or "drop:<key>" (the real answer without that top-level key, or without it in every
item of a `value` list).

Listens on 127.0.0.1 on a free port, speaks TLS with a certificate signed by a CA the
test made (tests/certs.py), and records every request in `requests`.
"""

from __future__ import annotations

import json
import re
import secrets
import ssl
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

API = "/subscriptions/(?P<sub>[^/]+)"
ROUTES = [
    ("subscriptions", re.compile(r"^/subscriptions$")),
    ("accounts", re.compile(API + r"/providers/Microsoft\.Storage/storageAccounts$", re.I)),
    (
        "blob_service",
        re.compile(
            API + r"/resourceGroups/[^/]+/providers/Microsoft\.Storage/storageAccounts/"
            r"(?P<name>[^/]+)/blobServices/default$",
            re.I,
        ),
    ),
    (
        "diagnostics",
        re.compile(
            r"^/?" + API + r"/resourceGroups/[^/]+/providers/Microsoft\.Storage/storageAccounts/"
            r"(?P<name>[^/]+)/blobServices/default/providers/Microsoft\.Insights/"
            r"diagnosticSettings$",
            re.I,
        ),
    ),
    ("vaults", re.compile(API + r"/providers/Microsoft\.KeyVault/vaults$", re.I)),
    (
        "vault_diagnostics",
        re.compile(
            API + r"/resourceGroups/[^/]+/providers/Microsoft\.KeyVault/vaults/(?P<vault>[^/]+)"
            r"/providers/Microsoft\.Insights/diagnosticSettings$",
            re.I,
        ),
    ),
    ("graph", re.compile(r"^/v1\.0(?P<rest>/.*)$")),
    ("management_groups", re.compile(r"^/providers/Microsoft\.Management/managementGroups$", re.I)),
    (
        "mg_descendants",
        re.compile(r"^/providers/Microsoft\.Management/managementGroups/(?P<mg>[^/]+)/descendants$", re.I),
    ),
    ("oidc", re.compile(r"^/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration$")),
    ("token", re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$")),
]


ARM_PATH = re.compile(API + r"(?P<rest>(?:/.*)?/providers/.*)$", re.I)

# the ARM permission each route needs (what a least-privilege role must grant)
ACTIONS = {
    "subscriptions": "Microsoft.Resources/subscriptions/read",
    "management_groups": "Microsoft.Management/managementGroups/read",
    "mg_descendants": "Microsoft.Management/managementGroups/descendants/read",
    "accounts": "Microsoft.Storage/storageAccounts/read",
    "blob_service": "Microsoft.Storage/storageAccounts/blobServices/read",
    "diagnostics": "Microsoft.Insights/diagnosticSettings/read",
    "vaults": "Microsoft.KeyVault/vaults/read",
    "vault_diagnostics": "Microsoft.Insights/diagnosticSettings/read",
}


def action_for(path: str) -> str:
    """The ARM permission a GET of `path` needs: the last provider namespace and the resource
    types after it (…/providers/Microsoft.Network/networkWatchers/nw/flowLogs ->
    Microsoft.Network/networkWatchers/flowLogs/read)."""
    parts = path.strip("/").split("/")
    idx = max(i for i, p in enumerate(parts) if p.lower() == "providers")
    namespace, rest = parts[idx + 1], parts[idx + 2 :]
    return "/".join([namespace, *rest[::2]]) + "/read"


class ArmStandIn:
    def __init__(self, fixtures: Path, cert: Path, key: Path, retry_after: int = 1, latency: float = 0.0):
        self.fixtures = Path(fixtures)
        self.tenant = json.loads((self.fixtures / "tenant.json").read_text())
        self.subs = {s["subscriptionId"]: s for s in self.tenant["subscriptions"]}
        self.retry_after = retry_after
        self.latency = latency  # seconds added to every ARM response (benchmarks)
        self.deny_subscription_list = False
        self.graph = "compliant"  # graph/<name>.json answers Microsoft Graph v1.0 requests
        self.hide_subscriptions = False  # list none: an identity without role assignments
        self.requests: list[tuple[float, str, str, int, str]] = []  # (time, method, path, status, route)
        self.tokens: set[str] = set()
        self.trusted_keys: list = []
        self._throttled: set[str] = set()
        self.malformed: dict[str, str] = {}  # path regex -> "empty" | "garbled" | "truncated" | "drop:<key>"
        self._stores: dict = {}  # (fixture, subscription) -> ARM store, read once
        self._lock = threading.Lock()
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.server.standin = self
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    def start(self) -> "ArmStandIn":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def trust_certificate(self, cert_pem: bytes) -> None:
        from cryptography import x509

        self.trusted_keys.append(x509.load_pem_x509_certificate(cert_pem).public_key())

    # -- fixtures -------------------------------------------------------------------------
    def account(self, name: str) -> dict:
        return json.loads((self.fixtures / "accounts" / f"{name}.json").read_text())

    def vault(self, name: str) -> dict:
        return json.loads((self.fixtures / "vaults" / f"{name}.json").read_text())

    # -- responses ------------------------------------------------------------------------
    @staticmethod
    def route(path: str):
        for name, rx in ROUTES:
            m = rx.match(path)
            if m:
                return name, m
        m = ARM_PATH.match(path)
        return ("arm", m) if m else (None, None)

    def respond(self, method: str, path: str, query: dict, headers, body: bytes) -> tuple[int, dict, dict]:
        name, m = self.route(path)
        if name is None:
            return 404, {}, _arm_error("InvalidResourceType", f"no route for {path}")
        groups = m.groupdict()
        if name == "oidc":
            return 200, {}, self._oidc(groups["tenant"])
        if name == "token":
            return self._token(groups["tenant"], parse_qs(body.decode()))
        if method != "GET":  # Enamel only reads
            return 405, {}, _arm_error("MethodNotAllowed", f"{method} is not served by the stand-in")
        if self.latency:
            time.sleep(self.latency)
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return 401, {}, _arm_error("InvalidAuthenticationToken", "The access token is invalid.")
        if name == "graph":
            return self._graph(groups["rest"], query)
        if name == "subscriptions":
            if self.deny_subscription_list:
                return (
                    403,
                    {},
                    _arm_error("AuthorizationFailed", "The client does not have authorization to list subscriptions."),
                )
            value = [
                {
                    "id": f"/subscriptions/{s['subscriptionId']}",
                    "subscriptionId": s["subscriptionId"],
                    "displayName": s["displayName"],
                    "state": s.get("state", "Enabled"),
                    "tenantId": self.tenant["tenant_id"],
                    **({"tags": s["tags"]} if "tags" in s else {}),
                }
                for s in self.tenant["subscriptions"]
                if not self.hide_subscriptions
            ]
            return 200, {}, {"value": value}
        if name in ("management_groups", "mg_descendants"):  # tenant.json management_groups: [{name, ...}]
            return 200, {}, self._management_groups(groups.get("mg"))
        sub = self.subs.get(groups["sub"])
        if sub is None:
            return (
                404,
                {},
                _arm_error("SubscriptionNotFound", f"The subscription '{groups['sub']}' could not be found."),
            )
        blocked = self._blocked(sub)
        if blocked:
            return blocked
        if name == "arm":
            return self._arm(sub, path, groups["rest"], query)
        if name == "accounts":
            items = [self.account(a)["storageAccount"] for a in sub["accounts"]]
            return 200, {}, self._page(path, query, items)
        if name == "vaults":
            return 200, {}, self._page(path, query, [self.vault(v)["vault"] for v in sub.get("vaults", [])])
        if name == "vault_diagnostics":
            if groups["vault"] not in sub.get("vaults", []):
                return 404, {}, _arm_error("ResourceNotFound", f"key vault {groups['vault']} not found")
            return 200, {}, {"value": self.vault(groups["vault"]).get("diagnosticSettings", [])}
        if groups["name"] not in sub["accounts"]:
            return 404, {}, _arm_error("ResourceNotFound", f"storage account {groups['name']} not found")
        fixture = self.account(groups["name"])
        if name == "blob_service":
            if fixture.get("blobService") == "denied":
                return (
                    403,
                    {},
                    _arm_error(
                        "AuthorizationFailed",
                        "The client does not have authorization to perform "
                        "action 'Microsoft.Storage/storageAccounts/blobServices/read'.",
                    ),
                )
            return 200, {}, fixture["blobService"]
        return 200, {}, {"value": fixture.get("diagnosticSettings", [])}

    def arm_store(self, sub: dict) -> dict:
        if not sub.get("arm"):
            return {}
        key = (sub["arm"], sub["subscriptionId"])
        with self._lock:
            if key not in self._stores:
                text = (
                    (self.fixtures / "arm" / f"{sub['arm']}.json").read_text().replace("{sub}", sub["subscriptionId"])
                )
                self._stores[key] = {k.lower().rstrip("/"): v for k, v in json.loads(text).items()}
            return self._stores[key]

    def _arm(self, sub: dict, path: str, rest: str, query: dict):
        body = self.arm_store(sub).get(rest.lower().rstrip("/"))
        if body is None:
            return 404, {}, _arm_error("ResourceNotFound", f"{rest} not found")
        if isinstance(body, list):
            return 200, {}, self._page(path, query, body)
        status = body.get("$status") if isinstance(body, dict) else None
        if status == 429:
            return 429, {"Retry-After": str(self.retry_after)}, _arm_error("TooManyRequests", "throttled")
        if status:
            code = {403: "AuthorizationFailed", 404: "ResourceNotFound"}.get(status, "Error")
            return status, {}, _arm_error(code, f"{code} for {rest}")
        return 200, {}, body

    def _graph(self, rest: str, query: dict):
        """Graph-shaped answers: a list is a collection paged with @odata.nextLink
        ($skiptoken), an object is served as is, {"$status": 401|403|404|429} fails so."""
        text = (self.fixtures / "graph" / f"{self.graph}.json").read_text()
        now = datetime.now(timezone.utc)  # "{days_ago:N}": a sign-in N days before the request
        text = re.sub(
            r"\{days_ago:(\d+)\}",
            lambda m: (now - timedelta(days=int(m.group(1)))).strftime("%Y-%m-%dT%H:%M:%SZ"),
            text,
        )
        store = json.loads(text)
        body = {k.lower().rstrip("/"): v for k, v in store.items()}.get(rest.lower().rstrip("/"))
        if body is None:
            return 404, {}, _graph_error("Request_ResourceNotFound", f"Resource '{rest}' does not exist.")
        status = body.get("$status") if isinstance(body, dict) else None
        if status == 429:
            return (
                429,
                {"Retry-After": str(self.retry_after)},
                _graph_error("TooManyRequests", "Too many requests, please retry later."),
            )
        if status:
            code = {401: "InvalidAuthenticationToken", 403: "Authorization_RequestDenied"}.get(status, "Error")
            return status, {}, _graph_error(code, body.get("message") or f"{code} for {rest}")
        if not isinstance(body, list):
            return 200, {}, body
        size = int(self.tenant.get("page_size", 2))
        start = int(query.get("$skiptoken", ["0"])[0])
        out = {"@odata.context": f"{self.url}/v1.0/$metadata#{rest.strip('/')}", "value": body[start : start + size]}
        if start + size < len(body):
            out["@odata.nextLink"] = f"{self.url}/v1.0{rest}?$skiptoken={start + size}"
        return 200, {}, out

    def _management_groups(self, mg: str | None) -> dict:
        base = "/providers/Microsoft.Management/managementGroups/"
        mgs = self.tenant.get("management_groups", [])
        if mg is None:
            return {
                "value": [
                    {
                        "id": base + m["name"],
                        "type": "Microsoft.Management/managementGroups",
                        "name": m["name"],
                        "properties": {"displayName": m["displayName"]},
                    }
                    for m in mgs
                ]
            }
        found = next((m for m in mgs if m["name"] == mg), {"subscriptions": []})
        return {
            "value": [
                {
                    "id": f"/subscriptions/{sid}",
                    "type": "Microsoft.Management/managementGroups/subscriptions",
                    "name": sid,
                    "properties": {"displayName": self.subs[sid]["displayName"], "parent": {"id": base + mg}},
                }
                for sid in found["subscriptions"]
            ]
        }

    def _blocked(self, sub: dict):
        mode = sub.get("mode", "ok")
        if mode == "denied":
            return (
                403,
                {},
                _arm_error(
                    "AuthorizationFailed",
                    "The client 'enamel-test' does not have authorization "
                    f"to perform action 'read' over scope "
                    f"'/subscriptions/{sub['subscriptionId']}'.",
                ),
            )
        if mode == "other_tenant":
            return (
                401,
                {},
                _arm_error(
                    "InvalidAuthenticationTokenTenant",
                    "The access token is from the wrong "
                    "issuer. It must match the tenant associated with this subscription.",
                ),
            )
        if mode == "unregistered":
            return (
                409,
                {},
                _arm_error(
                    "MissingSubscriptionRegistration",
                    "The subscription is not registered to use namespace 'Microsoft.Storage'.",
                ),
            )
        throttle = mode == "throttled"
        if mode == "throttled_once":
            with self._lock:
                throttle = sub["subscriptionId"] not in self._throttled
                self._throttled.add(sub["subscriptionId"])
        if throttle:
            return (
                429,
                {"Retry-After": str(self.retry_after)},
                _arm_error("TooManyRequests", "The request is being throttled."),
            )
        return None

    def _page(self, path: str, query: dict, items: list) -> dict:
        size = int(self.tenant.get("page_size", 2))
        start = int(query.get("$skiptoken", ["0"])[0])
        out = {"value": items[start : start + size]}
        if start + size < len(items):
            out["nextLink"] = f"{self.url}{path}?api-version={query['api-version'][0]}&$skiptoken={start + size}"
        return out

    def _oidc(self, tenant: str) -> dict:
        base = f"{self.url}/{tenant}"
        return {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "issuer": f"{base}/v2.0",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
        }

    def _token(self, tenant: str, form: dict) -> tuple[int, dict, dict]:
        ok = form.get("client_id", [""])[0] == self.tenant["client_id"]
        if "client_assertion" in form:
            ok = ok and self._assertion_ok(form["client_assertion"][0], f"{self.url}/{tenant}/oauth2/v2.0/token")
        else:
            ok = ok and form.get("client_secret", [""])[0] == self.tenant["client_secret"]
        if not ok:
            return (
                401,
                {},
                {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."},
            )
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return 200, {}, {"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600, "access_token": token}

    def _assertion_ok(self, assertion: str, audience: str) -> bool:
        import jwt  # PyJWT, which msal (azure-identity) depends on

        for key in self.trusted_keys:
            try:
                jwt.decode(
                    assertion, key, algorithms=["PS256", "RS256"], audience=audience, issuer=self.tenant["client_id"]
                )
                return True
            except jwt.PyJWTError:
                continue
        return False


def _malform(fault: str, payload, data: bytes) -> bytes:
    if fault == "empty":
        return b"{}"
    if fault == "garbled":
        return b"\x00\x9f<html>upstream error" + data[:20]
    if fault == "truncated":
        return data[: len(data) // 2]
    key = fault.split(":", 1)[1]
    if isinstance(payload, dict) and key in payload:
        return json.dumps({k: v for k, v in payload.items() if k != key}).encode()
    if isinstance(payload, dict) and isinstance(payload.get("value"), list):
        items = [{k: v for k, v in i.items() if k != key} if isinstance(i, dict) else i for i in payload["value"]]
        return json.dumps(dict(payload, value=items)).encode()
    return data


def _graph_error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message, "innerError": {"request-id": secrets.token_hex(8)}}}


def _arm_error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    def _handle(self):
        standin: ArmStandIn = self.server.standin
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, payload = standin.respond(self.command, parts.path, parse_qs(parts.query), self.headers, body)
        standin.requests.append((time.monotonic(), self.command, parts.path, status, standin.route(parts.path)[0]))
        data = json.dumps(payload).encode()
        fault = next((f for rx, f in standin.malformed.items() if re.search(rx, parts.path, re.I)), None)
        if status == 200 and fault:
            data = _malform(fault, payload, data)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-ms-request-id", secrets.token_hex(8))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _handle

    def log_message(self, *args):  # keep test output clean
        pass


@contextmanager
def serving(fixtures: Path, directory: Path, **options):
    """An ArmStandIn on 127.0.0.1 with a throwaway CA (its PEM path in `.ca`), stopped on exit."""
    from certs import make_ca

    ca, cert, key = make_ca(directory)
    server = ArmStandIn(fixtures, cert, key, **options).start()
    server.ca = ca
    try:
        yield server
    finally:
        server.stop()
