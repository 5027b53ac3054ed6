"""Types are enforced where resources enter the engine (issue 20).

A property test over EVERY shipped rule: a compliant base resource (tests/rule_cases/_base)
with a wrong-typed value or a malformed marker planted at any key the rule reads (or at a
parent of it, or inside a list it quantifies over) never yields `pass`, unless the rule
passes even when that value is known to be unreadable (`any` with another branch that
holds: Kleene logic, an `$error` there is no better and no worse); from a resources file
the same resource is exit 2 naming the file and the JSON pointer.
"""

import copy
import json
import math
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enamel_hipaa.core import schemas, typecheck
from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.model import Resource
from enamel_hipaa.sources.resources_file import read
from conftest import shipped_rules

CASES = Path(__file__).parent / "rule_cases"
NOW = datetime(2026, 11, 24, tzinfo=timezone.utc)
RULES = shipped_rules().rules
TYPES = schemas.type_schemas()
BASES = {p.stem: yaml.safe_load(p.read_text()) for p in (CASES / "_base").glob("*.yaml")}

# values of the wrong JSON kind for most keys, and markers that are not well formed
WRONG = [
    False,
    True,
    0,
    12,
    -1,
    1.5,
    "",
    "x",
    "TLSv1.2",
    [],
    [""],
    [12],
    {},
    {"a": 1},
    float("inf"),
    float("-inf"),
    float("nan"),
]
MALFORMED = [
    {"$error": "denied", "enabled": True},
    {"$unknown": "computed", "status": "Enabled"},
    {"$unknown": 1},
    {"$error": None},
    {"$unknown": "a", "$error": "b"},
    {"$error": ["x"]},
    [{"$error": "denied", "grantee": "x"}],
    [{"$unknown": 5}],
]
MARKERS_IN_LISTS = [[{"$error": "denied"}], [{"$unknown": "computed"}], ["x", {"$error": "denied"}]]


def _read_paths(cond: dict, prefix: tuple = ()) -> list[tuple]:
    """Every property path a condition reads, with its parents; `every`/`some` contribute
    the list, its first element and the keys read inside the element."""
    if "all" in cond or "any" in cond:
        return [p for c in cond.get("all") or cond.get("any") for p in _read_paths(c, prefix)]
    if "not" in cond:
        return _read_paths(cond["not"], prefix)
    key = cond["key"]
    parts = prefix if key == "@" else prefix + tuple(key.split("."))
    out = [parts[:i] for i in range(1, len(parts) + 1)]
    if cond["op"] in ("every", "some") and isinstance(cond.get("value"), dict):
        out.append(parts + (0,))
        out.extend(_read_paths(cond["value"], parts + (0,)))
    return [p for p in out if p]


def _plant(props: dict, path: tuple, value) -> dict:
    props = copy.deepcopy(props)
    node = props
    for i, p in enumerate(path[:-1]):
        nxt = path[i + 1]
        if isinstance(p, int):
            if not isinstance(node, list):
                return props
            if not node:
                node.append({} if not isinstance(nxt, int) else [])
            child = node[0]
        else:
            child = node.get(p)
        want = list if isinstance(nxt, int) else dict
        if not isinstance(child, want) or typecheck.is_marker(child):
            child = want()
            if isinstance(p, int):
                node[0] = child
            else:
                node[p] = child
        node = child
    last = path[-1]
    if isinstance(last, int):
        if isinstance(node, list):
            if node:
                node[0] = value
            else:
                node.append(value)
    else:
        node[last] = value
    return props


TARGETS = [
    (rule, path)
    for rule in RULES
    if rule.resource in BASES
    for path in dict.fromkeys(_read_paths(rule.assertion) + (_read_paths(rule.where) if rule.where else []))
]


def test_every_rule_has_keys_to_attack():
    assert {r.id for r, _ in TARGETS} == {r.id for r in RULES if r.resource in BASES}
    assert {r.resource for r in RULES} <= set(BASES)


def _status(rule, props) -> str:
    res = Resource(type=rule.resource, id="r", name="r", source="live", properties=props)
    (finding,) = [f for f in evaluate([rule], [res], now=NOW) if f.status != "skip"] or [None]
    return finding.status if finding else "skip"


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(target=st.sampled_from(TARGETS), bad=st.sampled_from(WRONG + MALFORMED + MARKERS_IN_LISTS))
def test_wrong_type_or_malformed_marker_at_a_read_key_never_passes(target, bad):
    rule, path = target
    props = _plant(BASES[rule.resource], path, bad)
    if not typecheck.problems(props, TYPES[rule.resource]) and not any(
        isinstance(b, dict) and ("$error" in b or "$unknown" in b) for b in (bad if isinstance(bad, list) else [bad])
    ):
        return  # the planted value happens to be well typed there: a legitimate answer
    assert _status(rule, props) != "pass" or _passes_without(rule, path), (rule.id, path, bad)


def _passes_without(rule, path) -> bool:
    """The rule passes even with the value at `path` unreadable: its verdict does not hang on it."""
    return _status(rule, _plant(BASES[rule.resource], path, {"$error": "probe"})) == "pass"


def test_every_rule_and_every_read_key_with_every_hostile_value_never_passes():
    """The exhaustive version of the property above (every target x every value)."""
    passed = []
    for rule, path in TARGETS:
        for bad in WRONG + MALFORMED + MARKERS_IN_LISTS:
            props = _plant(BASES[rule.resource], path, bad)
            ill_typed = bool(typecheck.problems(props, TYPES[rule.resource]))
            marker = "$error" in json.dumps(bad, default=str) or "$unknown" in json.dumps(bad, default=str)
            if (ill_typed or marker) and _status(rule, props) == "pass" and not _passes_without(rule, path):
                passed.append((rule.id, path, bad))
    assert passed == []


@pytest.mark.parametrize(
    "path,bad",
    [
        (("encryption", "kms_key_id"), False),  # false is not a key id
        (("policy", "min_tls_version"), 12),  # 12 is not a version string
        (("acl", "public_grants"), ""),  # "" is not a list of grants
        (("object_lock", "retention_days"), float("inf")),
        (("object_lock",), {"$error": "denied", "enabled": True}),
        (("acl", "public_grants", 0), {"$error": 3}),
    ],
)
def test_issue_examples_from_a_collector_become_error_markers(path, bad):
    props = _plant(BASES["aws.s3_bucket"], path, bad)
    res = Resource(type="aws.s3_bucket", id="b", name="b", source="live", properties=props)
    (out,) = typecheck.enforce([res], TYPES)
    node = out.properties
    for p in path:
        node = node[p]
    assert set(node) == {"$error"} and typecheck.pointer(path) in node["$error"]
    readers = [r for r, p in TARGETS if r.resource == "aws.s3_bucket" and p == path[: len(p)] and len(p) <= 2]
    assert readers
    for rule in readers:
        assert _status(rule, props) != "pass" or _passes_without(rule, path), rule.id


def test_marker_with_extra_keys_is_malformed():
    assert typecheck.problems({"object_lock": {"$error": "denied", "enabled": True}}, TYPES["aws.s3_bucket"])
    assert typecheck.problems({"acl": {"public_grants": [{"$error": 3}]}}, TYPES["aws.s3_bucket"])
    assert not typecheck.problems({"object_lock": {"$error": "denied"}}, TYPES["aws.s3_bucket"])
    assert not typecheck.problems({"acl": {"public_grants": [{"$unknown": "computed"}]}}, TYPES["aws.s3_bucket"])


def test_non_finite_number_is_a_problem():
    ((path, msg),) = typecheck.problems({"lifecycle": {"x": math.inf}}, None)
    assert path == ("lifecycle", "x") and "finite" in msg


def _write(tmp_path, props, suffix=".json"):
    doc = {"resources": [{"type": "aws.s3_bucket", "id": "b", "source": "live", "properties": props}]}
    p = tmp_path / f"r{suffix}"
    p.write_text(json.dumps(doc) if suffix == ".json" else yaml.safe_dump(doc))
    return p


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
@pytest.mark.parametrize(
    "mutate,pointer",
    [
        (lambda b: b["encryption"].__setitem__("kms_key_id", False), "/resources/0/properties/encryption/kms_key_id"),
        (lambda b: b["acl"].__setitem__("public_grants", ""), "/resources/0/properties/acl/public_grants"),
        (
            lambda b: b.__setitem__("object_lock", {"$error": "x", "enabled": True}),
            "/resources/0/properties/object_lock",
        ),
        (
            lambda b: b["acl"].__setitem__("public_grants", [{"$error": "x", "grantee": "AllUsers"}]),
            "/resources/0/properties/acl/public_grants/0",
        ),
        (
            lambda b: b["object_lock"].__setitem__("retention_days", float("inf")),
            "/resources/0/properties/object_lock/retention_days",
        ),
    ],
)
def test_ill_typed_resources_file_is_an_input_error_naming_file_and_pointer(tmp_path, suffix, mutate, pointer):
    base = copy.deepcopy(BASES["aws.s3_bucket"])
    mutate(base)
    p = _write(tmp_path, base, suffix)
    with pytest.raises(InputError) as ei:
        read(str(p))
    text = str(ei.value)
    assert str(p) in text
    if suffix == ".json" and "inf" in pointer + text.lower() and "retention_days" in pointer:
        assert "Infinity is not a JSON number" in text  # refused by the JSON reader itself
    else:
        assert pointer in text


def test_well_typed_resources_file_reads(tmp_path):
    p = _write(tmp_path, copy.deepcopy(BASES["aws.s3_bucket"]))
    assert len(read(str(p)).resources) == 1
