"""Is a Windows build + patch level supported today? Against rules/data/windows-builds.yaml
(or the inventory's `windows_builds_file:`), a maintained table users can update."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from enamel_hipaa.core import paths, yamlsrc
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.model import unknown


def load(path: str | None = None) -> list[dict]:
    p = Path(path) if path else paths.rules_dir() / "data" / "windows-builds.yaml"
    data, lines = yamlsrc.load(p)
    rows = (data or {}).get("releases") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise InputError(str(p), "expected releases: [{build, name, editions, end, min_ubr}]", line=1)
    for i, r in enumerate(rows):
        if not (
            isinstance(r, dict)
            and isinstance(r.get("build"), int)
            and isinstance(r.get("end"), dt.date)
            and isinstance(r.get("min_ubr"), int)
        ):
            raise InputError(
                str(p),
                f"releases[{i}] needs build (integer), end (date) and min_ubr (integer)",
                line=yamlsrc.line_of(lines, ("releases", i)),
            )
    return rows


def support(build, ubr, caption: str, table: list[dict], today: dt.date, esu: bool = False) -> dict:
    """{release, end_of_support, supported, patch_current, min_ubr}; unknown markers where the
    export lacks a value."""
    if not isinstance(build, int):
        return {
            "release": "unknown",
            "supported": unknown("OS build not read"),
            "patch_current": unknown("OS build not read"),
        }
    row = next(
        (r for r in table if r["build"] == build and re.search(str(r.get("editions", ".")), caption or "")), None
    )
    if row is None:
        return {
            "release": f"build {build} (not in the supported-releases table)",
            "end_of_support": None,
            "supported": False,
            "patch_current": False,
            "min_ubr": None,
        }
    end = row["end"]
    if esu and row.get("esu_end"):
        end = row["esu_end"]
    return {
        "release": row["name"],
        "end_of_support": end.isoformat(),
        "supported": today <= end,
        "patch_current": (ubr >= row["min_ubr"])
        if isinstance(ubr, int)
        else unknown("the export has no UBR (patch level): rerun scripts/collect-windows.ps1"),
        "min_ubr": row["min_ubr"],
    }
