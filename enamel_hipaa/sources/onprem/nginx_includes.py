"""Read an nginx configuration file by file, following `include` ourselves (crossplane parses
each file alone) so that:
- absolute includes resolve under the inventory's `root:` (a copy of the server's filesystem);
- an include or glob that resolves to nothing is kept as an `include-missing` node where it
  stood, so the checks whose content it would have held report `unknown` naming it;
- placeholders (`{{ x }}`, `${X}`) are rendered from inventory `variables:` before parsing, and
  one left unrendered is a one-line error naming file:line and the placeholder."""

from __future__ import annotations

import glob
import os
import re
import tempfile
from pathlib import Path

MUSTACHE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}")
DOLLAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Includes whose content never holds server/location directives (MIME types, module loaders).
HARMLESS = re.compile(
    r"(^|/)(mime\.types|modules(-enabled)?/\*\.conf|modules/.*\.conf|fastcgi_params|"
    r"uwsgi_params|scgi_params|koi-\w+|win-utf)$"
)


class ParseError(Exception):
    pass


def render(text: str, variables: dict[str, str], where: str) -> str:
    """Substitute {{ x }}, ${X} and (as sed-based images do) the bare variable names. A
    {{ x }} left, or an upper-case ${X} (envsubst style; nginx's own ${var} are lower case),
    is an error naming the first one."""
    for name, value in variables.items():
        text = re.sub(r"\{\{\s*" + re.escape(name) + r"\s*\}\}", value, text)
        text = text.replace("${" + name + "}", value)
        text = re.sub(r"(?<![\w$])" + re.escape(name) + r"(?!\w)", value, text)
    for lineno, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0]
        m = MUSTACHE.search(code) or next((d for d in DOLLAR.finditer(code) if d.group(1).isupper()), None)
        if m:
            raise ParseError(
                f"{where}:{lineno}: template placeholder {m.group(0)} has no value "
                f"(give it under variables: in the inventory)"
            )
    return text


def resolve(pattern: str, conf_dir: Path, root: Path | None) -> tuple[list[str], str]:
    """(files an include names, where they were looked for)."""
    if os.path.isabs(pattern):
        where = str(root / pattern.lstrip("/")) if root else pattern
    else:
        where = str(conf_dir / pattern)
    files = sorted(glob.glob(where)) if any(c in pattern for c in "*?[") else ([where] if os.path.isfile(where) else [])
    return [f for f in files if os.path.isfile(f)], where


def parse_tree(path: str, root: str | None = None, variables: dict[str, str] | None = None) -> list[dict]:
    """Directives of `path` with includes expanded: dicts {directive, args, file, line, block?};
    an unresolved include becomes {directive: "include-missing", args: [pattern, looked_at]}."""
    conf_dir = Path(path).resolve().parent
    state = {"root": Path(root) if root else None, "vars": variables or {}, "conf_dir": conf_dir, "stack": []}
    if not os.path.exists(path):
        raise ParseError(f"{path}: configuration not found")
    return _parse_file(path, state)  # reads regular files only: a FIFO or device is an error, never a hang


def _parse_file(path: str, state) -> list[dict]:
    import crossplane

    if path in state["stack"]:
        raise ParseError(f"{path}: include cycle ({' -> '.join(state['stack'])})")
    from enamel_hipaa.core.errors import InputError
    from enamel_hipaa.core.inputs import read_text

    try:  # regular files only: a FIFO or a device would block crossplane forever
        text = read_text(path)
    except InputError as exc:
        raise ParseError(str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(f"{path}: cannot read: {exc}") from None
    rendered = render(text, state["vars"], path)
    target = path
    tmp = None
    if rendered != text:
        fd, tmp = tempfile.mkstemp(suffix=".conf")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(rendered)
        target = tmp
    try:
        payload = crossplane.parse(target, single=True, catch_errors=True, check_ctx=False, comments=False)
    finally:
        if tmp:
            os.unlink(tmp)
    errs = [e for c in payload["config"] for e in c.get("errors", [])] or payload.get("errors", [])
    if errs:
        e = errs[0]
        raise ParseError(f"{path}:{e.get('line') or '?'}: {e.get('error')}".replace(str(target), path))
    state["stack"].append(path)
    try:
        return _walk(payload["config"][0]["parsed"] if payload["config"] else [], path, state)
    finally:
        state["stack"].pop()


def _walk(items: list, file: str, state) -> list[dict]:
    out = []
    for d in items:
        if d["directive"] == "include" and d.get("args"):
            pattern = d["args"][0]
            files, where = resolve(pattern, state["conf_dir"], state["root"])
            if not files:
                if not HARMLESS.search(pattern):
                    out.append(
                        {"directive": "include-missing", "args": [pattern, where], "file": file, "line": d["line"]}
                    )
                continue
            for f in files:
                out.extend(_parse_file(f, state))
            continue
        node = {"directive": d["directive"], "args": d.get("args", []), "file": file, "line": d["line"]}
        if "block" in d:
            node["block"] = _walk(d["block"], file, state)
        out.append(node)
    return out
