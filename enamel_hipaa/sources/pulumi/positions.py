"""Where a planned resource is declared in the Pulumi program: file (relative to the project
root, as code scanning wants it) and line, from the positions the SDK sends with each
registration. SARIF points plan findings there, so they land on the pull request's lines."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import unquote, urlparse


def _path(uri: str, root: Path) -> str | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    p = Path(unquote(parsed.path))
    try:
        return p.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:  # declared outside the project (a library): no place in the user's repository
        return None


def resource_positions(records: list[dict], urns: dict, root: str | Path) -> dict[tuple[str, str], dict]:
    """(resource type, id) -> {"path", "start_line"} for every normalised resource whose
    record carries a source position inside `root`. `urns` is what `normalize(..., urns=)` filled."""
    by_urn = {r["urn"]: r.get("source_position") for r in records}
    out = {}
    for key, urn in urns.items():
        pos = by_urn.get(urn)
        if not pos:
            continue
        path = _path(pos["uri"], Path(root))
        if path:
            out[(key[0], str(key[1]))] = {"path": path, "start_line": int(pos["line"])}
    return out


def with_origins(resources: list, records: list[dict], urns: dict, root=None) -> list:
    """The resources, each with `origin` {"path", "line"} where its declaration is known and
    lies under `root` (default: the working directory, which is the repository in CI)."""
    if not any(r.get("source_position") for r in records):
        return resources
    pos = resource_positions(records, urns, root or Path.cwd())
    out = []
    for r in resources:
        p = pos.get((r.type, str(r.id)))
        out.append(
            dataclasses.replace(r, origin={"path": p["path"], "line": p["start_line"]}) if p and not r.origin else r
        )
    return out
