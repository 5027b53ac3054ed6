"""How an Orthanc runs decides its effective configuration (issue 14, tests/corpus/DOCKER-DEFAULTS.md).

- `debian` / `windows`: the core defaults; Debian reads every *.json of /etc/orthanc and refuses
  to start when a top-level key is defined twice (orthanc.load_merged).
- `docker` with `orthancteam/orthanc` or `osimis/orthanc` (orthanc-builder docker/orthanc,
  generateConfiguration.py, commit 13bdf640): user files, then environment variables
  (ORTHANC__SECTION__KEY, ORTHANC_JSON, plugin switches), then Docker secrets / `*_SECRET`
  files, then the image defaults for keys not yet set (orthanc-defaults.json, commit 05b9a587:
  RemoteAccessAllowed true, AuthenticationEnabled true). A key in both a user file and the image
  defaults is overridden, not refused.
- `docker` with `jodogne/orthanc*` (jodogne/OrthancDocker create-config.sh, commit 22495916): the
  image's /etc/orthanc/orthanc.json turns RemoteAccessAllowed and AuthenticationEnabled on; a user
  file named orthanc.json replaces it, any other file sits beside it (core merge: a duplicate key
  stops Orthanc). No environment-variable configuration.
- anything else (no `deployment:`, an unknown image): the values that depend on the deployment
  (remote access and authentication, when the files do not set them) are `unknown`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from enamel_hipaa.core.model import unknown

DEPLOYMENTS = ("debian", "windows", "docker")
ORTHANCTEAM_DEFAULTS = {"RemoteAccessAllowed": True, "AuthenticationEnabled": True}
JODOGNE_DEFAULTS = {"RemoteAccessAllowed": True, "AuthenticationEnabled": True}
# Segments the configurator does not simply CamelCase (acronyms in section names).
SEGMENT_NAMES = {
    "POSTGRESQL": "PostgreSQL",
    "MYSQL": "MySQL",
    "ODBC": "Odbc",
    "DICOM_WEB": "DicomWeb",
    "ORTHANC_EXPLORER_2": "OrthancExplorer2",
    "GDCM": "Gdcm",
}
# Plugin switches (env var -> plugin); recorded, they change no security default we judge.
PLUGIN_SWITCHES = re.compile(r"^([A-Z0-9_]+)_PLUGIN_ENABLED$")
# orthancteam tag -> Orthanc version (tests/corpus/DOCKER-DEFAULTS.md; approximate, only the
# 1.12.4 boundary matters for the rules). Untagged/latest is not pinned: give `version:`.
ORTHANCTEAM_TAGS = {
    "24.2.3": "1.12.3",
    "24.10.1": "1.12.5",
    "24.10.3": "1.12.5",
    "24.11.0": "1.12.5",
    "25.8.0": "1.12.9",
    "26.4.0": "1.12.10",
}


class DeployError(Exception):
    pass


def image_family(image: str | None) -> str | None:
    name = (
        (image or "").split("@")[0].rsplit(":", 1)[0]
        if image and ":" in image.split("/")[-1]
        else (image or "").split("@")[0]
    )
    if re.match(r"^(docker\.io/)?(orthancteam|osimis)/orthanc(-pre-release)?$", name):
        return "orthancteam"
    if re.match(r"^(docker\.io/)?jodogne/orthanc(-plugins|-python)?$", name):
        return "jodogne"
    return None


def image_version(image: str | None) -> str | None:
    if not image or image_family(image) != "orthancteam" or ":" not in image.split("/")[-1]:
        return None
    return ORTHANCTEAM_TAGS.get(image.rsplit(":", 1)[1])


def _segment(seg: str) -> str:
    if seg in SEGMENT_NAMES:
        return SEGMENT_NAMES[seg]
    return "".join(p[:1].upper() + p[1:].lower() for p in seg.split("_") if p)


def _value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


def _deep_merge(dst: dict, src: dict) -> None:
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            _deep_merge(dst[k], v)
        else:
            dst[k] = v


def env_config(env: dict[str, str], secrets: dict[str, str]) -> tuple[dict, list[str]]:
    """Configuration from environment variables and secrets (orthancteam images), and the
    plugins switched on. ORTHANC__A__B sets {"A": {"B": value}}; ORTHANC_JSON is a document."""
    cfg: dict = {}
    plugins = []
    if "ORTHANC_JSON" in env:
        import json5

        try:
            doc = json5.loads(env["ORTHANC_JSON"])
        except ValueError as exc:
            raise DeployError(f"ORTHANC_JSON is not valid JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise DeployError("ORTHANC_JSON must be a JSON object")
        _deep_merge(cfg, doc)
    for name, text in list(env.items()) + list(secrets.items()):
        if name.startswith("ORTHANC__"):
            path = [_segment(s) for s in name[len("ORTHANC__") :].split("__") if s]
            if not path:
                continue
            node = cfg
            for seg in path[:-1]:
                node = node.setdefault(seg, {}) if isinstance(node.get(seg, {}), dict) else {}
            v = _value(str(text))
            if isinstance(v, dict) and isinstance(node.get(path[-1]), dict):
                _deep_merge(node[path[-1]], v)
            else:
                node[path[-1]] = v
        m = PLUGIN_SWITCHES.match(name)
        if m and str(text).strip().lower() == "true":
            plugins.append(m.group(1).lower())
    return cfg, sorted(plugins)


def compose_environment(compose: Path, service: str) -> tuple[dict[str, str], dict[str, str]]:
    """(environment, secrets) of one docker-compose service. Secrets whose file is readable
    are read; `*_SECRET` variables that name a readable file set the variable without the suffix."""
    import yaml

    try:
        doc = yaml.safe_load(compose.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DeployError(f"cannot read the compose file: {' '.join(str(exc).split())}") from None
    svc = ((doc or {}).get("services") or {}).get(service)
    if not isinstance(svc, dict):
        raise DeployError(f"no service {service!r}")
    env = normalise_env(svc.get("environment") or {}, f"{compose}: services/{service}/environment")
    for ef in [svc["env_file"]] if isinstance(svc.get("env_file"), str) else svc.get("env_file") or []:
        p = compose.parent / (ef if isinstance(ef, str) else ef.get("path", ""))
        if not p.is_file():
            raise DeployError(f"services/{service}/env_file {p} not found")
        for line in p.read_text(encoding="utf-8").splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                k, v = line.split("=", 1)
                env.setdefault(k.strip(), v.strip().strip('"'))
    return env, {}


def normalise_env(env, where: str) -> dict[str, str]:
    if isinstance(env, list):
        out = {}
        for item in env:
            k, _, v = str(item).partition("=")
            out[k] = v
        return out
    if isinstance(env, dict):
        return {
            str(k): ("" if v is None else (json.dumps(v) if isinstance(v, bool) else str(v))) for k, v in env.items()
        }
    raise DeployError(f"{where}: environment must be a mapping or a list of NAME=value")


def read_secret_files(env: dict[str, str], base: Path) -> dict[str, str]:
    """`NAME_SECRET=/path` (or a Docker secret) sets NAME from the file's content."""
    out = {}
    for k, v in env.items():
        if k.endswith("_SECRET") and k.startswith("ORTHANC__"):
            p = Path(v) if Path(v).is_absolute() else base / v
            if not p.is_file():
                raise DeployError(f"{k}: secret file {p} not found")
            out[k[: -len("_SECRET")]] = p.read_text(encoding="utf-8").strip()
    return out


def effective(entry: dict, load_merged) -> dict:
    """{config, files, origin, deployment, image, family, plugins, defaults_known, version_hint}."""
    dep = entry.get("deployment")
    image = entry.get("image")
    family = image_family(image) if dep == "docker" else None
    paths = entry.get("configs") or ([entry["config"]] if entry.get("config") else [])
    files: list[Path] = []
    merged: dict = {}
    origin: dict = {}
    if family == "orthancteam":
        for p in paths:  # user files: merged, a later file wins (generateConfiguration.py)
            cfg, fs, org = load_merged(Path(p), refuse_duplicates=False)
            _deep_merge(merged, cfg)
            files += fs
            origin.update(org)
    elif family == "jodogne":
        for p in paths:
            cfg, fs, org = load_merged(Path(p))
            dup = sorted(set(cfg) & set(merged))
            if dup:
                raise DeployError(
                    f"configuration key {dup[0]!r} is defined twice: {origin[dup[0]]} and "
                    f"{org[dup[0]]} (Orthanc refuses to start)"
                )
            merged.update(cfg)
            files += fs
            origin.update(org)
    elif paths:
        if len(paths) > 1:
            raise DeployError("several config files: give a directory (Debian) or one file")
        merged, files, origin = load_merged(Path(paths[0]))
    env: dict[str, str] = {}
    if entry.get("compose"):
        env, _ = compose_environment(Path(entry["compose"]), entry.get("service") or entry["name"])
    env.update(normalise_env(entry.get("environment") or {}, "environment"))
    plugins: list[str] = []
    if env and family != "orthancteam":
        if dep == "docker" and any(k.startswith("ORTHANC") for k in env):
            env_note = "environment variables are read only by orthancteam/osimis images"
        else:
            env_note = None
    else:
        env_note = None
    if family == "orthancteam":
        secrets = read_secret_files(env, Path(entry.get("compose") or entry.get("config") or ".").parent)
        env_cfg, plugins = env_config(env, secrets)
        _deep_merge(merged, env_cfg)
        for k in env_cfg:
            origin.setdefault(k, "environment")
        for k, v in ORTHANCTEAM_DEFAULTS.items():
            merged.setdefault(k, v)
    elif family == "jodogne":
        if not any(Path(f).name == "orthanc.json" for f in files):
            for k, v in JODOGNE_DEFAULTS.items():
                if k in merged:
                    raise DeployError(
                        f"configuration key {k!r} is defined twice: the image's "
                        f"/etc/orthanc/orthanc.json and {origin[k]} (Orthanc refuses to start)"
                    )
                merged[k] = v
    if not files and family is None:
        raise DeployError("no configuration file given (config:)")
    known = dep in ("debian", "windows") or family is not None
    why = (
        None
        if known
        else (
            "deployment not given: say deployment: debian | windows | docker (with image:)"
            if not dep
            else f"image {image!r} is not a known Orthanc image: its defaults are not known"
        )
    )
    return {
        "config": merged,
        "files": files,
        "origin": origin,
        "deployment": dep,
        "image": image,
        "family": family,
        "plugins": plugins,
        "defaults_known": known,
        "unknown_why": why,
        "env_note": env_note,
        "version_hint": image_version(image),
    }


def deployment_dependent(cfg: dict, known: bool, why: str | None) -> dict:
    """remote_access_allowed / authentication_enabled: the file's value, else the deployment's
    default; unknown when the deployment is not known and the file does not set them."""
    if known:
        return {}
    out = {}
    if "RemoteAccessAllowed" not in cfg:
        out["remote_access_allowed"] = unknown(why)
    if "AuthenticationEnabled" not in cfg:
        out["authentication_enabled"] = unknown(why)
        out["default_credentials_active"] = unknown(why)
    return out
