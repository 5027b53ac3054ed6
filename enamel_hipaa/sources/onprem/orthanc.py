"""Orthanc configuration: JSON with comments (read with json5), merged the way Orthanc
merges every *.json of its configuration directory.

A top-level key defined in two files stops Orthanc from starting; we report it as an
`error` on the Orthanc resource naming both file:line (every Orthanc rule then reports
`error`: the effective configuration is undefined), and scan the rest of the site.
Effective values follow Orthanc's own defaults (Debian 12's 1.10.1 shown in comments)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.inputs import read_text
from enamel_hipaa.core.model import Resource, unknown
from enamel_hipaa.sources.onprem import httpget

# option -> first Orthanc version that has it; a version without it makes its rules skip
SINCE = {
    "ssl_minimum_protocol": (1, 9, 0),  # SslMinimumProtocolVersion
    "dicom_tls": (1, 9, 0),  # DicomTlsEnabled, DicomTlsRemoteCertificateRequired
    "dicom_tls_minimum_protocol": (1, 12, 4),  # DicomTlsMinimumProtocolVersion
    "dicom_tls_ciphers": (1, 12, 4),  # DicomTlsCiphersAccepted
}
SSL_PROTOCOLS = {0: "SSLv2", 1: "SSLv3", 2: "1.0", 3: "1.1", 4: "1.2"}
DICOM_TLS_PROTOCOLS = {1: "SSLv3", 2: "1.0", 3: "1.1", 4: "1.2", 5: "1.3"}
DEFAULT_USER = ("orthanc", "orthanc")


class ConfigError(Exception):
    pass


def config_files(path: Path) -> list[Path]:
    try:
        return _config_files(path)
    except OSError as exc:  # a name the system refuses, a loop of links, ...
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _config_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.glob("*.json") if p.is_file())
        if not files:
            raise ConfigError(f"{path}: no *.json configuration file in this directory")
        return files
    if not path.exists():
        raise ConfigError(f"{path}: configuration not found")
    return [path]


def _key_line(text: str, key: str) -> int | None:
    """Line of a top-level `"key" :` outside comments (json5 keeps no positions)."""
    depth, i, line, n = 0, 0, 1, len(text)
    pat = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            line += text.count("\n", i, j)
            i = j
            continue
        elif c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
        elif c == '"':
            m = pat.match(text, i)
            if m and depth == 1 and m.group(1) == key:
                return line
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            line += text.count("\n", i, j)
            i = j + 1
            continue
        i += 1
    return None


_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?\*/|,(?=\s*[}\]])', re.S)
JSON5_MAX = 256 * 1024  # json5 is pure Python and slow: only small files that need it


def _strip(m: re.Match) -> str:
    tok = m.group(0)
    c = tok[0]
    if c == '"':
        return tok
    if c == ",":  # a trailing comma before } or ]
        return ""
    return "\n" * tok.count("\n")  # a comment, keeping line numbers


def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def parse_config(text: str, json5=None):
    """Orthanc's JSON with comments in linear time: comments and trailing commas removed by
    one regex pass (strings kept intact), then the C JSON parser; json5 only as a fallback
    for small files using other JSON5 syntax."""
    stripped = _TOKENS.sub(_strip, text)
    try:
        return json.loads(
            stripped,
            object_pairs_hook=_no_duplicates,
            parse_constant=lambda c: (_ for _ in ()).throw(ValueError(f"{c} is not a number")),
        )
    except ValueError as exc:
        if json5 is None or len(text) > JSON5_MAX or "duplicate key" in str(exc):
            raise
        return json5.loads(text, allow_duplicate_keys=False)


def load_merged(path: Path, refuse_duplicates: bool = True) -> tuple[dict, list[Path], dict]:
    """(merged configuration, files read, top-level key -> file defining it). Without
    `refuse_duplicates` (orthancteam images' configurator) a later file's key wins."""
    import json5

    files = config_files(path)
    merged: dict = {}
    origin: dict[str, tuple[Path, str]] = {}
    for f in files:
        try:
            text = read_text(f)
        except InputError as exc:  # not a regular file, too large, not UTF-8
            raise ConfigError(str(exc)) from None
        try:
            data = parse_config(text, json5)
        except RecursionError:
            raise ConfigError(f"{f}: nested too deeply") from None
        except ValueError as exc:
            raise ConfigError(f"{f}: not valid JSON with comments: {str(exc)[:200]}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{f}: the configuration must be a JSON object")
        for k, v in data.items():
            if k in origin and refuse_duplicates:
                pf, ptext = origin[k]
                raise ConfigError(
                    f"configuration key {k!r} is defined twice: {pf}:{_key_line(ptext, k) or '?'} "
                    f"and {f}:{_key_line(text, k) or '?'} (Orthanc refuses to start)"
                )
            origin[k] = (f, text)
            merged[k] = v
    return merged, files, {k: f for k, (f, _) in origin.items()}


def main_file(files: list[Path], origin: dict) -> Path:
    """The file that defines most top-level keys (orthanc.json next to credentials.json)."""
    from collections import Counter

    counts = Counter(origin.values())
    return max(files, key=lambda f: counts.get(f, 0))


def parse_version(text: str | None) -> tuple[int, ...] | None:
    m = re.match(r"^(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    return tuple(int(x or 0) for x in m.groups()) if m else None


def probe_version(url: str, timeout: float) -> str | dict:
    try:
        status, body = httpget.get(url.rstrip("/") + "/system", timeout)
    except OSError as exc:
        return unknown(f"REST /system unreachable: {httpget.reason(exc)}")
    if status != 200:
        return unknown(f"REST /system answered HTTP {status} (give version: in the inventory)")
    try:
        return str(json.loads(body)["Version"])
    except (ValueError, KeyError, TypeError):
        return unknown("REST /system did not return an Orthanc version")


def _bool(cfg: dict, key: str, default: bool) -> bool:
    v = cfg.get(key, default)
    return bool(v) if isinstance(v, (bool, int)) else default


def _modalities(cfg: dict) -> list[dict]:
    out = []
    for name, m in (cfg.get("DicomModalities") or {}).items():
        if isinstance(m, list):
            aet, host, port = (list(m) + [None, None, None])[:3]
        elif isinstance(m, dict):
            aet, host, port = m.get("AET"), m.get("Host"), m.get("Port")
        else:
            continue
        out.append(
            {
                "name": str(name),
                "aet": str(aet or ""),
                "host": str(host or ""),
                "port": int(port) if str(port or "").isdigit() else 0,
            }
        )
    return out


def _authorization_plugin(cfg: dict) -> bool:
    """The authorization plugin (orthanc-auth-service/Keycloak) or HTTPS client-certificate
    verification authenticates every request even with AuthenticationEnabled false."""
    az = cfg.get("Authorization")
    plugin = isinstance(az, dict) and bool(
        az.get("WebServiceRootUrl") or az.get("WebServiceUrl") or az.get("WebServiceTokenValidationUrl")
    )
    mtls = (
        _bool(cfg, "SslEnabled", False)
        and _bool(cfg, "SslVerifyPeers", False)
        and bool(cfg.get("SslTrustedClientCertificates"))
    )
    return plugin or mtls


def properties(cfg: dict, version, weak=None) -> dict:
    remote = _bool(cfg, "RemoteAccessAllowed", False)
    auth_explicit = "AuthenticationEnabled" in cfg
    login = _bool(cfg, "AuthenticationEnabled", remote)  # absent: on iff remote access is on
    auth = login or _authorization_plugin(cfg)
    users = cfg.get("RegisteredUsers") or {}
    users = users if isinstance(users, dict) else {}
    default_creds = login and (users.get(DEFAULT_USER[0]) == DEFAULT_USER[1] or not users)
    weak_users = (
        sorted(str(u) for u, pw in users.items() if weak is not None and weak.is_weak(str(u), pw)) if login else []
    )
    vt = parse_version(version) if isinstance(version, str) else None
    supports = {
        k: (vt >= v if vt else (version if isinstance(version, dict) else unknown("version not known")))
        for k, v in SINCE.items()
    }
    mods = _modalities(cfg)
    lua = cfg.get("LuaScripts") or []
    return {
        "version": version,
        "supports": supports,
        "http_server_enabled": _bool(cfg, "HttpServerEnabled", True),
        "remote_access_allowed": remote,
        "authentication_enabled": auth,
        "authentication_explicit": auth_explicit,
        "registered_users": sorted(str(u) for u in users),  # names only, never passwords
        "registered_users_count": len(users),
        "default_credentials_active": bool(default_creds),
        "weak_password_users": weak_users,  # names only: the passwords are never copied
        "authorization_plugin": _authorization_plugin(cfg),
        "ssl_enabled": _bool(cfg, "SslEnabled", False),
        "ssl_minimum_protocol": SSL_PROTOCOLS.get(cfg.get("SslMinimumProtocolVersion", 4), "unrecognised"),
        "dicom_server_enabled": _bool(cfg, "DicomServerEnabled", True),
        "dicom_aet": str(cfg.get("DicomAet", "ORTHANC")),
        "dicom_port": int(cfg.get("DicomPort", 4242)),
        "dicom_tls_enabled": _bool(cfg, "DicomTlsEnabled", False),
        "dicom_tls_remote_certificate_required": _bool(cfg, "DicomTlsRemoteCertificateRequired", True),
        "dicom_tls_minimum_protocol": DICOM_TLS_PROTOCOLS.get(
            cfg.get("DicomTlsMinimumProtocolVersion", 4), "unrecognised"
        ),
        "dicom_check_called_aet": _bool(cfg, "DicomCheckCalledAet", False),
        "dicom_always_allow": {
            "echo": _bool(cfg, "DicomAlwaysAllowEcho", True),
            "store": _bool(cfg, "DicomAlwaysAllowStore", True),
            "find": _bool(cfg, "DicomAlwaysAllowFind", False),
            "find_worklist": _bool(cfg, "DicomAlwaysAllowFindWorklist", False),
            "get": _bool(cfg, "DicomAlwaysAllowGet", False),
            "move": _bool(cfg, "DicomAlwaysAllowMove", False),
        },
        "dicom_check_modality_host": _bool(cfg, "DicomCheckModalityHost", False),
        "dicom_modalities": mods,
        "dicom_modalities_count": len(mods)
        if not _bool(cfg, "DicomModalitiesInDatabase", False)
        else unknown(
            "DicomModalitiesInDatabase is true: the modalities live in Orthanc's database "
            "(list them with GET /modalities)"
        ),
        "dicom_modalities_in_database": _bool(cfg, "DicomModalitiesInDatabase", False),
        "webdav_enabled": _bool(cfg, "WebDavEnabled", True),
        "lua_scripts": [str(s) for s in lua] if isinstance(lua, list) else [str(lua)],
        "execute_lua_enabled": _bool(cfg, "ExecuteLuaEnabled", False),
        "rest_api_write_to_filesystem_enabled": _bool(cfg, "RestApiWriteToFileSystemEnabled", False),
        "orthanc_explorer_enabled": _bool(cfg, "OrthancExplorerEnabled", True),
        "https_verify_peers": _bool(cfg, "HttpsVerifyPeers", True),
        "database_plugins": _db_plugins(cfg),
    }


def _db_plugins(cfg: dict) -> list[dict]:
    """PostgreSQL/MySQL index plugins in use and whether they ask for TLS (EnableSsl; the
    plugins' default is false)."""
    out = []
    for section in ("PostgreSQL", "MySQL"):
        s = cfg.get(section)
        if not isinstance(s, dict) or not (
            s.get("EnableIndex", False) or s.get("EnableStorage", False) or s.get("Host") or s.get("ConnectionUri")
        ):
            continue
        uri = str(s.get("ConnectionUri") or "")
        ssl = _bool(s, "EnableSsl", False) or bool(re.search(r"sslmode=(require|verify-ca|verify-full)", uri))
        host = str(s.get("Host") or "")
        local = host in ("localhost", "127.0.0.1", "::1") or host.startswith("/")
        out.append(
            {"plugin": section, "host": host or "(from ConnectionUri)", "enable_ssl": ssl, "local_socket": local}
        )
    return out


def effective(entry: dict) -> dict:
    """The deployment's effective configuration (orthanc_deploy.effective); ConfigError on failure."""
    from enamel_hipaa.sources.onprem import orthanc_deploy

    try:
        return orthanc_deploy.effective(entry, load_merged)
    except orthanc_deploy.DeployError as exc:
        raise ConfigError(f"{entry.get('compose') or entry.get('config') or entry['name']}: {exc}") from None


def http_port(entry: dict) -> int | None:
    try:
        return int(effective(entry)["config"].get("HttpPort", 8042))
    except (ConfigError, TypeError, ValueError):
        return None


def host_names(entry: dict) -> list[str]:
    """Names an nginx upstream may use for this Orthanc: hosts:, the compose service, the name."""
    names = list(entry.get("hosts") or [])
    if entry.get("compose"):
        names.append(entry.get("service") or entry["name"])
    names.append(entry["name"])
    return [n.lower() for n in names]


def directory_entry(entry: dict) -> dict | None:
    """What an nginx proxy needs to know about this Orthanc: its names, port, and whether it
    authenticates every request on its own (True/False, or an unknown marker)."""
    try:
        eff = effective(entry)
        props = properties(eff["config"], None)
    except (ConfigError, TypeError, ValueError):
        return None
    from enamel_hipaa.sources.onprem import orthanc_deploy

    dep = orthanc_deploy.deployment_dependent(eff["config"], eff["defaults_known"], eff["unknown_why"])
    auth = dep.get("authentication_enabled", props["authentication_enabled"])
    return {
        "name": entry["name"],
        "hosts": host_names(entry),
        "port": int(eff["config"].get("HttpPort", 8042)),
        "product": "orthanc",
        "authenticates": auth,
    }


def collect(entry: dict, proxies: list, timeout: float = 3.0, weak=None, all_proxies: list = ()) -> Resource:
    """`proxies`: nginx proxy locations on the same host (nginx.Proxy); `all_proxies`: every
    proxy of the inventory (matched by this Orthanc's host names)."""
    from enamel_hipaa.sources.onprem import orthanc_deploy

    name = entry["name"]
    try:
        eff = effective(entry)
    except ConfigError as exc:
        return Resource(
            type="onprem.orthanc", id=f"orthanc:{name}", name=name, source="file", properties={}, error=str(exc)
        )
    cfg, files, origin = eff["config"], eff["files"], eff["origin"]
    if entry.get("version"):
        version = entry["version"]
    elif entry.get("url"):
        version = probe_version(entry["url"], timeout)
    elif eff["version_hint"]:
        version = eff["version_hint"]
    else:
        version = unknown("give version: or url: in the inventory")
    props = properties(cfg, version, weak)
    props.update(orthanc_deploy.deployment_dependent(cfg, eff["defaults_known"], eff["unknown_why"]))
    props["deployment"] = eff["deployment"] or unknown("deployment not given")
    props["image"] = eff["image"]
    props["plugins_enabled"] = eff["plugins"]
    props["config_files"] = [str(f) for f in files]
    loc = (
        str(main_file(files, {k: v for k, v in origin.items() if v != "environment"}))
        if files
        else str(entry.get("compose") or name)
    )
    declared_at = {"path": loc, "line": 1}
    port = int(cfg.get("HttpPort", 8042))
    names = host_names(entry)
    mine = [p for p in proxies if _targets_local_port(p.target, port)]
    mine += [p for p in all_proxies if p not in mine and _targets_named(p.target, names, port)]
    props["proxied_from_localhost"] = bool(mine)
    props["proxy_enforces_auth"] = bool(mine) and all(p.nginx_authenticated for p in mine)
    return Resource(
        type="onprem.orthanc", id=f"orthanc:{name}", name=name, source="file", properties=props, origin=declared_at
    )


def _targets_named(target: str, names: list[str], port: int) -> bool:
    m = re.match(r"^(?:https?://)?([^/:]+)(?::(\d+))?", target.strip())
    return bool(m) and m.group(1).lower() in names and int(m.group(2) or 80) == port


_LOCAL = re.compile(r"^(?:https?://)?(?:127\.\d+\.\d+\.\d+|localhost|\[::1\])(?::(\d+))?(?:/.*)?$", re.I)


def _targets_local_port(target: str, port: int) -> bool:
    m = _LOCAL.match(target.strip())
    return bool(m) and int(m.group(1) or 80) == port
