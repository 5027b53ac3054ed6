"""Rule assertions in plain words, for people who never read a rule file: "Block public
policy (public access block) is on" rather than "public_access_block.block_public_policy eq
true". Used by the HTML report and the terminal; the JSON report keeps the exact form."""

from __future__ import annotations

from enamel_hipaa.core.engine import MISSING, resolve_params
from enamel_hipaa.core.model import ERROR_KEY, UNKNOWN_KEY


def key_words(key: str) -> str:
    """`public_access_block.block_public_policy` -> `block public policy (public access block)`."""
    parts = [p.replace("_", " ").strip() for p in str(key).split(".") if p.strip()]
    if not parts:
        return str(key)
    if len(parts) == 1:
        return parts[0]
    return f"{parts[-1]} ({' '.join(parts[:-1])})"


def value_words(v) -> str:
    if v is MISSING or v is None:
        return "not set"
    if isinstance(v, bool):
        return "on" if v else "off"
    if isinstance(v, dict):
        if UNKNOWN_KEY in v:
            return f"unknown ({v[UNKNOWN_KEY]})"
        if ERROR_KEY in v:
            return f"unreadable ({v[ERROR_KEY]})"
        return ", ".join(f"{key_words(k)} {value_words(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        if not v:
            return "nothing"
        return ", ".join(value_words(x) for x in v)
    if isinstance(v, str):
        return f"“{v}”"
    return str(v)


def _days(v) -> str:
    return f"{v} day" if v == 1 else f"{v} days"


def _list_words(v) -> str:
    items = [value_words(x) for x in (v if isinstance(v, (list, tuple)) else [v])]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


_OPS = {
    "eq": lambda k, v: f"{k} is {value_words(v)}",
    "ne": lambda k, v: f"{k} is not {value_words(v)}",
    "in": lambda k, v: f"{k} is {_list_words(v)}",
    "not_in": lambda k, v: f"{k} is not {_list_words(v)}",
    "gt": lambda k, v: f"{k} is more than {value_words(v)}",
    "gte": lambda k, v: f"{k} is at least {value_words(v)}",
    "lt": lambda k, v: f"{k} is less than {value_words(v)}",
    "lte": lambda k, v: f"{k} is at most {value_words(v)}",
    "contains": lambda k, v: f"{k} includes {value_words(v)}",
    "regex": lambda k, v: f"{k} matches the pattern {value_words(v)}",
    "empty": lambda k, v: f"{k} is empty" if v in (None, True) else f"{k} is not empty",
    "version_gte": lambda k, v: f"{k} is version {v} or later",
    "version_lt": lambda k, v: f"{k} is older than version {v}",
    "age_days_lte": lambda k, v: f"{k} is at most {_days(v)} old",
    "age_days_gt": lambda k, v: f"{k} is more than {_days(v)} old",
    "cidr_is_public": lambda k, v: f"{k} is {'' if v in (None, True) else 'not '}a public network range",
    "range_overlaps": lambda k, v: f"{k} overlaps ports {value_words(v)}",
    "absent": lambda k, v: f"{k} is not set",
    "present": lambda k, v: f"{k} is set",
}


def expected_words(cond: dict | None, params: dict | None = None) -> str:
    """The condition a resource must meet, in words (operators never appear as syntax)."""
    if not cond:
        return ""
    params = params or {}
    if "all" in cond:
        return "; and ".join(_sub(c, params) for c in cond["all"])
    if "any" in cond:
        return "; or ".join(_sub(c, params) for c in cond["any"])
    if "not" in cond:
        return f"not ({expected_words(cond['not'], params)})"
    key, op = key_words(cond["key"]), cond["op"]
    value = resolve_params(cond.get("value"), params)
    if op == "every":
        return f"every entry of {key}: {expected_words(value, params)}"
    if op == "some":
        return f"at least one entry of {key}: {expected_words(value, params)}"
    words = _OPS.get(op)
    return words(key, value) if words else f"{key} {op.replace('_', ' ')} {value_words(value)}"


def _sub(cond: dict, params: dict) -> str:
    s = expected_words(cond, params)
    return f"({s})" if ("all" in cond or "any" in cond) else s


def observed(f: dict) -> str:
    """What was seen: the finding's structured `observed` (Finding.observed). A report written
    before findings carried it (an old history entry) shows its whole message, never a parse
    of it."""
    return f.get("observed") or f.get("message") or ""


def rule_expected(rule) -> str:
    """Plain expectation of a Rule (None-safe: findings mapped from other tools have no rule)."""
    if rule is None:
        return ""
    return expected_words(rule.assertion, rule.params)
