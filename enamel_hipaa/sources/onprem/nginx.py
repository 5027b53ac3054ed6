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
# PACS recognised without the inventory: names (Orthanc, dcm4chee-arc, PACS, DICOM), Orthanc's
# HTTP port, dcm4chee-arc's REST root, DICOMweb paths (on the proxied location or the target).
PACS_HINT = re.compile(r"orthanc|pacs|dicom|dcm4che|:8042\b", re.I)
DICOMWEB_PATH = re.compile(r"(^|/)(dicom-web|dicomweb|wado|wado-rs|qido-rs|stow-rs|rs|dcm4chee-arc|orthanc)(/|$)", re.I)
NOT_PACS = ("ohif-static", "not-pacs")
DICOM_PORTS = {104, 11112, 4242, 2761, 2762}  # DICOM, DICOM TLS, Orthanc's DicomPort
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
    authenticated: object  # True/False, or an unknown marker (the upstream's own login unknown)
    pacs: bool
    nginx_authenticated: bool = False
    upstream: str | None = None  # the inventory PACS entry it was correlated with


@dataclass
class Server:
    node: Node
    props: dict = field(default_factory=dict)
    proxies: list = field(default_factory=list)


class ParseError(Exception):
    pass


def _nodes(items: list) -> list[Node]:
    return [
        Node(d["directive"], d.get("args", []), d["file"], d["line"], _nodes(d["block"]) if "block" in d else None)
        for d in items
    ]


def parse(path: str, root: str | None = None, variables: dict | None = None) -> list[Node]:
    from enamel_hipaa.sources.onprem import nginx_includes

    try:
        return _nodes(nginx_includes.parse_tree(path, root, variables))
    except nginx_includes.ParseError as exc:
        raise ParseError(str(exc)) from None


def _missing_includes(nodes: list[Node] | None) -> list[str]:
    """Unresolved includes anywhere in a block (server, location): content we never saw."""
    out = []
    for n in nodes or []:
        if n.directive == "include-missing":
            out.append(f"include {n.args[0]} ({n.at}) resolved to nothing (looked at {n.args[1]})")
        out.extend(_missing_includes(n.block))
    return out


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
        if (
            any(w in sym for w in WEAK_SYMMETRIC)
            or c.get("auth") == "auth-null"
            or (c.get("digest") or "") == "md5"
            or "EXP" in c["name"]
        ):
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
    return {
        u.args[0]: [s.args[0] for s in _find(u.block, "server") if s.args] for u in _find(http, "upstream") if u.args
    }


def _targets(proxy_pass: str, upstreams: dict) -> list[str]:
    m = re.match(r"^(?:https?://)?([^/]+)", proxy_pass)
    host = m.group(1) if m else proxy_pass
    return upstreams.get(host, [host])


def _host_port(target: str) -> tuple[str, int | None]:
    m = re.match(r"^(?:https?://)?\[?([^/\]]+?)\]?(?::(\d+))?(?:/.*)?$", target.strip())
    return (m.group(1).lower(), int(m.group(2)) if m.group(2) else None) if m else (target.lower(), None)


def correlate(target: str, directory: list[dict]) -> dict | None:
    """The inventory PACS (orthanc:/pacs: entry) an upstream names, by any of its host names."""
    host, port = _host_port(target)
    for d in directory:
        if host in d["hosts"] and (d.get("port") is None or port is None or port == d["port"]):
            return d
    return None


def _is_pacs(targets: list[str], pacs_upstreams: list[str] | None, local_pacs: list[str], path: str = "") -> bool:
    """Inventory pacs_upstreams, a known local Orthanc port, a PACS-like name, or a DICOMweb path."""
    if pacs_upstreams and any(t in pacs_upstreams for t in targets):
        return True
    return any(t in local_pacs or PACS_HINT.search(t) for t in targets) or bool(DICOMWEB_PATH.search(path))


def _proxy(where: str, pp: Node, auth: bool, ctx) -> list[Proxy]:
    from enamel_hipaa.core.model import unknown as unk

    targets = _targets(pp.args[0], ctx["upstreams"])
    uri = re.sub(r"^(?:https?://)?[^/]*", "", pp.args[0])
    out = []
    for t in targets:
        entry = correlate(t, ctx["directory"])
        if entry is not None:
            pacs = entry["product"] not in NOT_PACS
            own = entry.get("authenticates")
            if auth or own is True:
                ok = True
            elif own is False:
                ok = False
            else:
                ok = unk(
                    f"whether {entry['name']} authenticates on its own is not known "
                    f"({own.get('$unknown') if isinstance(own, dict) else 'say authenticates: in the inventory'})"
                )
        else:
            pacs = _is_pacs(targets, ctx["pacs"], ctx["local_pacs"], f"{where} {uri}")
            ok = auth
        out.append(Proxy(where, t, pp.at, ok, pacs, auth, entry["name"] if entry else None))
    return out


def _walk_locations(nodes, headers, auth, out_missing, out_proxies, ctx):
    for loc in _find(nodes, "location"):
        where = " ".join(loc.args)
        h = _headers(loc.block, headers)
        a = _auth(loc.block, auth)
        if "strict-transport-security" not in h:
            out_missing.append(f"{where} ({loc.at})")
        pp = _last(loc.block, "proxy_pass")
        if pp is not None and pp.args:
            out_proxies.extend(_proxy(where, pp, a, ctx))
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
        return any(
            len(w.args) >= 2
            and w.args[1].startswith("https://")
            and (len(w.args) < 3 or w.args[2] in ("permanent", "redirect"))
            for w in _find(nodes, "rewrite")
        )

    if is_https_return(server):
        return True
    root = [loc for loc in _find(server, "location") if loc.args in (["/"], ["^~", "/"])]
    return bool(root) and is_https_return(root[0].block)


def default_protocols(version: str | None) -> tuple[list[str], str]:
    """nginx's compiled-in ssl_protocols: TLSv1 TLSv1.1 TLSv1.2 before 1.23.4 (1.13.0-1.23.3 add
    TLSv1.3 where OpenSSL has it), TLSv1.2 TLSv1.3 from 1.23.4 (nginx CHANGES). Unknown version:
    the older default (fail closed)."""
    m = re.match(r"^(\d+)\.(\d+)(?:\.(\d+))?", version or "")
    v = tuple(int(x or 0) for x in m.groups()) if m else None
    if v and v >= (1, 23, 4):
        return ["TLSv1.2", "TLSv1.3"], f"nginx {version} default"
    return list(DEFAULT_PROTOCOLS), (
        f"nginx {version} default" if v else "nginx default before 1.23.4 (version not given)"
    )


def servers(
    nodes: list[Node],
    pacs_upstreams: list[str] | None,
    local_pacs: list[str] = (),
    directory: list[dict] = (),
    version: str | None = None,
) -> list[Server]:
    http_nodes = _find(nodes, "http")
    contexts = [h.block for h in http_nodes] if http_nodes else [nodes]  # a lone conf.d snippet
    out = []
    for http in contexts:
        ctx = {
            "upstreams": _upstreams(http),
            "pacs": pacs_upstreams,
            "local_pacs": list(local_pacs),
            "directory": list(directory),
            "version": version,
        }
        for srv in _find(http, "server"):
            out.append(_server(srv, http, ctx))
    for stream in _find(nodes, "stream"):
        ctx = {"upstreams": _upstreams(stream.block), "version": version}
        for srv in _find(stream.block, "server"):
            out.append(_stream_server(srv, stream.block, ctx))
    return out


def _tls_props(srv: list[Node], parent: list[Node], version: str | None) -> dict:
    protos = _setting(srv, parent, "ssl_protocols")
    ciphers = _setting(srv, parent, "ssl_ciphers")
    cipher_spec = " ".join(ciphers.args) if ciphers else DEFAULT_CIPHERS
    dflt, dflt_at = default_protocols(version)
    cert = _setting(srv, parent, "ssl_certificate")
    return {
        "ssl_protocols": list(protos.args) if protos else dflt,
        "ssl_protocols_at": protos.at if protos else dflt_at,
        "ssl_ciphers": cipher_spec,
        "ssl_ciphers_at": ciphers.at if ciphers else "nginx default",
        "weak_ciphers": expand_ciphers(cipher_spec),
        "ssl_certificate": cert.args[0] if cert and cert.args else None,
    }


def _stream_server(srv_node: Node, stream: list[Node], ctx) -> Server:
    """A `stream {}` server: a TCP proxy (DICOM, HL7), TLS-terminating when it listens with ssl."""
    srv = srv_node.block or []
    listen = _listen(srv)
    pp = _last(srv, "proxy_pass")
    targets = _targets(pp.args[0], ctx["upstreams"]) if pp and pp.args else []
    props = {
        "location": {"path": srv_node.file, "line": srv_node.line},
        "protocol": "stream",
        "server_names": [f"stream:{','.join(str(l['port']) for l in listen)}"],
        "listen": listen,
        "ssl_enabled": any(l["ssl"] for l in listen),
        "tcp_proxy_targets": targets,
        "dicom_proxy": any(_host_port(t)[1] in DICOM_PORTS or PACS_HINT.search(t) for t in targets)
        or any(l["port"] in DICOM_PORTS for l in listen),
        "hsts_enabled": False,
        "locations_without_hsts": [],
        "redirects_to_https": False,
        "pacs_proxies": [],
        "pacs_proxies_without_auth": [],
        "missing_includes": _missing_includes(srv),
    }
    props.update(_tls_props(srv, stream, ctx["version"]))
    _unknown_if_missing(props)
    return Server(srv_node, props, [])


def _unknown_if_missing(props: dict) -> None:
    """Content behind an include that resolved to nothing was never seen: every check that
    depends on the server's body is unknown, naming the include."""
    from enamel_hipaa.core.model import unknown as unk

    if not props["missing_includes"]:
        return
    why = "; ".join(props["missing_includes"])
    for k in (
        "ssl_protocols",
        "weak_ciphers",
        "hsts_enabled",
        "locations_without_hsts",
        "redirects_to_https",
        "pacs_proxies_without_auth",
    ):
        props[k] = unk(why)


def _setting(srv: list[Node], http: list[Node], name: str):
    return _last(srv, name) or _last(http, name)


def _server(srv_node: Node, http: list[Node], ctx) -> Server:
    srv = srv_node.block or []
    listen = _listen(srv)
    ssl_on = any(l["ssl"] for l in listen) or any(n.args == ["on"] for n in _find(srv, "ssl"))
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
        "protocol": "http",
        "ssl_enabled": ssl_on,
        "hsts_enabled": "strict-transport-security" in headers and not missing,
        "locations_without_hsts": missing,
        "redirects_to_https": _redirects(srv),
        "pacs_proxies": [
            {
                "location": p.location,
                "target": p.target,
                "at": p.at,
                "authenticated": p.authenticated is True,
                "pacs": p.upstream or "detected",
            }
            for p in pacs
        ],
        "pacs_proxies_without_auth": _without_auth(pacs),
        "missing_includes": _missing_includes(srv),
    }
    props.update(_tls_props(srv, http, ctx["version"]))
    _unknown_if_missing(props)
    return Server(srv_node, props, proxies)


def _without_auth(pacs: list[Proxy]):
    """Proxies neither nginx nor the PACS authenticates; unknown when none is known to be open
    but some PACS's own login is not known."""
    from enamel_hipaa.core.model import unknown as unk

    bad = [f"{p.location} -> {p.target} ({p.at})" for p in pacs if p.authenticated is False]
    if bad:
        return bad
    unsure = [p for p in pacs if p.authenticated is not True]
    if unsure:
        return unk(
            "; ".join(str(p.authenticated.get("$unknown")) for p in unsure if isinstance(p.authenticated, dict))
            or "upstream authentication not known"
        )
    return []


def collect(
    entry: dict, local_pacs: list[str] = (), directory: list[dict] = (), variables: dict | None = None
) -> tuple[list[Resource], list[Proxy]]:
    """Resources for every server block, and every proxy location (for the Orthanc check).
    `local_pacs`: host:port of Orthanc servers on the same machine; `directory`: the
    inventory's PACS (orthanc:/pacs: entries) an upstream may name."""
    name = entry["name"]
    variables = {**(variables or {}), **{str(k): str(v) for k, v in (entry.get("variables") or {}).items()}}
    try:
        found = servers(
            parse(entry["config"], entry.get("root"), variables),
            entry.get("pacs_upstreams"),
            local_pacs,
            directory,
            entry.get("version"),
        )
    except (ParseError, OSError) as exc:
        return [
            Resource(
                type="onprem.nginx_server", id=f"nginx:{name}", name=name, source="file", properties={}, error=str(exc)
            )
        ], []
    if not found:
        return [
            Resource(
                type="onprem.nginx_server",
                id=f"nginx:{name}",
                name=name,
                source="file",
                properties={},
                error=f"{entry['config']}: no server block found",
            )
        ], []
    res, proxies = [], []
    for s in found:
        ports = ",".join(str(l["port"]) for l in s.props["listen"])
        res.append(
            Resource(
                type="onprem.nginx_server",
                id=f"nginx:{name}:{s.node.at}",
                name=f"{name} {s.props['server_names'][0]}:{ports} ({s.node.at})",
                source="file",
                origin=s.props.pop("location", None),
                properties=s.props,
            )
        )
        proxies.extend(s.proxies)
    return res, proxies
