"""Source `file`: a JSON or YAML resources file in the normalised shape (what
`enamel collect ... -o resources.json` writes). See docs/resources-file.md."""

from __future__ import annotations

import json
from pathlib import Path

from enamel_hipaa.core import schemas, typecheck, yamlsrc
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.model import CollectionError, Resource
from enamel_hipaa.sources import Collection


def collect(config, ctx=None) -> Collection:
    """`config`: a sources.config.ResourcesFileSource."""
    out = Collection()
    for path in config.paths:
        out.extend(read(path, type_schemas=getattr(ctx, "type_schemas", None)))
    return out


def read(path: str, type_schemas: dict | None = None) -> Collection:
    p = Path(path)
    if p.suffix == ".json":
        data, lines = yamlsrc.load_data(p), {}
        if isinstance(data, list):
            data = {"resources": data}
    else:
        data, lines = yamlsrc.load(p)
    if isinstance(data, list):
        data = {"resources": data}
        lines = {(("resources",) + k): v for k, v in lines.items()}
    if not isinstance(data, dict):
        raise InputError(str(p), "expected a mapping with 'resources' or a list of resources", line=1)
    err = next(iter(schemas.validator("resources").iter_errors(data)), None)
    if err is not None:
        raise yamlsrc.schema_error(str(p), lines, err)
    out = Collection(sources=[f"file:{p.name}"])
    if type_schemas is None:
        type_schemas = schemas.type_schemas()
    for i, r in enumerate(data["resources"]):
        if r["type"] not in type_schemas:
            raise InputError(
                str(p),
                f"unknown resource type {r['type']!r}",
                line=yamlsrc.line_of(lines, ("resources", i, "type")),
                where=f"resources/{i}/type",
            )
        bad = typecheck.problems(r["properties"], type_schemas[r["type"]])
        if bad:
            where, msg = ("resources", i, "properties") + bad[0][0], bad[0][1]
            raise InputError(str(p), msg, line=yamlsrc.line_of(lines, where), where=typecheck.pointer(where))
        out.resources.append(
            Resource(
                type=r["type"],
                id=r["id"],
                name=r.get("name") or r["id"],
                source=r["source"],
                properties=r["properties"],
                account=r.get("account"),
                region=r.get("region"),
                error=r.get("error"),
                origin=r.get("origin"),
            )
        )
    for e in data.get("errors", []):
        out.errors.append(
            CollectionError(
                **{k: e.get(k) for k in ("source", "service", "message", "region", "account", "resource_type")}
            )
        )
    return out


def write(path: str, collection: Collection, tool_version: str, collected_at: str) -> None:
    from enamel_hipaa.core.fsio import atomic_write

    doc = {
        "version": 1,
        "tool": {"name": "enamel", "version": tool_version},
        "collected_at": collected_at,
        "resources": [r.to_dict() for r in collection.resources],
        "errors": [e.to_dict() for e in collection.errors],
    }
    atomic_write(Path(path), json.dumps(doc, indent=2, default=str) + "\n")
