"""Load and validate an on-prem inventory (rules/schema/onprem-inventory.schema.json).
Relative paths in it are relative to the inventory file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from enamel_hipaa.core import schemas, yamlsrc
from enamel_hipaa.core.errors import InputError

PATH_KEYS = {
    "orthanc": ("config", "configs", "compose"),
    "nginx": ("config", "root"),
    "windows": ("file",),
    "linux_hosts": ("file",),
    "mail_domains": ("ca_file",),
    "file_stores": ("path",),
}
DEFAULT_TIMEOUT = 3.0


@dataclass
class Inventory:
    path: Path
    data: dict

    @property
    def timeout(self) -> float:
        return float(self.data.get("timeout_seconds", DEFAULT_TIMEOUT))

    @property
    def approved_paths(self) -> list[Path]:
        return [self.resolve(p) for p in self.data.get("approved_archive_paths", [])]

    @property
    def weak_credentials_file(self) -> str | None:
        w = self.data.get("weak_credentials_file")
        return str(self.resolve(w)) if w else None

    @property
    def variables(self) -> dict:
        return {str(k): str(v) for k, v in (self.data.get("variables") or {}).items()}

    def resolve(self, p: str) -> Path:
        q = Path(p).expanduser()
        return q if q.is_absolute() else (self.path.parent / q)

    def entries(self, kind: str) -> list[dict]:
        out = []
        for e in self.data.get(kind, []):
            e = dict(e)
            for k in PATH_KEYS.get(kind, ()):
                if isinstance(e.get(k), list):
                    e[k] = [str(self.resolve(v)) for v in e[k]]
                elif k in e:
                    e[k] = str(self.resolve(e[k]))
            if kind == "dicom" and "tls" in e:
                e["tls"] = {k: str(self.resolve(v)) for k, v in e["tls"].items()}
            out.append(e)
        return out


# what the operating system accepts (Linux NAME_MAX and PATH_MAX): a longer name is a bad
# inventory, not an OSError part-way through the scan
MAX_NAME, MAX_PATH = 255, 4096


def _bad_path(value) -> str | None:
    if not isinstance(value, str):
        return None  # the schema has said what it must be
    if "\x00" in value:
        return "a path cannot contain a NUL character"
    if len(value.encode("utf-8", "surrogatepass")) > MAX_PATH:
        return f"path longer than {MAX_PATH} bytes"
    if any(len(part.encode("utf-8", "surrogatepass")) > MAX_NAME for part in value.split("/")):
        return f"a path component is longer than {MAX_NAME} bytes"
    return None


def _paths(data: dict):
    """(place, value) of every path the inventory names."""
    for i, v in enumerate(data.get("approved_archive_paths") or []):
        yield ("approved_archive_paths", i), v
    if data.get("weak_credentials_file") is not None:
        yield ("weak_credentials_file",), data["weak_credentials_file"]
    for kind, keys in list(PATH_KEYS.items()) + [("dicom", ())]:
        for i, e in enumerate(data.get(kind) or []):
            if not isinstance(e, dict):
                continue
            for k in keys:
                vals = e.get(k) if isinstance(e.get(k), list) else [e.get(k)]
                for j, v in enumerate(vals):
                    yield ((kind, i, k, j) if isinstance(e.get(k), list) else (kind, i, k)), v
            if kind == "dicom" and isinstance(e.get("tls"), dict):
                for k, v in e["tls"].items():
                    yield (kind, i, "tls", k), v


def load(path: str) -> Inventory:
    p = Path(path)
    data, lines = yamlsrc.load(p)
    if not isinstance(data, dict):
        raise InputError(str(p), "an inventory must be a mapping (version: 1, orthanc: [...], ...)", line=1)
    err = next(
        iter(
            sorted(
                schemas.validator("onprem-inventory").iter_errors(data), key=lambda e: list(map(str, e.absolute_path))
            )
        ),
        None,
    )
    if err is not None:
        raise yamlsrc.schema_error(str(p), lines, err)
    for where, value in _paths(data):
        why = _bad_path(value)
        if why:
            raise InputError(str(p), why, line=yamlsrc.line_of(lines, tuple(where)), where="/".join(map(str, where)))
    seen: dict[tuple, int] = {}
    for kind in (
        "orthanc",
        "nginx",
        "tls",
        "dicom",
        "web",
        "windows",
        "linux_hosts",
        "file_stores",
        "pacs",
        "mail_domains",
    ):
        for i, e in enumerate(data.get(kind, [])):
            name = e.get("name") or e.get("file") or e.get("domain")
            if (kind, name) in seen:
                raise InputError(
                    str(p),
                    f"{kind} entry {name!r} is listed twice",
                    line=yamlsrc.line_of(lines, (kind, i)),
                    where=f"{kind}/{i}",
                )
            seen[(kind, name)] = i
    return Inventory(path=p, data=data)
