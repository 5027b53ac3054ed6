"""Shared by the Terraform-plan and CloudFormation tests: the expected verdicts of
tests/fixtures/iac-expected.yaml, each fixture collected and judged by the real rules once
per session (every verdict case is then a lookup), and the checks both sources share."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import yaml

from conftest import shipped_rules
from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.sources.cloudformation import collect_cloudformation
from enamel_hipaa.sources.terraform import collect_terraform_plan

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = yaml.load(
    (FIXTURES / "iac-expected.yaml").read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
)["fixtures"]
RULES = shipped_rules().rules
NOW = datetime(2026, 11, 24, tzinfo=timezone.utc)
# source name in iac-expected.yaml -> its collector
COLLECTORS = {"terraform-plan": collect_terraform_plan, "cloudformation": collect_cloudformation}


def fixtures_of(source: str) -> list[str]:
    return [name for name, spec in EXPECTED.items() if spec["source"] == source]


def cases_of(source: str):
    """(fixture, resource key, rule id, expected status) for every asserted verdict."""
    for name in fixtures_of(source):
        for key, spec in (EXPECTED[name].get("resources") or {}).items():
            for rule_id, status in spec["expect"].items():
                yield name, key, rule_id, status


@lru_cache(maxsize=None)
def collected(source: str, name: str):
    """The fixture's collection (collected once per session)."""
    return COLLECTORS[source](str(FIXTURES / name))


@lru_cache(maxsize=None)
def findings(source: str, name: str) -> tuple:
    """Every finding of the real rules on the fixture (evaluated once per session)."""
    return tuple(evaluate(RULES, collected(source, name).resources, now=NOW))


@lru_cache(maxsize=None)
def judged(source: str, name: str) -> dict[tuple[str, str], str]:
    """(resource id, rule id) -> status, over every finding of the fixture."""
    return {(f.resource.id, f.rule.id): f.status for f in findings(source, name)}


def verdicts(collection) -> dict[tuple[str, str], str]:
    """(resource id, rule id) -> status for a collection of one's own (not a listed fixture)."""
    return {(f.resource.id, f.rule.id): f.status for f in evaluate(RULES, collection.resources, now=NOW)}


def by_id(collection) -> dict:
    return {r.id: r for r in collection.resources}


def printed(source: str, name: str) -> str:
    """Everything a report of the fixture would print: findings and resources."""
    return json.dumps([f.to_dict() for f in findings(source, name)]) + json.dumps(
        [r.to_dict() for r in collected(source, name).resources]
    )


def assert_verdict(source: str, name: str, key: str, rule_id: str, status: str) -> None:
    got = judged(source, name).get((key, rule_id))
    assert got == status, f"{name} {key} {rule_id}: expected {status}, got {got}"


def assert_normalised_as_expected(source: str, name: str) -> None:
    """The fixture's listed resources exist with their types; `no_resources_of` types and
    `no_resources` (logical ids, with their #n expansions) are absent; `must_not_print`
    values appear nowhere in the printed findings or resources."""
    spec = EXPECTED[name]
    found = by_id(collected(source, name))
    for key, res in (spec.get("resources") or {}).items():
        assert key in found, f"{key} missing from {name}: {sorted(found)}"
        assert found[key].type == res["type"]
    for t in spec.get("no_resources_of") or []:
        assert [r.id for r in found.values() if r.type == t] == []
    for logical in spec.get("no_resources") or []:
        assert not [r for r in found.values() if r.id == logical or r.id.startswith(logical + "#")]
    for secret in spec.get("must_not_print") or []:
        assert secret not in printed(source, name)
