"""checkov under Enamel's identity (issue 15): a checkov check that an Enamel rule names in its
references.checkov reports under that rule's id, never under a second, checkov-only id."""

from __future__ import annotations

import pytest
import yaml

from enamel_hipaa.core.errors import InputError
from enamel_hipaa.sources.checkov_map import load_map, table_path
from conftest import shipped_rules

RULESET = shipped_rules()


def test_every_check_an_enamel_rule_names_maps_to_that_rule():
    mapping = load_map(RULESET)
    owned = {}
    for rule in RULESET.rules:
        ref = (rule.references or {}).get("checkov")
        for cid in [ref] if isinstance(ref, str) else ref or []:
            owned[cid] = rule.id
    wrong = {cid: (m.rule.id, owned[cid]) for cid, m in mapping.items() if cid in owned and m.rule.id != owned[cid]}
    assert wrong == {}


@pytest.mark.parametrize(
    "check,enamel_rule",
    [
        ("CKV_AWS_16", "rds-storage-encrypted"),
        ("CKV_AWS_17", "rds-not-public"),
        ("CKV_AWS_133", "rds-automated-backups"),
        ("CKV_AWS_2", "elb-listener-https"),
        ("CKV_AWS_103", "elb-listener-tls-policy"),
        ("CKV_AWS_166", "backup-vault-kms-encryption"),
        ("CKV_AZURE_44", "storage-account-minimum-tls-version"),
        ("CKV_AZURE_35", "storage-account-network-default-deny"),
        ("CKV_AZURE_34", "storage-account-blob-public-access-disabled"),
        ("CKV2_AZURE_38", "storage-account-blob-soft-delete"),
        ("CKV2_AZURE_40", "storage-account-shared-key-access-disabled"),
        ("CKV_AZURE_42", "key-vault-soft-delete"),
        ("CKV_AZURE_189", "key-vault-network-default-deny"),
    ],
)
def test_formerly_duplicated_controls_report_under_the_enamel_id(check, enamel_rule):
    assert load_map(RULESET)[check].rule.id == enamel_rule


def test_loader_refuses_a_second_id_for_a_control_an_enamel_rule_owns(tmp_path):
    data = yaml.safe_load(table_path().read_text())
    data["checks"]["CKV_AWS_16"] = {"rule": "rds-at-rest", "severity": "high", "hipaa": ["164.312(a)(2)(iv)"]}
    data["rules"]["rds-at-rest"] = {"title": "RDS at rest", "remediation": "Encrypt it."}
    bad = tmp_path / "checkov.yaml"
    bad.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(InputError, match=r"CKV_AWS_16 is the check of Enamel rule 'rds-storage-encrypted'"):
        load_map(RULESET, bad)
