"""Load YAML/JSON documents keeping the line of every key, so errors can name the line.

`load(path)` returns `(data, lines)` where `lines` maps a path tuple (keys and list
indexes) to its 1-based line number. Duplicate mapping keys are rejected (PyYAML would
silently keep the last one, hiding a typo).

Work is bounded before anything is built: nesting deeper than `inputs.max_depth()` and
aliases that expand the document far beyond its written size ("billion laughs") are
rejected from the composed node graph, where shared nodes are counted once (memoised), so
a 441-byte bomb is refused in microseconds instead of expanding to gigabytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from enamel_hipaa.core import inputs
from enamel_hipaa.core.errors import InputError

try:  # the C loader is several times faster when libyaml is present
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

Lines = dict[tuple, int]


# an alias may repeat a part of the document, but not blow it up: the expanded size may be at
# most AMPLIFICATION times the number of distinct nodes (plus some slack), and never over MAX_NODES
AMPLIFICATION = 10
MAX_NODES = 5_000_000


def check_size(root: yaml.Node, fname: str) -> None:
    """Expanded node count and depth of a composed document, each shared node counted once."""
    sizes: dict[int, int] = {}
    limit = inputs.max_depth()
    # iterative post-order over the node graph (a node reached again through an alias is
    # already sized); depth is the path length from the root, checked on the way down
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        nid = id(node)
        if done:
            total = 1
            if isinstance(node, yaml.MappingNode):
                total += sum(sizes[id(k)] + sizes[id(v)] for k, v in node.value)
            elif isinstance(node, yaml.SequenceNode):
                total += sum(sizes[id(v)] for v in node.value)
            sizes[nid] = min(total, MAX_NODES + 1)
            continue
        if nid in sizes:
            continue
        if depth > limit:
            raise InputError(fname, f"nested too deeply (over {limit} levels)", line=node.start_mark.line + 1)
        stack.append((node, depth, True))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.append((k, depth + 1, False))
                stack.append((v, depth + 1, False))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((v, depth + 1, False) for v in node.value)
    expanded, distinct = sizes[id(root)], len(sizes)
    if expanded > MAX_NODES or expanded > AMPLIFICATION * distinct + 10_000:
        raise InputError(
            fname, f"YAML aliases expand {distinct} nodes to over {min(expanded, MAX_NODES)}; refusing an alias bomb"
        )


def _walk(node: yaml.Node, path: tuple, lines: Lines, fname: str) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):  # `? [a, b]: x` or `{[]: x}`
                raise InputError(
                    fname,
                    "a mapping key must be a plain value, not a list or mapping",
                    line=key_node.start_mark.line + 1,
                )
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
            check_size(node, fname)
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
    except RecursionError:
        raise InputError(fname, f"nested too deeply (the limit is {inputs.max_depth()} levels)") from None
    except ValueError as exc:  # e.g. an integer over Python's 4300-digit limit
        raise InputError(fname, f"invalid value: {str(exc).splitlines()[0][:160]}") from None
    return data, lines


def load(path: str | Path) -> tuple[Any, Lines]:
    """A YAML (or JSON) input file: a regular file, size-limited, UTF-8 (inputs.read_text)."""
    return loads(inputs.read_text(path), str(path))


def load_data(path: str | Path) -> Any:
    """Load YAML or JSON without line bookkeeping (fast path for large JSON files; strict:
    duplicate keys, NaN/Infinity, huge integers and deep nesting are input errors)."""
    path = Path(path)
    if path.suffix == ".json":
        return inputs.load_json(path)
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
