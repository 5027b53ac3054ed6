"""Per-tenant parameter overrides: {params: {name: value}, rules: {rule-id: {name: value}}}.
Overrides must name a parameter some rule declares, with a value of the same JSON type."""

from __future__ import annotations

from enamel_hipaa.core import schemas, yamlsrc
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.model import Rule


def _kind(v) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "list"
    if isinstance(v, dict):
        return "mapping"
    return "null"


def check_params(data: dict, rules: list[Rule] | tuple, path: str, lines: dict | None = None) -> dict:
    lines = lines or {}
    err = next(iter(schemas.validator("params").iter_errors(data)), None)
    if err is not None:
        raise yamlsrc.schema_error(path, lines, err)
    declared: dict[str, object] = {}
    for r in rules:
        for k, v in r.params.items():
            declared.setdefault(k, v)
    by_id = {r.id: r for r in rules}
    for name, value in (data.get("params") or {}).items():
        if name not in declared:
            raise InputError(
                path, f"no rule declares a parameter {name!r}", line=lines.get(("params", name)), where=f"params/{name}"
            )
        if _kind(value) != _kind(declared[name]):
            raise InputError(
                path,
                f"parameter {name!r} must be a {_kind(declared[name])}",
                line=lines.get(("params", name)),
                where=f"params/{name}",
            )
    for rid, over in (data.get("rules") or {}).items():
        if rid not in by_id:
            raise InputError(path, f"unknown rule id {rid!r}", line=lines.get(("rules", rid)), where=f"rules/{rid}")
        for name, value in over.items():
            default = by_id[rid].params.get(name, KeyError)
            if default is KeyError:
                raise InputError(
                    path,
                    f"rule {rid} has no parameter {name!r}",
                    line=lines.get(("rules", rid, name)),
                    where=f"rules/{rid}/{name}",
                )
            if _kind(value) != _kind(default):
                raise InputError(
                    path,
                    f"parameter {name!r} must be a {_kind(default)}",
                    line=lines.get(("rules", rid, name)),
                    where=f"rules/{rid}/{name}",
                )
    return data


def load_params(path: str, rules) -> dict:
    data, lines = yamlsrc.load(path)
    return check_params(data or {}, rules, path, lines)
