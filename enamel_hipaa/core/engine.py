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
from collections import defaultdict
from datetime import datetime, timezone
from typing import Callable, Iterable

from enamel_hipaa.core import datascope
from enamel_hipaa.core.model import ERROR_KEY, UNKNOWN_KEY, CollectionError, Finding, Resource, Rule, Waiver
from enamel_hipaa.core.operators import OPERATORS, PREPARE, QUANTIFIERS

ERROR = "error"  # the fourth truth value (a string so it prints well; compared by identity)
MISSING = object()
PARAM_RE = re.compile(r"^\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}$")
Check = Callable[[object], object]


def _getter(key: str):
    """A fast getter for a dotted key. Markers ({"$unknown"|"$error": ...}) hold no ordinary
    keys, so a lookup that misses is the only place we need to look for one."""
    if key == "@":
        return lambda obj: obj
    parts = tuple(key.split("."))

    def step(obj, p):
        v = obj.get(p, MISSING)
        if v is MISSING and (UNKNOWN_KEY in obj or ERROR_KEY in obj):
            return obj
        return v

    if len(parts) == 1:
        (k,) = parts

        def get1(obj):
            if type(obj) is not dict:
                return MISSING
            return step(obj, k)
        return get1
    if len(parts) == 2:
        a, b = parts

        def get2(obj):
            if type(obj) is not dict:
                return MISSING
            v = obj.get(a, MISSING)
            if type(v) is not dict:
                if v is MISSING and (UNKNOWN_KEY in obj or ERROR_KEY in obj):
                    return obj
                return MISSING
            w = v.get(b, MISSING)
            if w is MISSING and (UNKNOWN_KEY in v or ERROR_KEY in v):
                return v
            return w
        return get2

    def get(obj):
        for p in parts:
            if type(obj) is not dict:
                return MISSING
            obj = step(obj, p)
            if obj is MISSING:
                return MISSING
            if type(obj) is dict and (UNKNOWN_KEY in obj or ERROR_KEY in obj):
                return obj
        return obj
    return get


def lookup(props, key: str):
    """Public helper: the value at dotted `key`, or MISSING."""
    return _getter(key)(props)


def _marker(v):
    """None if v is a plain value; else the truth value its marker stands for."""
    if type(v) is dict:
        if ERROR_KEY in v:
            return ERROR
        if UNKNOWN_KEY in v:
            return None
    return True


def resolve_params(value, params: dict):
    if isinstance(value, str):
        m = PARAM_RE.match(value)
        if m:
            return params[m.group(1)]
        return value
    if isinstance(value, list):
        return [resolve_params(v, params) for v in value]
    if isinstance(value, dict):
        return {k: resolve_params(v, params) for k, v in value.items()}
    return value


def compile_condition(cond: dict, params: dict, now: datetime, missing=None) -> Check:
    """`missing` is what a leaf yields for a missing or null value: None (unknown) in an
    assertion; False in a `where` scope, where an absent tag means "not in scope" (a value
    the source could not read is still unknown there)."""
    if "all" in cond:
        return _combine([compile_condition(c, params, now, missing) for c in cond["all"]], False)
    if "any" in cond:
        return _combine([compile_condition(c, params, now, missing) for c in cond["any"]], True)
    if "not" in cond:
        inner = compile_condition(cond["not"], params, now, missing)

        def neg(obj):
            r = inner(obj)
            if r is True:
                return False
            if r is False:
                return True
            return r
        return neg
    return _leaf(cond, params, now, missing)


def _fold(results, short: bool):
    """all (short=False) / any (short=True) in Kleene logic: the short-circuit value wins;
    otherwise ERROR, then unknown (None), then the neutral value."""
    neutral = not short
    res = neutral
    for r in results:
        if r is short:
            return short
        if r is not neutral and res is not ERROR:
            res = r
    return res


def _combine(parts: list[Check], short: bool) -> Check:
    def combined(obj):
        return _fold(map(lambda p: p(obj), parts), short)
    return combined


def _leaf(cond: dict, params: dict, now: datetime, missing) -> Check:
    key, op = cond["key"], cond["op"]
    get = _getter(key)
    expected = resolve_params(cond.get("value"), params)

    if op in ("absent", "present"):
        when_absent = op == "absent"

        def presence(obj):
            v = get(obj)
            if v is MISSING or v is None:
                return when_absent
            m = _marker(v)
            if m is not True:
                return m
            return not when_absent
        return presence

    if op in QUANTIFIERS:
        sub = compile_condition(expected, params, now, missing)
        return _quantifier(get, sub, missing, short=(op == "some"))

    if op in ("eq", "ne") and isinstance(expected, (str, bool)):
        return _fast_equality(get, expected, op == "eq", missing)
    if op in ("in", "not_in") and isinstance(expected, list) and all(type(x) is str for x in expected):
        return _fast_membership(get, frozenset(expected), op == "in", missing)
    fn = OPERATORS[op]
    prep = PREPARE.get(op)
    if prep is not None:
        expected = prep(expected, now)

    def leaf(obj):
        v = get(obj)
        if v is MISSING or v is None:
            return missing
        if type(v) is dict and (UNKNOWN_KEY in v or ERROR_KEY in v):
            return ERROR if ERROR_KEY in v else None
        try:
            return fn(v, expected)
        except (TypeError, ValueError, AttributeError, KeyError):
            return None
    return leaf


def _fast_equality(get, expected, want: bool, missing) -> Check:
    """eq/ne against a string or boolean: identity for booleans (True is not 1), == for
    strings (no other JSON type equals a string)."""
    is_bool = type(expected) is bool

    def eq(obj):
        v = get(obj)
        if v is MISSING or v is None:
            return missing
        if type(v) is dict and (UNKNOWN_KEY in v or ERROR_KEY in v):
            return ERROR if ERROR_KEY in v else None
        same = (v is expected) if is_bool else (v == expected)
        return same if want else not same
    return eq


def _fast_membership(get, allowed: frozenset, want: bool, missing) -> Check:
    """in/not_in against a list of strings: a set lookup (only a string can equal a string)."""
    def member(obj):
        v = get(obj)
        if v is MISSING or v is None:
            return missing
        if type(v) is dict and (UNKNOWN_KEY in v or ERROR_KEY in v):
            return ERROR if ERROR_KEY in v else None
        if type(v) is not str:
            return False if want else True
        return (v in allowed) is want
    return member


def _quantifier(get, sub: Check, missing, short: bool) -> Check:
    """every (short=False: stops at the first False) / some (short=True: stops at the first
    True), with the same Kleene folding as all/any."""
    def quantified(obj):
        v = get(obj)
        if type(v) is not list:
            if type(v) is dict:
                m = _marker(v)
                return None if m is True else m
            return missing if v is MISSING or v is None else None
        return _fold(map(sub, v), short)
    return quantified


# ---------------------------------------------------------------------------------------
# describing conditions in words, for messages

def describe(cond: dict, params: dict) -> str:
    if "all" in cond:
        return " and ".join(_paren(c, params) for c in cond["all"])
    if "any" in cond:
        return " or ".join(_paren(c, params) for c in cond["any"])
    if "not" in cond:
        return "not " + _paren(cond["not"], params)
    key, op = cond["key"], cond["op"]
    value = resolve_params(cond.get("value"), params)
    if op in ("absent", "present"):
        return f"{key} {op}"
    if op in QUANTIFIERS:
        return f"{op} {key}: {describe(value, params)}"
    if op == "empty" and value in (None, True):
        return f"{key} is empty"
    if op == "empty":
        return f"{key} is not empty"
    if op == "cidr_is_public":
        return f"{key} is {'' if value in (None, True) else 'not '}a public CIDR"
    return f"{key} {op} {format_value(value)}"


def failed_conditions(cond: dict, params: dict, now: datetime, props) -> list[str]:
    """The parts of a bundled assertion that do not hold on `props`, from the engine's own
    evaluation: each member of an `all` that evaluates False (recursing into nested `all`);
    any other condition is named whole."""
    if "all" in cond:
        out: list[str] = []
        for c in cond["all"]:
            if compile_condition(c, params, now)(props) is False:
                out.extend(failed_conditions(c, params, now, props))
        return out
    return [describe(cond, params)]


def _paren(cond, params):
    s = describe(cond, params)
    return f"({s})" if ("all" in cond or "any" in cond) and " " in s else s


def format_value(v) -> str:
    if v is MISSING or v is None:
        return "(not set)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        if UNKNOWN_KEY in v:
            return f"(unknown: {v[UNKNOWN_KEY]})"
        if ERROR_KEY in v:
            return f"(error: {v[ERROR_KEY]})"
    if isinstance(v, list):
        return "[" + ", ".join(format_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {format_value(x)}" for k, x in v.items()) + "}"
    return str(v)


# ---------------------------------------------------------------------------------------

def _quantified(cond: dict, op: str):
    if "all" in cond or "any" in cond:
        for c in cond.get("all") or cond.get("any"):
            yield from _quantified(c, op)
    elif "not" in cond:
        yield from _quantified(cond["not"], op)
    elif cond.get("op") == op:
        yield cond


def leaf_keys(cond: dict) -> list[str]:
    """Top-level keys a condition reads (the list key for every/some)."""
    if "all" in cond or "any" in cond:
        out: list[str] = []
        for c in cond.get("all") or cond.get("any"):
            out.extend(k for k in leaf_keys(c) if k not in out)
        return out
    if "not" in cond:
        return leaf_keys(cond["not"])
    return [cond["key"]]


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
            failed = failed_conditions(rule.assertion, self.params, self.now, resource.properties) \
                if isinstance(resource, Resource) else []
            if failed and "all" in rule.assertion:
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


def evaluate(rules: Iterable[Rule], resources: Iterable[Resource], params: dict | None = None,
             errors: Iterable[CollectionError] = (), now: datetime | None = None,
             include_skipped: bool = True) -> list[Finding]:
    """Evaluate every rule against every resource of its type.

    `params` has the shape of a params file: {"params": {name: value}, "rules": {id: {name: value}}}.
    `errors` are collection failures: each with a resource_type gives an `error` finding per
    rule on that type, so a denied service can never look like a clean one.
    """
    now = now or datetime.now(timezone.utc)
    by_type: dict[str, list[tuple[Resource, dict]]] = defaultdict(list)
    failed: dict[str, list[Resource]] = defaultdict(list)
    scope = datascope.settings(params)
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
                    append(Finding(rule, res, "error" if w is ERROR else "unknown",
                                   detail="scope" if w is None else "a scope value could not be read",
                                   explainer=cr))
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
                scope = {"type": rule.resource, "id": f"{err.service}:{err.region or '*'}:*",
                         "name": f"all {rule.resource} in {err.region or 'every region'}",
                         "source": err.source, "account": err.account, "region": err.region}
                append(Finding(rule, scope, "error", detail=err.message, explainer=cr))
    for f in findings:  # a resource read from a config file points its findings at it (SARIF)
        loc = f.resource.properties.get("location") if isinstance(f.resource, Resource) else None
        if isinstance(loc, dict) and isinstance(loc.get("path"), str) and isinstance(loc.get("line"), int):
            f.location = {"path": loc["path"], "start_line": max(1, loc["line"])}
    return findings


def _error_detail(cr: CompiledRule, props) -> str:
    for k in cr.keys:
        v = lookup(props, k)
        if type(v) is dict and ERROR_KEY in v:
            return f"{k}: {v[ERROR_KEY]}"
    return "a value could not be read"


# ---------------------------------------------------------------------------------------
# waivers

def apply_waivers(findings: list[Finding], waivers: list[Waiver]) -> None:
    """Waive fail/unknown findings that match an unexpired waiver; attach expired ones so
    the report shows the waiver lapsed (the finding keeps its real status)."""
    if not waivers:
        return
    for f in findings:
        if f.status not in ("fail", "unknown"):
            continue
        ref = f.resource_ref
        for w in waivers:
            if fnmatch.fnmatchcase(f.rule.id, w.rule) and (
                    fnmatch.fnmatchcase(str(ref.get("id")), w.resource)
                    or fnmatch.fnmatchcase(str(ref.get("name")), w.resource)):
                f.waiver = w
                if not w.expired:
                    _ = f.message  # explain the real outcome before the status changes
                    f.status = "waived"
                    break
