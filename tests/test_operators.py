"""Every operator, including with absent / null / unknown / errored inputs: never a pass."""

from datetime import datetime, timezone

import pytest

from enamel_hipaa.core.engine import ERROR, compile_condition
from enamel_hipaa.core.operators import ALL_OPERATORS, OPERATORS, parse_version

NOW = datetime(2026, 11, 24, tzinfo=timezone.utc)

# operator -> (expected value, a value that holds, a value that does not)
TABLE = {
    "eq": ("x", "x", "y"),
    "ne": ("x", "y", "x"),
    "in": (["a", "b"], "a", "c"),
    "not_in": (["a", "b"], "c", "a"),
    "gt": (5, 6, 5),
    "gte": (5, 5, 4),
    "lt": (5, 4, 5),
    "lte": (5, 5, 6),
    "contains": ("TLSv1.3", ["TLSv1.2", "TLSv1.3"], ["TLSv1"]),
    "regex": ("^alias/phi-", "alias/phi-main", "alias/other"),
    "empty": (True, [], ["x"]),
    "version_gte": ("1.2", "TLSv1.3", "TLSv1.1"),
    "version_lt": ("1.2", "SSLv3", "TLS1_2"),
    "age_days_lte": (90, "2026-11-01", "2026-01-01T00:00:00Z"),
    "age_days_gt": (365, "2020-01-01", "2026-11-01"),
    "days_left_gte": (30, "2027-01-01T00:00:00Z", "2026-12-01"),
    "cidr_is_public": (True, "0.0.0.0/0", "10.1.0.0/16"),
    "range_overlaps": ([22, "2761-2762"], {"from": 0, "to": 100}, {"from": 443, "to": 443}),
    "range_within": ([80, 443], {"from": 443, "to": 443}, {"from": 80, "to": 443}),
    "present": (None, "anything", None),
    "absent": (None, None, "anything"),
    "every": ({"key": "@", "op": "eq", "value": 1}, [1, 1], [1, 2]),
    "some": ({"key": "@", "op": "eq", "value": 1}, [2, 1], [2, 3]),
}


def run(op, expected, props):
    leaf = {"key": "v", "op": op}
    if op not in ("present", "absent"):
        leaf["value"] = expected
    return compile_condition(leaf, {}, NOW)(props)


def test_table_covers_every_operator():
    assert set(TABLE) == set(ALL_OPERATORS)


@pytest.mark.parametrize("op", sorted(TABLE))
def test_operator_holds_and_fails(op):
    expected, good, bad = TABLE[op]
    assert run(op, expected, {"v": good}) is True
    if op == "absent":
        assert run(op, expected, {"v": bad}) is False
    elif op == "present":
        assert run(op, expected, {}) is False
    else:
        assert run(op, expected, {"v": bad}) is False


@pytest.mark.parametrize("op", sorted(TABLE))
@pytest.mark.parametrize("case", ["absent_key", "null", "unknown_marker", "error_marker", "parent_unknown"])
def test_missing_or_unknown_never_passes(op, case):
    expected = TABLE[op][0]
    props = {
        "absent_key": {},
        "null": {"v": None},
        "unknown_marker": {"v": {"$unknown": "secret"}},
        "error_marker": {"v": {"$error": "AccessDenied"}},
        "parent_unknown": {"$unknown": "whole resource not readable"},
    }[case]
    r = run(op, expected, props)
    if op == "absent" and case in ("absent_key", "null"):
        assert r is True  # absence is exactly what `absent` asserts
        return
    assert r is not True, f"{op} passed on {case}"
    if case in ("unknown_marker", "parent_unknown"):
        assert r is None
    elif case == "error_marker":
        assert r is ERROR
    elif op == "present":
        assert r is False
    else:
        assert r is None  # a missing value is unknown, not a verdict


@pytest.mark.parametrize(
    "op",
    [
        "eq",
        "in",
        "gt",
        "gte",
        "lt",
        "lte",
        "version_gte",
        "age_days_lte",
        "days_left_gte",
        "cidr_is_public",
        "range_overlaps",
        "range_within",
        "regex",
        "contains",
        "empty",
    ],
)
def test_wrong_type_is_unknown_not_pass(op):
    expected = TABLE[op][0]
    odd = {
        "eq": 1,
        "in": True,
        "gt": "6",
        "gte": True,
        "lt": "1",
        "lte": [1],
        "version_gte": "banana",
        "age_days_lte": "not a date",
        "days_left_gte": "not a date",
        "cidr_is_public": "999.1.1.1/8",
        "range_overlaps": "22",
        "range_within": 443,
        "regex": 12,
        "contains": 5,
        "empty": 3,
    }[op]
    r = run(op, expected, {"v": odd})
    assert r is None  # no coercion: another JSON kind is no answer at all


def test_true_is_not_one_and_the_comparison_is_unknown():
    assert run("eq", 1, {"v": True}) is None
    assert run("in", [1, 2], {"v": True}) is None


@pytest.mark.parametrize(
    "op,expected,odd",
    [
        ("ne", "none", False),
        ("ne", "none", 12),
        ("not_in", ["TLSv1", "TLSv1.1"], 12),
        ("not_in", ["a"], False),
        ("ne", 1, "1"),
        ("version_gte", "1.2", 12),
        ("version_gte", "1.2", 1.3),
        ("gte", 2190, float("inf")),
        ("lte", 5, float("-inf")),
        ("gte", 1, float("nan")),
        ("empty", True, False),
        ("empty", True, 0),
    ],
)
def test_wrong_kind_or_non_finite_value_is_unknown_never_pass(op, expected, odd):
    assert run(op, expected, {"v": odd}) is None


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1.2", (1, 2)),
        ("TLSv1.2", (1, 2)),
        ("TLS1_2", (1, 2)),
        ("TLS 1.3", (1, 3)),
        ("SSLv3", (0, 3)),
        ("TLSv1", (1, 0)),
        ("1.0", (1, 0)),
        ("TLS1_0", (1, 0)),
    ],
)
def test_parse_version(text, expected):
    assert parse_version(text) == expected


def test_ssl_is_below_tls():
    assert run("version_gte", "1.0", {"v": "SSLv3"}) is False


def test_every_on_empty_list_holds_some_does_not():
    assert run("every", TABLE["every"][0], {"v": []}) is True
    assert run("some", TABLE["some"][0], {"v": []}) is False


def test_every_with_one_unknown_element_is_unknown():
    assert run("every", TABLE["every"][0], {"v": [1, {"$unknown": "x"}]}) is None
    assert run("every", TABLE["every"][0], {"v": [{"$unknown": "x"}, 1]}) is None
    assert run("every", TABLE["every"][0], {"v": [1, {"$unknown": "x"}, 2]}) is False
    assert run("every", TABLE["every"][0], {"v": [{"$error": "x"}, {"$unknown": "y"}, 1]}) is ERROR


def test_some_with_unknown_and_no_match_is_unknown():
    assert run("some", TABLE["some"][0], {"v": [{"$unknown": "x"}, 2]}) is None
    assert run("some", TABLE["some"][0], {"v": [2, {"$unknown": "x"}, 1]}) is True


def test_kleene_logic():
    f = lambda c: compile_condition(c, {}, NOW)  # noqa: E731
    unknown = {"key": "u", "op": "eq", "value": 1}
    true = {"key": "t", "op": "eq", "value": 1}
    false = {"key": "t", "op": "eq", "value": 2}
    props = {"t": 1}
    assert f({"all": [true, unknown]})(props) is None
    assert f({"all": [false, unknown]})(props) is False
    assert f({"any": [true, unknown]})(props) is True
    assert f({"any": [false, unknown]})(props) is None
    assert f({"not": unknown})(props) is None
    assert f({"not": false})(props) is True


def test_operators_are_plain_functions():
    assert all(callable(fn) for fn in OPERATORS.values())
