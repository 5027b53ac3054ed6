"""Baselines: `--write-baseline FILE` records the failing (fail/unknown) findings of a scan;
`--baseline FILE` marks each failing finding `new` or `unchanged`, and only new ones fail
the gate. A finding's key is its rule and resource identity (type, id, account, region),
never a line number, so moving code around does not make old findings new. Errors are
never baselined: an incomplete scan still exits 3 with --fail-on-error."""

from __future__ import annotations

import json
from pathlib import Path

from enamel_hipaa import __version__
from enamel_hipaa.core import schemas, yamlsrc
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.report import finding_key, now_iso

BASELINED = ("fail", "unknown")
VERSION = 1


def load(path: str) -> set[str]:
    data, lines = yamlsrc.load(path)
    if data is None:
        raise InputError(path, "empty baseline file (write one with --write-baseline FILE)", line=1)
    err = next(iter(schemas.validator("baseline").iter_errors(data)), None)
    if err is not None:
        raise yamlsrc.schema_error(path, lines, err)
    return {f["key"] for f in data["findings"]}


def dump(report: dict) -> str:
    items = [
        {
            "key": finding_key(f),
            "rule_id": f["rule_id"],
            "status": f["status"],
            "resource": {"type": f["resource"]["type"], "id": f["resource"]["id"]},
        }
        for f in report["findings"]
        if f["status"] in BASELINED
    ]
    items.sort(key=lambda i: (i["rule_id"], i["resource"]["id"], i["key"]))
    doc = {
        "version": VERSION,
        "tool": {"name": "enamel", "version": __version__},
        "created_at": now_iso(),
        "findings": list({i["key"]: i for i in items}.values()),
    }
    return json.dumps(doc, indent=2) + "\n"


def mark(report: dict, keys: set[str]) -> int:
    """Set `baseline` on every failing finding; return how many are new."""
    new = 0
    for f in report["findings"]:
        if f["status"] in BASELINED:
            f["baseline"] = "unchanged" if finding_key(f) in keys else "new"
            new += f["baseline"] == "new"
    return new


def use(baseline: str | None, write_baseline: str | None, report: dict) -> None:
    """--baseline FILE then --write-baseline FILE (either, both or neither)."""
    if baseline:
        mark(report, load(baseline))
    if write_baseline:
        from enamel_hipaa.core.fsio import atomic_write

        atomic_write(Path(write_baseline), dump(report))
