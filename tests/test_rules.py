"""Table-driven tests over every shipped rule: each has a pass and a fail case in
tests/rule_cases/<rule-id>.yaml, applied as overlays on a compliant resource of its type
(tests/rule_cases/_base/<type>.yaml)."""

import copy
import functools
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from enamel_hipaa.core import schemas
from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.core.model import Resource
from conftest import shipped_rules

CASES = Path(__file__).parent / "rule_cases"
NOW = datetime(2026, 11, 24, tzinfo=timezone.utc)
RULES = shipped_rules().rules


@functools.lru_cache(maxsize=None)
def read_yaml(path: Path):
    """A rule-case file, parsed once per session with libyaml (callers copy before changing)."""
    return yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _set(props: dict, dotted: str, value) -> None:
    parts = dotted.split(".")
    node = props
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


def build_props(rule_type: str, case: dict) -> dict:
    props = copy.deepcopy(read_yaml(CASES / "_base" / f"{rule_type}.yaml"))
    for k, v in (case.get("set") or {}).items():
        _set(props, k, v)
    return props


def cases():
    for rule in RULES:
        path = CASES / f"{rule.id}.yaml"
        data = read_yaml(path) if path.exists() else {}
        for status in ("pass", "fail", "skip", "unknown"):
            for case in data.get(status, []):
                yield pytest.param(rule, status, case, id=f"{rule.id}:{case['name']}")


def test_every_rule_has_a_pass_and_a_fail_case():
    missing = []
    for rule in RULES:
        path = CASES / f"{rule.id}.yaml"
        data = read_yaml(path) if path.exists() else {}
        if not data.get("pass") or not data.get("fail"):
            missing.append(rule.id)
    assert missing == [], f"rules without a pass and a fail case: {missing}"


def test_case_names_say_their_expected_outcome():
    for path in CASES.glob("*.yaml"):
        data = read_yaml(path)
        for status, items in data.items():
            for case in items:
                assert case["name"].startswith(status + "_"), (path.name, case["name"])


@pytest.mark.parametrize("rule,expected,case", list(cases()))
def test_rule_case(rule, expected, case):
    props = build_props(rule.resource, case)
    res = Resource(
        type=rule.resource,
        id=case["name"],
        name=case["name"],
        source="file",
        properties=props,
        account="111122223333",
        region="us-east-1",
    )
    (finding,) = evaluate([rule], [res], now=NOW)
    assert finding.status == expected, finding.message
    assert finding.message  # every finding explains itself
    if expected == "fail":
        assert "expected:" in finding.message or "failed:" in finding.message  # bundled: the parts that failed


def test_base_resources_are_schema_valid_and_compliant():
    """The compliant base of each type validates against its type schema and passes every rule."""
    types = schemas.type_schemas()
    for base in (CASES / "_base").glob("*.yaml"):
        props = copy.deepcopy(read_yaml(base))
        schema = types[base.stem]
        import jsonschema

        jsonschema.validate(props, schema)
        res = Resource(type=base.stem, id="base", name="base", source="file", properties=props)
        bad = [(f.rule.id, f.status) for f in evaluate(RULES, [res], now=NOW) if f.status not in ("pass", "skip")]
        assert bad == [], (base.stem, bad)
