"""nginx: parse with crossplane (includes followed, file:line kept) and work out each
server block's effective TLS, HSTS, redirect and proxy settings, with nginx's
inheritance rules (a level that has any add_header drops every inherited one)."""
from __future__ import annotations

import re
import ssl
from dataclasses import dataclass, field

from enamel_hipaa.core.model import Resource, unknown

# nginx 1.22 (Debian 12) defaults when a directive is absent
DEFAULT_PROTOCOLS = ["TLSv1", "TLSv1.1", "TLSv1.2"]  # compiled-in; Debian's nginx.conf adds TLSv1.3
DEFAULT_CIPHERS = "HIGH:!aNULL:!MD5"
WEAK_SYMMETRIC = ("rc4", "des", "null", "idea", "seed", "rc2")
WEAK_TOKEN = re.compile(r"(^|[-_])(RC4|DES|3DES|NULL|EXPORT|EXP|MD5|ADH|AECDH|aNULL|eNULL)($|[-_])")
PACS_HINT = re.compile(r"orthanc|pacs|dicom|:8042\b", re.I)
REDIRECT_CODES = {"301", "302", "303", "307", "308"}


@dataclass
class Node:
    directive: str
    args: list
    file: str
    line: int
    block: list | None = None

    @property
    def at(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Proxy:
    location: str
    target: str
    at: str
    authenticated: bool
    pacs: bool


@dataclass
class Server:
    node: Node
    props: dict = field(default_factory=dict)
    proxies: list = field(default_factory=list)


class ParseError(Exception):
    pass


def _expand(items: list, file: str, configs: list, stack: tuple = ()) -> list[Node]:
    """Directives with includes inlined. `stack` is the chain of files being included: a
    file that includes itself, directly or not, is a ParseError naming the cycle (nginx
    would refuse it too), never an endless expansion."""
    out = []
    stack = stack or (file,)
    for d in items:
        if d["directive"] == "include":
            for idx in d.get("includes", []):
                c = configs[idx]
                if c["file"] in stack:
                    chain = " -> ".join([*stack[stack.index(c["file"]):], c["file"]])
                    raise ParseError(f"{file}:{d.get('line', '?')}: include cycle: {chain}")
                out.extend(_expand(c.get("parsed", []), c["file"], configs, stack + (c["file"],)))
            continue
        block = _expand(d["block"], file, configs, stack) if "block" in d else None
        out.append(Node(d["directive"], d.get("args", []), file, d["line"], block))
    return out


def parse(path: str) -> list[Node]:
    import crossplane
    try:  # a FIFO or device as the main file would block crossplane forever
        from enamel_hipaa.core.inputs import read_bytes
        read_bytes(path)
    except Exception as exc:  # noqa: BLE001  (InputError: not a regular file, too large, ...)
        raise ParseError(str(exc)) from None
    payload = crossplane.parse(path, catch_errors=True, check_ctx=False, comments=False)
    errs = [e for c in payload["config"] for e in c.get("errors", [])] or payload.get("errors", [])
    if errs:
        e = errs[0]
        raise ParseError(f"{e.get('file', path)}:{e.get('line') or '?'}: {e.get('error')}")
    if not payload["config"]:
        raise ParseError(f"{path}: nothing parsed")
    first = payload["config"][0]
    return _expand(first["parsed"], first["file"], payload["config"])


def _find(nodes: list[Node], name: str) -> list[Node]:
    return [n for n in nodes or [] if n.directive == name]


def _last(nodes: list[Node], name: str) -> Node | None:
    found = _find(nodes, name)
    return found[-1] if found else None


def expand_ciphers(spec: str) -> list[str] | dict:
    """Weak suites a cipher string allows: OpenSSL's expansion (SECLEVEL 0, so nothing
    is hidden by local policy) plus weak names written in the string itself."""
    weak = {t for t in re.split(r"[:\s,]+", spec) if t and t[0] not in "!-" and WEAK_TOKEN.search(t)}
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        ctx.set_ciphers(spec + ":@SECLEVEL=0")
    except ssl.SSLError:
        return sorted(weak) if weak else unknown(f"cipher string {spec!r} not understood by local OpenSSL")
    for c in ctx.get_ciphers():
        sym = (c.get("symmetric") or "").lower()
        if (any(w in sym for w in WEAK_SYMMETRIC) or c.get("auth") == "auth-null"
                or (c.get("digest") or "") == "md5" or "EXP" in c["name"]):
            weak.add(c["name"])
    return sorted(weak)


def _headers(nodes: list[Node], inherited: list[str]) -> list[str]:
    own = [n.args[0].lower() for n in _find(nodes, "add_header") if n.args]
    return own if own else inherited


def _auth(nodes: list[Node], inherited: bool) -> bool:
    ab = _last(nodes, "auth_basic")
    ar = _last(nodes, "auth_request")
    vc = _last(nodes, "ssl_verify_client")
    state = inherited
    for n in (ab, ar):
        if n is not None:
            state = bool(n.args) and n.args[0] != "off"
    if vc is not None and vc.args and vc.args[0] == "on":
        state = True
    return state


def _upstreams(http: list[Node]) -> dict[str, list[str]]:
    return {u.args[0]: [s.args[0] for s in _find(u.block, "server") if s.args]
            for u in _find(http, "upstream") if u.args}


def _targets(proxy_pass: str, upstreams: dict) -> list[str]:
    m = re.match(r"^(?:https?://)?([^/]+)", proxy_pass)
    host = m.group(1) if m else proxy_pass
    return upstreams.get(host, [host])


def _is_pacs(targets: list[str], pacs_upstreams: list[str] | None, local_pacs: list[str]) -> bool:
    """Inventory's pacs_upstreams when given; else a known local Orthanc port or a PACS-like name."""
    if pacs_upstreams:
        return any(t in pacs_upstreams for t in targets)
    return any(t in local_pacs or PACS_HINT.search(t) for t in targets)


def _walk_locations(nodes, headers, auth, out_missing, out_proxies, ctx):
    for loc in _find(nodes, "location"):
        where = " ".join(loc.args)
        h = _headers(loc.block, headers)
        a = _auth(loc.block, auth)
        if "strict-transport-security" not in h:
            out_missing.append(f"{where} ({loc.at})")
        pp = _last(loc.block, "proxy_pass")
        if pp is not None and pp.args:
            targets = _targets(pp.args[0], ctx["upstreams"])
            for t in targets:
                out_proxies.append(Proxy(where, t, pp.at, a, _is_pacs(targets, ctx["pacs"], ctx["local_pacs"])))
        _walk_locations(loc.block, h, a, out_missing, out_proxies, ctx)


def _listen(server: list[Node]) -> list[dict]:
    out = []
    for n in _find(server, "listen"):
        addr = n.args[0] if n.args else "80"
        m = re.match(r"^(?:(.*):)?(\d+)$", addr)
        port = int(m.group(2)) if m else 80
        host = (m.group(1) or "*") if m else addr
        out.append({"address": host, "port": port, "ssl": "ssl" in n.args[1:]})
    return out or [{"address": "*", "port": 80, "ssl": False}]


def _redirects(server: list[Node]) -> bool:
    def is_https_return(nodes):
        r = _last(nodes, "return")
        if r and len(r.args) >= 2 and r.args[0] in REDIRECT_CODES and r.args[1].startswith("https://"):
            return True
        return any(len(w.args) >= 2 and w.args[1].startswith("https://") and
                   (len(w.args) < 3 or w.args[2] in ("permanent", "redirect"))
                   for w in _find(nodes, "rewrite"))
    if is_https_return(server):
        return True
    root = [loc for loc in _find(server, "location") if loc.args in (["/"], ["^~", "/"])]
    return bool(root) and is_https_return(root[0].block)


def servers(nodes: list[Node], pacs_upstreams: list[str] | None, local_pacs: list[str] = ()) -> list[Server]:
    http_nodes = _find(nodes, "http")
    contexts = [h.block for h in http_nodes] if http_nodes else [nodes]  # a lone conf.d snippet
    out = []
    for http in contexts:
        ctx = {"upstreams": _upstreams(http), "pacs": pacs_upstreams, "local_pacs": list(local_pacs)}
        for srv in _find(http, "server"):
            out.append(_server(srv, http, ctx))
    return out


def _setting(srv: list[Node], http: list[Node], name: str):
    return _last(srv, name) or _last(http, name)


def _server(srv_node: Node, http: list[Node], ctx) -> Server:
    srv = srv_node.block or []
    listen = _listen(srv)
    ssl_on = any(l["ssl"] for l in listen) or any(n.args == ["on"] for n in _find(srv, "ssl"))
    protos = _setting(srv, http, "ssl_protocols")
    ciphers = _setting(srv, http, "ssl_ciphers")
    cipher_spec = " ".join(ciphers.args) if ciphers else DEFAULT_CIPHERS
    headers = _headers(srv, _headers(http, []))
    auth = _auth(srv, _auth(http, False))
    missing: list[str] = []
    proxies: list[Proxy] = []
    _walk_locations(srv, headers, auth, missing, proxies, ctx)
    names = [a for n in _find(srv, "server_name") for a in n.args] or ["_"]
    pacs = [p for p in proxies if p.pacs]
    props = {
        "location": {"path": srv_node.file, "line": srv_node.line},
        "server_names": names,
        "listen": listen,
        "ssl_enabled": ssl_on,
        "ssl_protocols": list(protos.args) if protos else list(DEFAULT_PROTOCOLS),
        "ssl_protocols_at": protos.at if protos else "nginx 1.22 default",
        "ssl_ciphers": cipher_spec,
        "ssl_ciphers_at": ciphers.at if ciphers else "nginx 1.22 default",
        "weak_ciphers": expand_ciphers(cipher_spec),
        "hsts_enabled": "strict-transport-security" in headers and not missing,
        "locations_without_hsts": missing,
        "redirects_to_https": _redirects(srv),
        "pacs_proxies": [{"location": p.location, "target": p.target, "at": p.at,
                          "authenticated": p.authenticated} for p in pacs],
        "pacs_proxies_without_auth": [f"{p.location} -> {p.target} ({p.at})" for p in pacs if not p.authenticated],
    }
    return Server(srv_node, props, proxies)


def collect(entry: dict, local_pacs: list[str] = ()) -> tuple[list[Resource], list[Proxy]]:
    """Resources for every server block, and every proxy location (for the Orthanc check).
    `local_pacs`: host:port of Orthanc servers on the same machine."""
    name = entry["name"]
    try:
        found = servers(parse(entry["config"]), entry.get("pacs_upstreams"), local_pacs)
    except (ParseError, OSError) as exc:
        return [Resource(type="onprem.nginx_server", id=f"nginx:{name}", name=name, source="file",
                         properties={}, error=str(exc))], []
    if not found:
        return [Resource(type="onprem.nginx_server", id=f"nginx:{name}", name=name, source="file",
                         properties={}, error=f"{entry['config']}: no server block found")], []
    res, proxies = [], []
    for s in found:
        ports = ",".join(str(l["port"]) for l in s.props["listen"])
        res.append(Resource(type="onprem.nginx_server", id=f"nginx:{name}:{s.node.at}",
                            name=f"{name} {s.props['server_names'][0]}:{ports} ({s.node.at})",
                            source="file", origin=s.props.pop("location", None), properties=s.props))
        proxies.extend(s.proxies)
    return res, proxies
