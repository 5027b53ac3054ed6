"""Load a CloudFormation template (YAML with short-form intrinsics, or JSON) with PyYAML,
keeping the line of every resource. `!Ref x` reads as {"Ref": "x"}, `!GetAtt A.B` as
{"Fn::GetAtt": ["A", "B"]}, `!Condition c` as {"Condition": "c"}, any other `!Name` as
{"Fn::Name": ...} - the long forms CloudFormation documents. Duplicate keys are refused, as
CloudFormation refuses them. (cfn-lint's decoder does the same but costs ~1.5 s of imports.)"""

from __future__ import annotations

import yaml

from enamel_hipaa.core.errors import InputError

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc, valid-type]
    pass


def _intrinsic(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _intrinsic)


def _span(text_lines: list[str], key, value) -> tuple[int, int]:
    """1-based (first, last) line of a resource: its key to the last non-blank, non-comment line
    of its value (a block mapping ends where the next key starts)."""
    start = key.start_mark.line + 1
    end_mark = value.end_mark
    end = min(end_mark.line + 1, len(text_lines))
    if end_mark.line < len(text_lines) and not text_lines[end_mark.line][: end_mark.column].strip():
        end = end_mark.line
    while end > start and (not text_lines[end - 1].strip() or text_lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return start, max(start, end)


def _lines(root, path: str, text: str = "") -> dict[str, tuple[int, int]]:
    """Logical id -> 1-based (first, last) line of it under Resources; refuses duplicate keys."""
    out: dict[str, tuple[int, int]] = {}

    def check(node):
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for k, v in node.value:
                if k.value in seen:
                    raise InputError(path, f"duplicate key {k.value!r}", line=k.start_mark.line + 1)
                seen.add(k.value)
                check(v)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                check(item)

    check(root)
    if isinstance(root, yaml.MappingNode):
        for k, v in root.value:
            if k.value == "Resources" and isinstance(v, yaml.MappingNode):
                text_lines = text.splitlines()
                out = {rk.value: _span(text_lines, rk, rv) for rk, rv in v.value}
    return out


def load(text: str, path: str) -> tuple[object, dict[str, tuple[int, int]]]:
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, {}
            lines = _lines(node, path, text)
            return loader.construct_document(node), lines
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputError(
            path, f"not a YAML or JSON template: {exc.problem or exc.context}", line=mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(path, f"not a YAML or JSON template: {str(exc).splitlines()[0]}") from None
