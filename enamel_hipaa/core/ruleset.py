"""Load and validate rules: JSON Schema first, then the semantic checks a schema cannot
express (operator known, key in the type's schema, regex compiles, citation in the
catalogue, params declared, id = file name, ids unique). Every error names file and line."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from enamel_hipaa.core import paths, schemas, yamlsrc
from enamel_hipaa.core.conditions import PARAM_RE, compile_condition
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.model import Rule
from enamel_hipaa.core.operators import ALL_OPERATORS, PRESENCE, PREPARE, QUANTIFIERS

PROVIDERS = ("aws", "azure", "onprem", "attestation", "pulumi", "iac")
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.@-]+)\}")
_RESOURCE_FIELDS = {"name", "id", "type", "region", "account", "source"}


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    digest: str
    catalogue: dict
    type_schemas: dict

    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}


def load_catalogue(rules_root: Path) -> dict:
    path = rules_root / "hipaa.yaml"
    data, lines = yamlsrc.load(path)
    err = next(iter(schemas.validator("hipaa").iter_errors(data)), None)
    if err is not None:
        raise yamlsrc.schema_error(str(path), lines, err)
    return data["citations"]


def rule_files(root: Path) -> list[Path]:
    out = []
    for provider_dir in sorted(p for p in root.iterdir() if p.is_dir() and p.name not in ("schema", "data")):
        out.extend(sorted(provider_dir.rglob("*.yaml")))
        out.extend(sorted(provider_dir.rglob("*.yml")))
    return out


# Rule sets already loaded in this process, by the bytes of every file they were built from:
# an MSP run, `enamel serve`-style callers and the test suite load the same rules many times,
# and parsing and validating ~300 files costs ~0.7 s each time. Any change to a file (or a
# file added or removed) changes the key, so a stale set is never returned.
_LOADED: dict[str, RuleSet] = {}
_LOADED_MAX = 8


def load_rules(extra: list[str | Path] | None = None, replace: bool = False) -> RuleSet:
    """Built-in rules plus each extra directory (same layout: <provider>/<id>.yaml); an extra
    rule with a built-in's id replaces it. `replace` drops the built-in rules."""
    builtin = paths.rules_dir()
    roots = ([] if replace else [builtin]) + [Path(d) for d in (extra or [])]
    for r in roots:
        if not Path(r).is_dir():
            raise InputError(str(r), "rules directory not found")
    key = _inputs_key(builtin, roots, extra or [])
    if key in _LOADED:
        return _LOADED[key]
    ruleset = _load(builtin, roots, extra or [])
    if len(_LOADED) >= _LOADED_MAX:
        _LOADED.pop(next(iter(_LOADED)))
    _LOADED[key] = ruleset
    return ruleset


def _inputs_key(builtin: Path, roots: list[Path], extra: list) -> str:
    """A digest of every file a rule set is built from: the rule files of each root, the
    catalogues and the type schemas (names and bytes)."""
    files = [f for root in roots for f in rule_files(Path(root))]
    for d in [builtin, *map(Path, extra)]:
        files.append(d / "hipaa.yaml")
        types = d / "schema" / "types"  # the built-in ones are paths.schema_dir()'s
        if types.is_dir():
            files.extend(sorted(types.glob("*.json")))
    h = hashlib.sha256(repr([str(r) for r in roots]).encode())
    for f in files:
        h.update(str(f).encode() + b"\0")
        try:
            h.update(f.read_bytes())
        except OSError:  # missing or unreadable: the load itself reports it, never cached as fine
            h.update(b"\0missing\0")
    return h.hexdigest()


def _load(builtin: Path, roots: list[Path], extra: list) -> RuleSet:
    catalogue = dict(load_catalogue(builtin))
    for d in extra:  # a rules directory may cite paragraphs of its own (rules/hipaa.yaml layout)
        if (Path(d) / "hipaa.yaml").is_file():
            catalogue.update(load_catalogue(Path(d)))
    type_schemas = schemas.type_schemas(tuple(str(d) for d in extra))
    rules: dict[str, Rule] = {}
    digest = hashlib.sha256()
    for root in roots:
        seen_here: dict[str, str] = {}
        for f in rule_files(Path(root)):
            rule = load_rule_file(f, catalogue, type_schemas)
            if rule.id in seen_here:
                raise InputError(str(f), f"duplicate rule id {rule.id!r} (also in {seen_here[rule.id]})", line=1)
            seen_here[rule.id] = str(f)
            rules[rule.id] = rule
            digest.update(f.read_bytes())
    ordered = tuple(sorted(rules.values(), key=lambda r: r.id))
    return RuleSet(ordered, "sha256:" + digest.hexdigest(), catalogue, type_schemas)


def load_rule_file(path: Path, catalogue: dict, type_schemas: dict) -> Rule:
    fname = str(path)
    data, lines = yamlsrc.load(path)
    if not isinstance(data, dict):
        raise InputError(fname, "a rule must be a mapping", line=1)
    # report the most specific schema error (deepest path), with its line
    errors = list(schemas.validator("rule").iter_errors(data))
    if errors:
        err = max(errors, key=lambda e: (len(e.absolute_path), -len(e.context or [])))
        leaf = _leaf_error(err)
        raise yamlsrc.schema_error(fname, lines, leaf)
    rid = data["id"]
    if rid != path.stem:
        raise InputError(fname, f"id {rid!r} must equal the file name {path.stem!r}", line=lines.get(("id",)))
    provider = path.parent.name
    rtype = data["resource"]
    if provider in PROVIDERS and not rtype.startswith(provider + "."):
        raise InputError(
            fname, f"resource {rtype!r} does not belong under rules/{provider}/", line=lines.get(("resource",))
        )
    for i, c in enumerate(data["hipaa"]):
        if c not in catalogue:
            raise InputError(
                fname, f"citation {c!r} is not in rules/hipaa.yaml", line=lines.get(("hipaa", i)), where=f"hipaa/{i}"
            )
    tschema = type_schemas.get(rtype)
    if tschema is None:
        raise InputError(
            fname, f"resource type {rtype!r} has no schema in rules/schema/types/", line=lines.get(("resource",))
        )
    params = data.get("params", {})
    ctx = _Ctx(fname, lines, tschema, params)
    _check_condition(data["assert"], ("assert",), tschema, ctx)
    if "where" in data:
        _check_condition(data["where"], ("where",), tschema, ctx)
    for m in _PLACEHOLDER.finditer(data["message"]):
        k = m.group(1)
        if k not in _RESOURCE_FIELDS and k not in params and schemas.key_schema(tschema, k) is None:
            raise InputError(
                fname,
                f"message placeholder {{{k}}} is not a resource field, param or property of {rtype}",
                line=lines.get(("message",)),
                where="message",
            )
    # compile once with defaults, so bad expected values surface at load time
    try:
        compile_condition(data["assert"], params, datetime.now(timezone.utc))
    except (ValueError, TypeError, KeyError) as exc:
        raise InputError(fname, f"invalid assert: {exc}", line=lines.get(("assert",))) from None
    return Rule(
        id=rid,
        title=data["title"],
        severity=data["severity"],
        resource=rtype,
        hipaa=tuple(data["hipaa"]),
        assertion=data["assert"],
        message=data["message"],
        remediation=data["remediation"].strip(),
        path=fname,
        description=data.get("description", "").strip(),
        seed=data.get("seed", ""),
        references=data.get("references", {}),
        params=params,
        where=data.get("where"),
        provider=provider,
    )


def _leaf_error(err):
    # oneOf errors carry the per-branch reasons in .context; the deepest one is the useful one
    while err.context:
        err = max(err.context, key=lambda e: (len(e.absolute_path), -len(e.context or [])))
    return err


@dataclass
class _Ctx:
    fname: str
    lines: dict
    tschema: dict
    params: dict

    def fail(self, path: tuple, msg: str) -> InputError:
        return InputError(self.fname, msg, line=yamlsrc.line_of(self.lines, path), where="/".join(str(p) for p in path))


def _check_condition(cond: dict, path: tuple, scope: dict, ctx: _Ctx) -> None:
    # the schema checks the top of a rule; an every/some value is checked only here
    if not isinstance(cond, dict):
        raise ctx.fail(path, "a condition must be a mapping (key, op, value) or all/any/not")
    for combo in ("all", "any"):
        if combo in cond:
            if not isinstance(cond[combo], list) or not cond[combo]:
                raise ctx.fail(path + (combo,), f"{combo} takes a non-empty list of conditions")
            for i, c in enumerate(cond[combo]):
                _check_condition(c, path + (combo, i), scope, ctx)
            return
    if "not" in cond:
        _check_condition(cond["not"], path + ("not",), scope, ctx)
        return
    missing = [k for k in ("key", "op") if k not in cond]
    if missing:
        raise ctx.fail(path, f"a condition needs {' and '.join(missing)} (or all/any/not)")
    key, op = cond["key"], cond["op"]
    if not isinstance(key, str) or not isinstance(op, str):
        raise ctx.fail(path + ("key" if not isinstance(key, str) else "op",), "key and op must be strings")
    if op not in ALL_OPERATORS:
        raise ctx.fail(path + ("op",), f"unknown operator {op!r} (known: {', '.join(ALL_OPERATORS)})")
    ks = schemas.key_schema(scope, key)
    if ks is None:
        raise ctx.fail(path + ("key",), f"key {key!r} is not in the resource type's schema")
    value = cond.get("value")
    if op in QUANTIFIERS:
        if not isinstance(value, dict):
            raise ctx.fail(path + ("value",), f"{op} takes a condition as its value")
        items = schemas.items_schema(ks)
        if items is None:
            raise ctx.fail(path + ("key",), f"{op} needs a list, and {key!r} is not a list in the schema")
        _check_condition(value, path + ("value",), items, ctx)
        return
    if op in PRESENCE:
        if "value" in cond:
            raise ctx.fail(path + ("value",), f"{op} takes no value")
        return
    if "value" not in cond and op not in ("empty", "cidr_is_public"):
        raise ctx.fail(path, f"operator {op!r} needs a value")
    _check_params(value, path + ("value",), ctx)
    resolved = _resolve_defaults(value, ctx.params)
    prep = PREPARE.get(op)
    if prep is not None:
        try:
            prep(resolved, datetime.now(timezone.utc))
        except Exception as exc:  # ValueError, TypeError, re.error: all bad expected values
            raise ctx.fail(path + ("value",), f"invalid value for {op}: {exc}") from None


def _check_params(value, path, ctx: _Ctx):
    if isinstance(value, str):
        if "{{" in value:
            m = PARAM_RE.match(value)
            if not m:
                raise ctx.fail(path, "a parameter reference must be the whole value: '{{ name }}'")
            if m.group(1) not in ctx.params:
                raise ctx.fail(path, f"parameter {m.group(1)!r} is not declared in params")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_params(v, path + (i,), ctx)


def _resolve_defaults(value, params):
    from enamel_hipaa.core.conditions import resolve_params

    return resolve_params(value, params)


def select_rules(ruleset: RuleSet, ids=(), skip=(), severities=(), providers=(), hipaa=()) -> RuleSet:
    """The rules a scan runs: id globs to keep (`ids`) and to drop (`skip`), severities,
    providers and cited paragraphs (a paragraph selects itself and its subparagraphs:
    164.312 selects 164.312(a)(1)). A provider or paragraph that matches nothing is exit 2."""
    import fnmatch

    known = {r.provider for r in ruleset.rules}
    bad = [p for p in providers if p not in known]
    if bad:
        raise InputError(
            "command line", f"unknown provider {', '.join(map(repr, bad))} (rules exist for {', '.join(sorted(known))})"
        )
    for para in hipaa:
        if not any(c == para or c.startswith(para + "(") or c.startswith(para + ".") for c in ruleset.catalogue):
            raise InputError(
                "command line",
                f"--hipaa {para!r} is not a paragraph of the citation catalogue (rules/hipaa.yaml; e.g. 164.312(a)(1))",
            )

    def cites(rule) -> bool:
        return any(c == p or c.startswith(p + "(") or c.startswith(p + ".") for c in rule.hipaa for p in hipaa)

    def keep(rule) -> bool:
        return (
            (not ids or any(fnmatch.fnmatchcase(rule.id, g) for g in ids))
            and not any(fnmatch.fnmatchcase(rule.id, g) for g in skip)
            and (not severities or rule.severity in severities)
            and (not providers or rule.provider in providers)
            and (not hipaa or cites(rule))
        )

    chosen = tuple(r for r in ruleset.rules if keep(r))
    if ids and not chosen:
        raise InputError("command line", f"--rule {', '.join(ids)} selects no rule (see enamel rules list)")
    if len(chosen) == len(ruleset.rules):
        return ruleset
    digest = hashlib.sha256((ruleset.digest + "|" + ",".join(r.id for r in chosen)).encode()).hexdigest()
    return RuleSet(chosen, "sha256:" + digest, ruleset.catalogue, ruleset.type_schemas)
