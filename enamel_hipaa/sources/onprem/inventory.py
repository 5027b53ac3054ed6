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
