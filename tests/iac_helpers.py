"""Shared by the Terraform-plan and CloudFormation tests: the expected verdicts of
tests/fixtures/iac-expected.yaml, and the real rules evaluated on a collection."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import yaml

from enamel_hipaa.core.engine import evaluate
from conftest import shipped_rules

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = yaml.safe_load((FIXTURES / "iac-expected.yaml").read_text())["fixtures"]
RULES = shipped_rules().rules
NOW = datetime(2026, 11, 24, tzinfo=timezone.utc)


def fixtures_of(source: str) -> list[str]:
    return [name for name, spec in EXPECTED.items() if spec["source"] == source]


def cases_of(source: str):
    """(fixture, resource key, rule id, expected status) for every asserted verdict."""
    for name in fixtures_of(source):
        for key, spec in (EXPECTED[name].get("resources") or {}).items():
            for rule_id, status in spec["expect"].items():
                yield name, key, rule_id, status


def verdicts(collection) -> dict[tuple[str, str], str]:
    """(resource id, rule id) -> status, over every finding of the real rules."""
    findings = evaluate(RULES, collection.resources, now=NOW)
    return {(f.resource.id, f.rule.id): f.status for f in findings}


def by_id(collection) -> dict:
    return {r.id: r for r in collection.resources}


def printed(collection) -> str:
    findings = evaluate(RULES, collection.resources, now=NOW)
    return json.dumps([f.to_dict() for f in findings]) + json.dumps([r.to_dict() for r in collection.resources])
