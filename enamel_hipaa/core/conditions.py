"""Conditions compiled into closures returning one of four values: True (holds), False
(does not hold), None (unknown: a needed value is missing, null, secret or not knowable)
and ERROR (the source failed to read a needed value). `all`/`any`/`not` combine them with
Kleene logic, so an unknown value can never make a rule pass: `all` is False if any part is
False, else ERROR/None if any part is, else True."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Callable

from enamel_hipaa.core.model import ERROR_KEY, UNKNOWN_KEY
from enamel_hipaa.core.operators import OPERATORS, PREPARE, QUANTIFIERS
from enamel_hipaa.core.values import ERROR, MISSING, _getter, _marker, format_value

PARAM_RE = re.compile(r"^\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}$")
Check = Callable[[object], object]


def _list_marker(items: list):
    """True if no element is a marker; else ERROR (an element could not be read) or None."""
    found = True
    for x in items:
        if type(x) is dict and (UNKNOWN_KEY in x or ERROR_KEY in x):
            if ERROR_KEY in x:
                return ERROR
            found = None
    return found


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
        if type(v) is list:  # a list with an unreadable element cannot be judged as a whole
            m = _list_marker(v)
            if m is not True:
                return m
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
        if (type(v) is bool) is not is_bool or (not is_bool and type(v) is not str):
            return None  # another kind than expected: no coercion, no answer
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
            return None  # another kind than the listed strings: no answer
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


def _paren(cond, params):
    s = describe(cond, params)
    return f"({s})" if ("all" in cond or "any" in cond) and " " in s else s


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
