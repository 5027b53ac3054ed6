"""JSON Schemas shipped in rules/schema: the rule, report, waivers, resources and params
schemas, and one schema of properties per resource type (rules/schema/types/<type>.json)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jsonschema

from enamel_hipaa.core import paths
from enamel_hipaa.core.errors import InputError


@lru_cache(maxsize=None)
def load(name: str, schema_dir: str | None = None) -> dict:
    base = Path(schema_dir) if schema_dir else paths.schema_dir()
    with open(base / f"{name}.schema.json", encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=None)
def validator(name: str) -> jsonschema.protocols.Validator:
    schema = load(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def type_schemas(extra_dirs: tuple[str, ...] = ()) -> dict[str, dict]:
    """All resource type schemas, keyed by type name (file name without .json)."""
    out: dict[str, dict] = {}
    for base in (paths.schema_dir() / "types", *[Path(d) / "schema" / "types" for d in extra_dirs]):
        if not base.is_dir():
            continue
        for f in sorted(base.glob("*.json")):
            try:
                out[f.stem] = json.loads(f.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise InputError(str(f), f"invalid JSON: {exc.msg}", line=exc.lineno) from None
    return out


def _branches(schema: dict) -> list[dict]:
    subs = [schema]
    for k in ("anyOf", "oneOf", "allOf"):
        subs.extend(schema.get(k, []))
    return subs


def _child(schema: dict, part: str) -> dict | None:
    for s in _branches(schema):
        props = s.get("properties", {})
        if part in props:
            return props[part]
        ap = s.get("additionalProperties")
        if isinstance(ap, dict):
            return ap
        pp = s.get("patternProperties")
        if pp:
            return next(iter(pp.values()))
    return None


def key_schema(schema: dict, key: str) -> dict | None:
    """The sub-schema at dotted `key` ('@' is the schema itself), or None if the key
    does not exist in the schema (a typo must never silently pass)."""
    if key == "@":
        return schema
    node = schema
    for part in key.split("."):
        node = _child(node, part)
        if node is None:
            return None
    return node


def items_schema(schema: dict) -> dict | None:
    for s in _branches(schema):
        if isinstance(s.get("items"), dict):
            return s["items"]
    return None
