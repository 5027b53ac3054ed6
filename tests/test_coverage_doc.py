"""docs/coverage.md is generated from the rules' `references:` and anchors/ (scripts/coverage.py):
every cited anchor check exists and is relevant, and the document never drifts from the generator."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "coverage.py"

_spec = importlib.util.spec_from_file_location("enamel_coverage_script", SCRIPT)
cov = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cov)


@pytest.fixture(scope="module")
def built():
    return cov.build()


def test_anchor_data_lists_every_upstream_check_with_a_reason_for_each_exclusion():
    anchors = {a["stem"]: a for a in cov.load_anchors()}
    # check counts of the pinned upstream files (Prowler hipaa_aws 95, hipaa_azure 128; Config pack 130 rules)
    assert {s: len(a["checks"]) for s, a in anchors.items()} == {
        "prowler-hipaa-aws": 95,
        "aws-config-hipaa": 130,
        "prowler-hipaa-azure": 128,
    }
    for a in anchors.values():
        assert a["source"]["commit"] and a["source"]["licence"]
        for c in a["checks"].values():
            assert c["relevant"] or c["reason"].strip()


def test_every_rule_reference_names_a_relevant_anchor_check(built):
    anchors, cites, problems = built
    assert problems == []
    # the references are actually read: most AWS rules cite an anchor
    assert sum(len(v) for v in cites.values()) >= 60


def test_reference_to_unknown_check_id_is_reported_with_file_and_rule():
    anchors = cov.load_anchors()
    fake = {
        "id": "s3-fake-rule",
        "live": True,
        "sources": ["aws"],
        "path": ROOT / "rules/aws/s3-fake-rule.yaml",
        "cites": cov.parse_references(
            {"prowler": ["s3_bucket_public_access", "s3_bucket_no_such_check"], "aws_config": "NO_SUCH_CONFIG_RULE"},
            "x",
        ),
    }
    _, problems = cov.resolve(anchors, [fake])
    assert len(problems) == 2
    assert "rules/aws/s3-fake-rule.yaml: s3-fake-rule: references.prowler: s3_bucket_no_such_check" in problems[0]
    assert "NO_SUCH_CONFIG_RULE" in problems[1]


def test_reference_to_check_marked_not_relevant_is_reported():
    anchors = cov.load_anchors()
    fake = {
        "id": "dynamo-fake",
        "live": True,
        "sources": ["aws"],
        "path": ROOT / "rules/aws/dynamo-fake.yaml",
        "cites": cov.parse_references({"prowler_partial": "dynamodb_tables_pitr_enabled"}, "x"),
    }
    _, problems = cov.resolve(anchors, [fake])
    assert len(problems) == 1 and "marked not relevant" in problems[0] and "DynamoDB" in problems[0]


def test_iac_only_and_weaker_citations_count_as_partly_live_full_citations_as_covered():
    anchors = cov.load_anchors()
    rules = [
        {
            "id": "live-full",
            "live": True,
            "sources": ["aws"],
            "path": SCRIPT,
            "cites": cov.parse_references({"prowler": "efs_have_backup_enabled"}, "x"),
        },
        {
            "id": "live-weaker",
            "live": True,
            "sources": ["aws"],
            "path": SCRIPT,
            "cites": cov.parse_references({"prowler_partial": "securityhub_enabled"}, "x"),
        },
        {
            "id": "iac-full",
            "live": False,
            "sources": ["iac"],
            "path": SCRIPT,
            "cites": cov.parse_references({"aws_config": "SECURITYHUB_ENABLED"}, "x"),
        },
    ]
    cites, problems = cov.resolve(anchors, rules)
    assert problems == []
    assert cov.check_status(cites[("prowler-hipaa-aws", "efs_have_backup_enabled")]) == "covered"
    assert cov.check_status(cites[("prowler-hipaa-aws", "securityhub_enabled")]) == "partly"
    assert cov.check_status(cites[("aws-config-hipaa", "SECURITYHUB_ENABLED")]) == "partly"
    assert cov.check_status([]) == "missing"


def test_references_that_are_not_a_mapping_fail_naming_the_place():
    with pytest.raises(cov.InputError, match=r"^rules/aws/x.yaml: x: references must be a mapping$"):
        cov.parse_references(["s3_bucket_public_access"], "rules/aws/x.yaml: x")
    with pytest.raises(cov.InputError, match=r"references.prowler: each id must be a non-empty string"):
        cov.parse_references({"prowler": [3]}, "rules/aws/x.yaml: x")


def test_coverage_doc_is_what_the_generator_writes(capsys):
    code = cov.main(["--check"])  # `python scripts/coverage.py --check`, in this process
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "relevant; covered" in out


def test_check_mode_exits_1_when_the_doc_drifts(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "coverage.md"
    stale.write_text((ROOT / "docs" / "coverage.md").read_text().replace("| covered |", "| partly |", 1))
    monkeypatch.setattr(cov, "DOC", stale)
    assert cov.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().err


def test_doc_lists_every_relevant_check_once_and_no_irrelevant_one(built):
    anchors, cites, _ = built
    text = (ROOT / "docs" / "coverage.md").read_text()
    for a in anchors:
        for cid, c in a["checks"].items():
            rows = text.count(f"| `{cid}` |")
            assert rows == (1 if c["relevant"] else 0), cid
