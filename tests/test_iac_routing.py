"""`--terraform-plan` and `--cloudformation` judge plans and templates with Enamel's own
normalisers and rules (no checkov needed). Resource types a source saw but could not judge are counted."""

import json
from pathlib import Path

from conftest import ROOT, run_enamel

FIX = ROOT / "tests" / "fixtures"
SG_PLAN = FIX / "terraform" / "written" / "sg-dicom-ports-open.json"
SG_CFN = FIX / "cloudformation" / "written" / "sg-dicom-104-open.yaml"


def _report(*args):
    r = run_enamel("scan", *args, "--format", "json", "--fail-on", "high")
    return r, json.loads(r.stdout)


def test_fail_dicom_port_open_to_the_world_on_plan_and_template_without_checkov():
    for flag, path in (("--terraform-plan", SG_PLAN), ("--cloudformation", SG_CFN)):
        r, report = _report(flag, path)
        failed = {f["rule_id"] for f in report["findings"] if f["status"] == "fail"}
        assert r.returncode == 1 and "ec2-security-group-admin-ports" in failed, path


def test_pass_unsupported_types_are_counted_per_source(tmp_path):
    tpl = tmp_path / "queue.yaml"
    tpl.write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n"
        "  T:\n    Type: AWS::SNS::Topic\n"
    )
    r, report = _report("--cloudformation", tpl)
    assert report["unsupported_types"] == {
        f"cloudformation:{Path(tpl).name}": {"AWS::SNS::Topic": 1, "AWS::SQS::Queue": 1}
    }
