"""Types enforced where resources enter the engine.

Every resource's `properties` are checked against its type schema
(`rules/schema/types/<type>.json`). A marker (`{"$unknown": why}` / `{"$error": why}`)
(and null, "not reported") stands in for any value, at any depth and inside lists, but a
marker only when it is well formed:
exactly one key, a string reason. A mapping that carries a marker key next to other keys
is malformed (`{"$error": "x", "enabled": true}` must never read as enabled).
Numbers must be finite; mapping keys must be strings.

Two callers, two consequences:
- a resources file (`check_file_resource`): the first problem is an InputError naming the
  file and the JSON pointer (exit 2);
- a collector (`enforce`): each bad value becomes `{"$error": ...}` for the property it sits
  in, so a rule that reads it yields `error`, never `pass`.
"""

from __future__ import annotations

import math
from datetime import date
from functools import lru_cache
from typing import Iterable, Iterator

import jsonschema

from enamel_hipaa.core.model import ERROR_KEY, UNKNOWN_KEY, Resource

MARKER_KEYS = (UNKNOWN_KEY, ERROR_KEY)


def is_marker(v) -> bool:
    """A well-formed marker: one key ($unknown or $error) with a string reason."""
    if type(v) is not dict or len(v) != 1:
        return False
    ((k, why),) = v.items()
    return k in MARKER_KEYS and isinstance(why, str)


def _skip_markers(fn):
    def check(validator, value, instance, schema):
        if instance is None or is_marker(instance):
            return ()  # null (not reported) and markers stand in for any type
        return fn(validator, value, instance, schema)

    return check


def _is_string(checker, instance) -> bool:
    # YAML turns an unquoted 2026-01-01 into a date: it is a timestamp string in JSON terms
    return isinstance(instance, (str, date))


@lru_cache(maxsize=None)
def _marker_aware(cls):
    """The schema's validator class where every keyword accepts a well-formed marker."""
    checker = cls.TYPE_CHECKER.redefine("string", _is_string)
    return jsonschema.validators.extend(
        cls, validators={kw: _skip_markers(fn) for kw, fn in cls.VALIDATORS.items()}, type_checker=checker
    )


_VALIDATORS: dict[int, tuple[dict, object]] = {}


def validator_for(schema: dict):
    hit = _VALIDATORS.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    cls = _marker_aware(jsonschema.validators.validator_for(schema))
    v = cls(schema)
    _VALIDATORS[id(schema)] = (schema, v)
    return v


def pointer(path: Iterable) -> str:
    """RFC 6901 JSON pointer of a path of keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _shape_problems(value, path: tuple) -> Iterator[tuple[tuple, str]]:
    """Problems no schema states: malformed markers, non-finite numbers, non-string keys."""
    stack = [(value, path)]
    while stack:
        v, p = stack.pop()
        t = type(v)
        if t is dict:
            if any(k in v for k in MARKER_KEYS) and not is_marker(v):
                yield p, ("malformed marker: a $unknown/$error object has exactly one key and a string reason")
                continue
            for k, x in v.items():
                if type(k) is not str:
                    yield p, f"key {k!r} is not a string"
                    continue
                stack.append((x, p + (k,)))
        elif t is list:
            stack.extend((x, p + (i,)) for i, x in enumerate(v))
        elif t is float and not math.isfinite(v):
            yield p, f"{v} is not a finite number"


def problems(properties, schema: dict | None) -> list[tuple[tuple, str]]:
    """(path, message) of every problem in `properties`; [] if they are well typed."""
    out = list(_shape_problems(properties, ()))
    if out:  # the schema validator would trip over non-string keys; report the shape first
        return out
    if type(properties) is not dict:
        return [((), "properties must be a mapping")]
    if schema is None:
        return out
    for err in validator_for(schema).iter_errors(properties):
        path = tuple(err.absolute_path)
        msg = err.message
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set(err.schema.get("properties", {}))
            extras = [k for k in err.instance if k not in allowed]
            if extras:
                path, msg = path + (extras[0],), f"unexpected property {extras[0]!r}"
        if len(msg) > 160:
            msg = msg[:160] + "..."
        out.append((path, msg))
    return out


def _set_error(props: dict, path: tuple, why: str) -> bool:
    """Replace the value at `path` by an $error marker; False if the path is the root."""
    if not path:
        return False
    node = props
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = {ERROR_KEY: why}
    return True


def _copy(v):
    if type(v) is dict:
        return {k: _copy(x) for k, x in v.items()}
    if type(v) is list:
        return [_copy(x) for x in v]
    return v


def enforce_one(resource: Resource, schema: dict | None) -> Resource:
    """A collector's resource with every ill-typed value replaced by an $error marker (the
    whole resource is `error` if its properties are not even a mapping). An unexpected
    top-level property is dropped (no rule can read it); one inside an object makes that
    object `$error` (`{"a": 1}` in a list of grants is not an empty grant)."""
    if resource.error:
        return resource
    found = problems(resource.properties, schema)
    if not found:
        return resource
    if type(resource.properties) is not dict:
        return _replace(resource, {}, "properties from the source are not a mapping")
    props = _copy(resource.properties)
    # shape problems first (the schema check cannot see past them), then the schema's
    for _ in range(3):
        for path, msg in sorted(found, key=lambda pm: -len(pm[0])):  # deepest first
            if msg.startswith("unexpected property"):
                if len(path) == 1:  # a top-level extra: no rule can read it
                    _drop(props, path)
                    continue
                # inside an object (a grant, a rule): that object's meaning is in doubt
                path = path[:-1]
            try:
                if not _set_error(props, path, f"bad value from the source at {pointer(path)}: {msg}"):
                    return _replace(resource, {}, f"bad properties from the source: {msg}")
            except (KeyError, IndexError, TypeError):  # a parent was already replaced
                continue
        found = problems(props, schema)
        if not found:
            return _replace(resource, props, None)
    return _replace(resource, {}, "bad properties from the source")


def _drop(props: dict, path: tuple) -> None:
    node = props
    try:
        for p in path[:-1]:
            node = node[p]
        if type(node) is dict:
            node.pop(path[-1], None)
    except (KeyError, IndexError, TypeError):
        pass


def _replace(r: Resource, props: dict, error: str | None) -> Resource:
    return Resource(
        type=r.type,
        id=r.id,
        name=r.name,
        source=r.source,
        properties=props,
        account=r.account,
        region=r.region,
        error=error,
    )


def enforce(resources: Iterable[Resource], type_schemas: dict) -> list[Resource]:
    """`enforce_one` over a collection (types without a schema are checked for shape only)."""
    return [enforce_one(r, type_schemas.get(r.type)) for r in resources]
