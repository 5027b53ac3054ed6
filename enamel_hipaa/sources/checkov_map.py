"""rules/checkov.yaml: which checkov checks Enamel runs and what each one means to us.

`load_map(ruleset)` validates the table (JSON Schema, then: every rule id either exists in
the ruleset, with the same severity and citations, or is defined under `rules:`; every
citation is in rules/hipaa.yaml; no unused definitions) and returns checkov id -> Mapping,
each holding a real `Rule`: the Enamel rule when the id exists, else one built from the table.
Every error names the file and the line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from enamel_hipaa.core import paths, schemas, yamlsrc
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.model import Rule

TABLE = "checkov.yaml"


@dataclass(frozen=True)
class Mapping:
    check_id: str
    rule: Rule
    provider: str  # aws | azure (from the checkov id)


def table_path() -> Path:
    return paths.rules_dir() / TABLE


def provider_of(check_id: str) -> str:
    return check_id.split("_")[1].lower()


def load_map(ruleset, path: Path | None = None) -> dict[str, Mapping]:
    path = Path(path) if path else table_path()
    fname = str(path)
    data, lines = yamlsrc.load(path)
    if not isinstance(data, dict):
        raise InputError(fname, "expected a mapping with 'checks:' and 'rules:'", line=1)
    err = next(iter(schemas.validator("checkov-map").iter_errors(data)), None)
    if err is not None:
        raise _schema_error(fname, lines, data, err)
    existing = ruleset.by_id()
    defined = data["rules"]
    for rid in defined:
        if rid in existing:
            raise InputError(
                fname,
                f"rule {rid!r} already exists ({existing[rid].path}): map checks to it instead of defining it here",
                line=lines.get(("rules", rid)),
                where=f"rules/{rid}",
            )
    owner = _checks_owned(existing)
    first: dict[str, tuple[str, dict]] = {}  # new rule id -> (check id, entry) that first used it
    rule_of: dict[str, str] = {}
    for cid, entry in data["checks"].items():
        where = ("checks", cid)
        for i, c in enumerate(entry["hipaa"]):
            if c not in ruleset.catalogue:
                raise InputError(
                    fname,
                    f"citation {c!r} is not in rules/hipaa.yaml",
                    line=yamlsrc.line_of(lines, where + ("hipaa", i)),
                    where=f"checks/{cid}/hipaa/{i}",
                )
        rid = rule_of[cid] = entry["rule"]
        if cid in owner and rid != owner[cid].id:
            raise InputError(
                fname,
                f"{cid} is the check of Enamel rule {owner[cid].id!r} (its references.checkov, "
                f"{owner[cid].path}): map it to that rule, so one control has one id",
                line=yamlsrc.line_of(lines, where + ("rule",)),
                where=f"checks/{cid}/rule",
            )
        if rid in existing:
            rule = existing[rid]
            _same(fname, lines, where, cid, entry, rule.severity, rule.hipaa, f"rule {rid} ({rule.path})")
        elif rid in defined:
            if rid in first:
                prev_cid, prev = first[rid]
                _same(fname, lines, where, cid, entry, prev["severity"], prev["hipaa"], f"{prev_cid} (same rule {rid})")
            else:
                first[rid] = (cid, entry)
        else:
            raise InputError(
                fname,
                f"rule {rid!r} is neither an Enamel rule nor defined under 'rules:'",
                line=yamlsrc.line_of(lines, where + ("rule",)),
                where=f"checks/{cid}/rule",
            )
    for rid in defined:
        if rid not in first:
            raise InputError(
                fname,
                f"rule {rid!r} is defined but no check maps to it",
                line=lines.get(("rules", rid)),
                where=f"rules/{rid}",
            )
    rules = dict(existing)
    for rid, (_, entry) in first.items():
        checks = [c for c, r in rule_of.items() if r == rid]
        rules[rid] = _build(rid, defined[rid], entry, checks, fname)
    return {cid: Mapping(check_id=cid, rule=rules[rid], provider=provider_of(cid)) for cid, rid in rule_of.items()}


def _checks_owned(existing: dict) -> dict:
    """checkov check id -> the Enamel rule that names it in references.checkov."""
    owner = {}
    for rule in existing.values():
        ref = (rule.references or {}).get("checkov")
        for cid in [ref] if isinstance(ref, str) else ref or []:
            for one in str(cid).replace(",", " ").split():
                owner.setdefault(one, rule)
    return owner


def _schema_error(fname: str, lines: dict, data: dict, err) -> InputError:
    path = tuple(err.absolute_path)
    node = data
    for p in path:
        node = node[p]
    # a bad key (propertyNames): point at the key itself, not at its parent mapping
    if isinstance(node, dict) and isinstance(err.instance, str) and err.instance in node:
        key = path + (err.instance,)
        return InputError(
            fname, f"key {err.instance!r}: {err.message}", line=lines.get(key), where="/".join(map(str, key))
        )
    return yamlsrc.schema_error(fname, lines, err)


def _same(fname, lines, where, cid, entry, severity, hipaa, other: str) -> None:
    if entry["severity"] != severity:
        raise InputError(
            fname,
            f"{cid} severity {entry['severity']!r} differs from {other}: {severity!r}",
            line=yamlsrc.line_of(lines, where + ("severity",)),
            where=f"checks/{cid}/severity",
        )
    if set(entry["hipaa"]) != set(hipaa):
        raise InputError(
            fname,
            f"{cid} citations {sorted(entry['hipaa'])} differ from {other}: {sorted(hipaa)}",
            line=yamlsrc.line_of(lines, where + ("hipaa",)),
            where=f"checks/{cid}/hipaa",
        )


def _build(rid: str, definition: dict, entry: dict, checks: list[str], fname: str) -> Rule:
    return Rule(
        id=rid,
        title=definition["title"],
        severity=entry["severity"],
        resource="iac.checkov",
        hipaa=tuple(entry["hipaa"]),
        assertion={},
        message="",
        remediation=definition["remediation"],
        path=fname,
        description=definition.get("description", ""),
        references={"checkov": ", ".join(checks)},
        provider="iac",
    )
