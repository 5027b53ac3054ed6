"""The operator table: plain functions `op(observed, expected) -> bool`.

The engine never calls an operator with a missing, null, unknown or errored value
(those yield `unknown`/`error` before the call), except the presence operators
`absent` and `present`, which the engine answers itself. An operator that raises
TypeError or ValueError (e.g. comparing a string with a number) yields `unknown`.

`PREPARE` turns a rule's expected value into the form its operator wants, once, when
rules are compiled (a regex is compiled, a TLS version parsed, ...).
"""

from __future__ import annotations

import ipaddress
import math
import re
from functools import lru_cache
from datetime import date, datetime, timezone


def _kind(x) -> str:
    """The JSON kind of a value; operators never coerce between kinds."""
    t = type(x)
    if t is bool:
        return "boolean"
    if t is int or t is float:
        return "number"
    if t is str:
        return "string"
    if t is list:
        return "array"
    if t is dict:
        return "object"
    return t.__name__


def _same(a, b) -> bool:
    # JSON-typed equality: True is not 1, 1 is 1.0
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    return a == b


def _comparable(v, e):
    """A value of another kind than the expected one is not an answer (12 is not a
    version string, false is not an id): the comparison is unknown, never a pass."""
    if _kind(v) != _kind(e):
        raise TypeError(f"{_kind(v)} compared with {_kind(e)}")


def _num(x):
    if type(x) is bool or not isinstance(x, (int, float)):
        raise TypeError(f"not a number: {x!r}")
    if type(x) is float and not math.isfinite(x):
        raise ValueError(f"not a finite number: {x!r}")
    return x


def op_eq(v, e):
    _comparable(v, e)
    return _same(v, e)


def op_ne(v, e):
    _comparable(v, e)
    return not _same(v, e)


def _member(v, e) -> bool:
    if e and not any(_kind(v) == _kind(x) for x in e):
        raise TypeError(f"{_kind(v)} is not among the kinds listed")
    return any(_same(v, x) for x in e)


def op_in(v, e):
    return _member(v, e)


def op_not_in(v, e):
    return not _member(v, e)


def op_gt(v, e):
    return _num(v) > e


def op_gte(v, e):
    return _num(v) >= e


def op_lt(v, e):
    return _num(v) < e


def op_lte(v, e):
    return _num(v) <= e


def op_contains(v, e):
    if isinstance(v, str):
        if not isinstance(e, str):
            raise TypeError("substring must be a string")
        return e in v
    if isinstance(v, list):
        return any(_same(x, e) for x in v)
    if isinstance(v, dict):
        return e in v
    raise TypeError(f"cannot search in {type(v).__name__}")


def op_regex(v, e):
    if not isinstance(v, str):
        raise TypeError("regex needs a string")
    return e.search(v) is not None


def op_empty(v, e):
    if type(v) not in (list, dict, str):
        raise TypeError(f"{type(v).__name__} has no length")
    return (len(v) == 0) is e


_TLS_RE = re.compile(r"^(?:(ssl|tls)\s*v?\s*)?(\d+)(?:[._](\d+))?$", re.I)


@lru_cache(maxsize=1024)
def parse_version(text) -> tuple[int, int]:
    """'1.2', 'TLSv1.2', 'TLS1_2', 'TLS 1.3', 'SSLv3' -> comparable tuples; SSL ranks below TLS.
    Only a string is a version (an observed 12 or 1.2 is a wrong type, not TLS 1.2)."""
    if not isinstance(text, str):
        raise TypeError(f"not a version: {text!r}")
    s = text.strip().replace("TLS_", "TLS").replace("Tls", "TLS")
    m = _TLS_RE.match(s)
    if not m:
        raise ValueError(f"not a TLS version: {text!r}")
    family, major, minor = m.group(1), int(m.group(2)), int(m.group(3) or 0)
    if family and family.lower() == "ssl":
        return (0, major)
    return (1, minor) if major == 1 else (major, minor)


def op_version_gte(v, e):
    return parse_version(v) >= e


def op_version_lt(v, e):
    return parse_version(v) < e


def parse_date(v) -> datetime:
    if isinstance(v, datetime):
        d = v
    elif isinstance(v, date):
        d = datetime(v.year, v.month, v.day)
    elif isinstance(v, str):
        s = v.strip()
        if s.endswith("Z"):
            s = s[:-1] + "+00:00"
        d = datetime.fromisoformat(s)
    else:
        raise TypeError(f"not a date: {v!r}")
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return d


def _age_days(v, now: datetime) -> float:
    return (now - parse_date(v)).total_seconds() / 86400.0


def op_age_days_lte(v, e):
    days, now = e
    return _age_days(v, now) <= days


def op_age_days_gt(v, e):
    days, now = e
    return _age_days(v, now) > days


def op_days_left_gte(v, e):
    """observed date (an expiry) is at least `days` days after now (certificates, keys)."""
    days, now = e
    return -_age_days(v, now) >= days


_NOT_INTERNET = [
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
]


def is_public_cidr(v) -> bool:
    if not isinstance(v, str):
        raise TypeError("CIDR must be a string")
    net = ipaddress.ip_network(v.strip(), strict=False)
    if net.prefixlen == 0:
        return True
    return not any(net.version == p.version and net.subnet_of(p) for p in _NOT_INTERNET)


def op_cidr_is_public(v, e):
    return is_public_cidr(v) is e


def _port_set(e) -> list[tuple[int, int]]:
    out = []
    for x in e:
        if isinstance(x, str) and "-" in x:
            a, b = x.split("-", 1)
            out.append((int(a), int(b)))
        else:
            out.append((_num(x), _num(x)))
    return out


def op_range_overlaps(v, e):
    """observed {from, to} (a port range) overlaps any expected port or 'a-b' range."""
    lo, hi = _num(v["from"]), _num(v["to"])
    return any(a <= hi and lo <= b for a, b in e)


def op_range_within(v, e):
    """observed {from, to} (a port range) lies wholly inside one expected port or 'a-b' range."""
    lo, hi = _num(v["from"]), _num(v["to"])
    return any(a <= lo and hi <= b for a, b in e)


OPERATORS = {
    "eq": op_eq,
    "ne": op_ne,
    "in": op_in,
    "not_in": op_not_in,
    "gt": op_gt,
    "gte": op_gte,
    "lt": op_lt,
    "lte": op_lte,
    "contains": op_contains,
    "regex": op_regex,
    "empty": op_empty,
    "version_gte": op_version_gte,
    "version_lt": op_version_lt,
    "age_days_lte": op_age_days_lte,
    "age_days_gt": op_age_days_gt,
    "days_left_gte": op_days_left_gte,
    "cidr_is_public": op_cidr_is_public,
    "range_overlaps": op_range_overlaps,
    "range_within": op_range_within,
}
# Answered by the engine from presence alone (they are the only ones that see a missing value).
PRESENCE = {"absent", "present"}
# Take a condition as their value and apply it to each element of a list.
QUANTIFIERS = {"every", "some"}
ALL_OPERATORS = sorted(set(OPERATORS) | PRESENCE | QUANTIFIERS)


def _need_list(e):
    if not isinstance(e, list):
        raise ValueError("expects a list")
    return e


def _need_number(e):
    return _num(e)


def _need_bool(e):
    if type(e) is not bool:
        raise ValueError("expects true or false")
    return e


def _version_text(e):
    # a rule author may write `value: 1.2`; an observed value must be a string
    if isinstance(e, (int, float)) and type(e) is not bool:
        return str(e)
    return e


def _age(e, now):
    return (_num(e), now)


# Each takes (expected, now) and returns the prepared value, or raises ValueError/TypeError.
PREPARE = {
    "in": lambda e, now: _need_list(e),
    "not_in": lambda e, now: _need_list(e),
    "gt": lambda e, now: _need_number(e),
    "gte": lambda e, now: _need_number(e),
    "lt": lambda e, now: _need_number(e),
    "lte": lambda e, now: _need_number(e),
    "regex": lambda e, now: re.compile(e),
    "empty": lambda e, now: True if e is None else _need_bool(e),
    "version_gte": lambda e, now: parse_version(_version_text(e)),
    "version_lt": lambda e, now: parse_version(_version_text(e)),
    "age_days_lte": _age,
    "age_days_gt": _age,
    "days_left_gte": _age,
    "cidr_is_public": lambda e, now: True if e is None else _need_bool(e),
    "range_overlaps": lambda e, now: _port_set(_need_list(e)),
    "range_within": lambda e, now: _port_set(_need_list(e)),
}
