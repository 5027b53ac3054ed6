"""Load YAML/JSON documents keeping the line of every key, so errors can name the line.

`load(path)` returns `(data, lines)` where `lines` maps a path tuple (keys and list
indexes) to its 1-based line number. Duplicate mapping keys are rejected (PyYAML would
silently keep the last one, hiding a typo).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from enamel_hipaa.core.errors import InputError

try:  # the C loader is several times faster when libyaml is present
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

Lines = dict[tuple, int]


def _walk(node: yaml.Node, path: tuple, lines: Lines, fname: str) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise InputError(fname, f"duplicate key {key!r}", line=key_node.start_mark.line + 1)
            seen.add(key)
            lines[path + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), lines, fname)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[path + (i,)] = item.start_mark.line + 1
            _walk(item, path + (i,), lines, fname)


def loads(text: str, fname: str) -> tuple[Any, Lines]:
    """Parse YAML (JSON is YAML) text; raise InputError naming file and line."""
    lines: Lines = {}
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, lines
            _walk(node, (), lines, fname)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        msg = f"invalid YAML: {exc.problem or exc.context}"
        if exc.context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            msg += f" ({exc.context} at line {exc.context_mark.line + 1})"
        raise InputError(fname, msg, line=line) from None
    except yaml.YAMLError as exc:
        raise InputError(fname, f"invalid YAML: {exc}") from None
    return data, lines


def load(path: str | Path) -> tuple[Any, Lines]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read: {exc}") from None
    return loads(text, str(path))


def load_data(path: str | Path) -> Any:
    """Load YAML or JSON without line bookkeeping (fast path for large JSON files)."""
    path = Path(path)
    if path.suffix == ".json":
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(str(path), "file not found") from None
        except json.JSONDecodeError as exc:
            raise InputError(str(path), f"invalid JSON: {exc.msg}", line=exc.lineno) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(str(path), f"cannot read: {exc}") from None
    return load(path)[0]


def line_of(lines: Lines, path) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    path = tuple(path)
    while True:
        if path in lines:
            return lines[path]
        if not path:
            return None
        path = path[:-1]


def schema_error(fname: str, lines: Lines, err) -> InputError:
    """Turn a jsonschema ValidationError into an InputError with file, line and place."""
    path = tuple(err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = set(err.schema.get("properties", {}))
        extras = [k for k in err.instance if k not in allowed]
        if extras:  # point at the unexpected key itself
            path = path + (extras[0],)
    where = "/".join(str(p) for p in path) or None
    msg = err.message
    if len(msg) > 200:
        msg = msg[:200] + "..."
    return InputError(fname, msg, line=line_of(lines, path), where=where)
