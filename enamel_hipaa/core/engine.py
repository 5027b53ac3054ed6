"""evaluate(rules, resources, params) -> findings.

Conditions are compiled once per evaluation into closures returning one of four values:
True (holds), False (does not hold), None (unknown: a needed value is missing, null,
secret or not knowable) and ERROR (the source failed to read a needed value).
`all`/`any`/`not` combine them with Kleene logic, so an unknown value can never make a
rule pass: `all` is False if any part is False, else ERROR/None if any part is, else True.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache
from collections import defaultdict
from datetime import datetime, timezone
from typing import Iterable

from enamel_hipaa.core import datascope
from enamel_hipaa.core.conditions import (  # noqa: F401  (re-exported)
    PARAM_RE,
    _quantified,
    compile_condition,
    describe,
    failed_conditions,
    leaf_keys,
    resolve_params,
)
from enamel_hipaa.core import schemas, typecheck
from enamel_hipaa.core.model import ERROR_KEY, UNKNOWN_KEY, CollectionError, Finding, Resource, Rule, Waiver
from enamel_hipaa.core.values import ERROR, MISSING, format_value, lookup  # noqa: F401

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.@-]+)\}")
_RESOURCE_FIELDS = ("name", "id", "type", "region", "account", "source")


def render_message(template: str, resource, params: dict) -> str:
    props = resource.properties if isinstance(resource, Resource) else {}

    def sub(m):
        k = m.group(1)
        if k in _RESOURCE_FIELDS:
            v = getattr(resource, k) if isinstance(resource, Resource) else resource.get(k)
            return format_value(v)
        if k in params and lookup(props, k) is MISSING:
            return format_value(params[k])
        return format_value(lookup(props, k))

    return _PLACEHOLDER.sub(sub, template)


class CompiledRule:
    """A rule with its parameters bound and its conditions compiled; also the explainer
    that writes a finding's message and evidence when they are first read."""

    __slots__ = ("rule", "params", "check", "where", "keys", "now")

    def __init__(self, rule: Rule, params: dict, now: datetime):
        self.rule = rule
        self.params = params
        self.now = now
        self.check = compile_condition(rule.assertion, params, now)
        self.where = compile_condition(rule.where, params, now, False) if rule.where else None
        self.keys = leaf_keys(rule.assertion)

    def offending_items(self, props) -> list[str]:
        """For `every` conditions: the list elements that do not satisfy it, in words."""
        out = []
        for cond in _quantified(self.rule.assertion, "every"):
            items = lookup(props, cond["key"])
            if type(items) is not list:
                continue
            sub = compile_condition(resolve_params(cond["value"], self.params), self.params, self.now)
            bad = [format_value(el) for el in items if sub(el) is not True]
            if bad:
                out.append(f"{cond['key']} items not satisfying the rule: " + "; ".join(bad))
        return out

    def explain(self, f: Finding) -> str:
        rule, resource, status, detail = self.rule, f.resource, f.status, f.detail
        if status == "error":
            return f"could not evaluate: the source failed: {detail}"
        base = render_message(rule.message, resource, self.params)
        if status == "pass":
            return base
        if status == "fail":
            offending = self.offending_items(resource.properties) if isinstance(resource, Resource) else []
            if offending:
                base = f"{render_message(rule.message, resource, self.params)}: {' | '.join(offending)}"
            failed = (
                failed_conditions(rule.assertion, self.params, self.now, resource.properties)
                if isinstance(resource, Resource) and "all" in rule.assertion
                else []
            )
            if failed:  # a bundled assertion: name the parts that failed
                return f"{base} (failed: {'; '.join(failed)})"
            return f"{base} (expected: {describe(rule.assertion, self.params)})"
        if status == "skip":
            return f"out of scope: not ({describe(rule.where, self.params)})"
        props = resource.properties if isinstance(resource, Resource) else {}
        keys = leaf_keys(rule.where) if detail == "scope" else self.keys
        unset, unknown_by_reason = [], {}
        for k in keys:
            v = lookup(props, k)
            if v is MISSING or v is None:
                unset.append(k)
            elif type(v) is dict and UNKNOWN_KEY in v:
                unknown_by_reason.setdefault(str(v[UNKNOWN_KEY]), []).append(k)
        parts = [f"{', '.join(ks)} unknown ({why})" for why, ks in unknown_by_reason.items()]
        if unset:
            parts.append(f"{', '.join(unset)} not set")
        what = "; ".join(parts) or "a value has an unexpected type"
        prefix = "scope could not be determined" if detail == "scope" else "could not evaluate"
        if unknown_by_reason:  # the observation would only repeat the unknown markers
            return f"{prefix} for {resource.name if isinstance(resource, Resource) else '?'}: {what}"
        return f"{base} ({prefix}: {what})"

    def expected(self) -> list:
        return expected_leaves(self.rule.assertion, self.params)

    def observed(self, f: Finding) -> str:
        """The rule's message with the resource's values: no verdict or expectation appended."""
        if f.status in ("pass", "fail", "waived"):
            return render_message(self.rule.message, f.resource, self.params)
        return self.explain(f)

    def evidence(self, f: Finding) -> dict:
        if not isinstance(f.resource, Resource):
            return {}
        props = f.resource.properties
        out = {}
        for k in self.keys:
            v = lookup(props, k)
            out[k] = None if v is MISSING else v
        return out


def rule_params(rule: Rule, overrides: dict | None) -> dict:
    p = dict(rule.params)
    if overrides:
        for k, v in (overrides.get("params") or {}).items():
            if k in p:
                p[k] = v
        p.update((overrides.get("rules") or {}).get(rule.id, {}))
    return p


def evaluate(
    rules: Iterable[Rule],
    resources: Iterable[Resource],
    params: dict | None = None,
    errors: Iterable[CollectionError] = (),
    now: datetime | None = None,
    include_skipped: bool = True,
    type_schemas: dict | None = None,
) -> list[Finding]:
    """Evaluate every rule against every resource of its type.

    `params` has the shape of a params file: {"params": {name: value}, "rules": {id: {name: value}}}.
    `errors` are collection failures: each with a resource_type gives an `error` finding per
    rule on that type, so a denied service can never look like a clean one.
    Every resource is type-checked first (`typecheck.enforce`): an ill-typed value is `$error`.
    """
    now = now or datetime.now(timezone.utc)
    resources = typecheck.enforce(resources, type_schemas if type_schemas is not None else _builtin_types())
    by_type: dict[str, list[tuple[Resource, dict]]] = defaultdict(list)
    failed: dict[str, list[Resource]] = defaultdict(list)
    scope = datascope.settings(params)  # PHI scope fails closed (core/datascope.py)
    for r in resources:
        if r.error:
            failed[r.type].append(r)
        else:
            by_type[r.type].append((r, datascope.annotate(r.type, r.properties, scope)))
    findings: list[Finding] = []
    append = findings.append
    errors = list(errors)
    for rule in rules:
        cr = CompiledRule(rule, rule_params(rule, params), now)
        check, where = cr.check, cr.where
        for res in failed.get(rule.resource, ()):
            append(Finding(rule, res, "error", detail=res.error, explainer=cr))
        for res, props in by_type.get(rule.resource, ()):
            if where is not None:
                w = where(props)
                if w is False:
                    if include_skipped:
                        append(Finding(rule, res, "skip", explainer=cr))
                    continue
                if w is not True:
                    append(
                        Finding(
                            rule,
                            res,
                            "error" if w is ERROR else "unknown",
                            detail="scope" if w is None else "a scope value could not be read",
                            explainer=cr,
                        )
                    )
                    continue
            r = check(props)
            if r is True:
                append(Finding(rule, res, "pass", explainer=cr))
            elif r is False:
                append(Finding(rule, res, "fail", explainer=cr))
            elif r is ERROR:
                append(Finding(rule, res, "error", detail=_error_detail(cr, props), explainer=cr))
            else:
                append(Finding(rule, res, "unknown", explainer=cr))
        for err in errors:
            if err.resource_type == rule.resource:
                scope = {
                    "type": rule.resource,
                    "id": f"{err.service}:{err.region or '*'}:*",
                    "name": f"all {rule.resource} in {err.region or 'every region'}",
                    "source": err.source,
                    "account": err.account,
                    "region": err.region,
                }
                append(Finding(rule, scope, "error", detail=err.message, explainer=cr))
    return findings


@lru_cache(maxsize=1)
def _builtin_types() -> dict:
    return schemas.type_schemas()


def _error_detail(cr: CompiledRule, props) -> str:
    for k in cr.keys:
        v = lookup(props, k)
        if type(v) is dict and ERROR_KEY in v:
            return f"{k}: {v[ERROR_KEY]}"
    return "a value could not be read"


# ---------------------------------------------------------------------------------------
# waivers


def apply_waivers(findings: list[Finding], waivers: list[Waiver]) -> list[Finding]:
    """The findings with fail/unknown ones that match an unexpired waiver waived; expired
    waivers are attached so the report shows the waiver lapsed (the finding keeps its real
    status). Findings are immutable: matched ones are replaced by changed copies."""
    if not waivers:
        return list(findings)
    out = []
    for f in findings:
        if f.status in ("fail", "unknown"):
            f = _waive(f, waivers)
        out.append(f)
    return out


def _waive(f: Finding, waivers: list[Waiver]) -> Finding:
    ref = f.resource_ref
    attached = None
    for w in waivers:
        if fnmatch.fnmatchcase(f.rule.id, w.rule) and (
            fnmatch.fnmatchcase(str(ref.get("id")), w.resource) or fnmatch.fnmatchcase(str(ref.get("name")), w.resource)
        ):
            attached = w
            if not w.expired:
                return f.replace(status="waived", waiver=w)
    return f.replace(waiver=attached) if attached else f


def expected_leaves(cond: dict, params: dict) -> list[dict]:
    """The leaf conditions of an assertion with parameters bound, in order."""
    if not cond:
        return []
    for op in ("all", "any"):
        if op in cond:
            return [leaf for part in cond[op] for leaf in expected_leaves(part, params)]
    if "not" in cond:
        return [dict(leaf, negated=not leaf.get("negated", False)) for leaf in expected_leaves(cond["not"], params)]
    value = resolve_params(cond.get("value"), params)
    if cond.get("op") in ("every", "some") and isinstance(value, dict):
        return [{"key": cond["key"], "op": cond["op"], "value": expected_leaves(value, params)}]
    return [{"key": cond.get("key"), "op": cond.get("op"), "value": value}]
