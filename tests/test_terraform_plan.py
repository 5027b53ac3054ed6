"""`terraform show -json` plans through Enamel's own rules (issue 15): every verdict listed in
tests/fixtures/iac-expected.yaml for the terraform/ fixtures, module addresses as ids,
unknown and sensitive values, and the plan-level cases the issue names."""

from __future__ import annotations

import json

import pytest

from enamel_hipaa.core.errors import InputError
from enamel_hipaa.sources.terraform import collect_terraform_plan
from iac_helpers import assert_normalised_as_expected, assert_verdict, by_id, cases_of, fixtures_of
from iac_helpers import collected as _collected, findings, judged as _judged

SOURCE = "terraform-plan"


def collected(name: str):
    return _collected(SOURCE, name)


def judged(name: str):
    return _judged(SOURCE, name)


@pytest.mark.parametrize("name,key,rule_id,status", list(cases_of(SOURCE)), ids=lambda v: str(v))
def test_terraform_plan_verdict_matches_expected(name, key, rule_id, status):
    assert_verdict(SOURCE, name, key, rule_id, status)


@pytest.mark.parametrize("name", fixtures_of(SOURCE))
def test_terraform_plan_resources_normalise_to_expected_types(name):
    assert_normalised_as_expected(SOURCE, name)


def test_security_group_with_dicom_104_open_fails_on_plan_json():
    assert (
        judged("terraform/written/sg-dicom-ports-open.json")[
            ("aws_security_group.dicom_104", "ec2-security-group-admin-ports")
        ]
        == "fail"
    )


def test_removed_public_access_block_fails_on_plan_json():
    got = judged("terraform/written/module-public-access-block-count-zero.json")
    assert got[("module.archive.aws_s3_bucket.this", "s3-bucket-public-access-block")] == "fail"


def test_log_target_bucket_is_not_asked_for_kms():
    got = judged("terraform/written/log-target-bucket-sse-s3.json")
    assert got[("aws_s3_bucket.access_logs", "s3-bucket-kms-encryption")] == "skip"
    assert got[("aws_s3_bucket.archive", "s3-bucket-kms-encryption")] == "pass"


def test_sensitive_value_is_unknown_even_when_the_plan_holds_it():
    res = by_id(collected("terraform/written/unknown-and-sensitive-values.json"))["aws_db_instance.pacs"]
    assert res.properties["storage_encrypted"] == {"$unknown": "sensitive value (never printed)"}


def test_buckets_sharing_a_name_keep_their_own_public_access_block():
    found = by_id(collected("terraform/real/checkov-nested-modules-s3.json"))
    pab = {
        k: r.properties["public_access_block"]["block_public_acls"]
        for k, r in found.items()
        if r.type == "aws.s3_bucket"
    }
    assert pab["aws_s3_bucket.root_bucket"] is True
    assert pab["module.s3_bucket.aws_s3_bucket.this[0]"] is False


def test_resource_types_not_understood_are_counted_per_source():
    c = collected("terraform/real/checkov-plan-terragoat.json")
    counts = c.unsupported_types["terraform:checkov-plan-terragoat.json"]
    assert counts and all(t.startswith(("aws_", "azurerm_", "null_", "random_")) for t in counts)
    assert "aws_s3_bucket" not in counts


def test_plan_with_only_updates_to_unmanaged_groups_judges_nothing_and_errs_nothing():
    c = collected("terraform/real/checkov-sg-rules.json")
    assert [r for r in c.resources if r.type == "aws.ec2_security_group"] == [] and c.errors == []


def test_not_a_plan_is_bad_input_naming_the_file(tmp_path):
    bad = tmp_path / "plan.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="plan.json:1"):
        collect_terraform_plan(str(bad))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hello": 1}))
    with pytest.raises(InputError, match="not a Terraform plan"):
        collect_terraform_plan(str(other))


def test_report_carries_unsupported_types_and_validates_against_its_schema():
    from enamel_hipaa.core import report, schemas

    c = collected("terraform/real/checkov-plan-terragoat.json")
    rep = report.build(
        list(findings(SOURCE, "terraform/real/checkov-plan-terragoat.json")),
        [],
        started_at="2026-11-24T00:00:00Z",
        tenant=None,
        sources=c.sources,
        rules_digest="sha256:" + "0" * 64,
        fail_on="high",
        unsupported_types=c.unsupported_types,
    )
    assert rep["unsupported_types"] == c.unsupported_types
    assert list(schemas.validator("report").iter_errors(rep)) == []
