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


# --- `--iac` on a repository: routing, Enamel's own port check on HCL, skips and notices --------

HCL = """
variable "enabled" {}
resource "aws_security_group" "dicom_open" {
  name = "dicom-open"
  ingress {
    from_port   = 104
    to_port     = 104
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_security_group" "dicom_clinic" {
  name = "dicom-clinic"
  ingress {
    from_port   = 104
    to_port     = 104
    protocol    = "tcp"
    cidr_blocks = ["10.20.0.0/16"]
  }
}
resource "aws_security_group" "never_created" {
  count = 0
  name  = "never"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_security_group" "switched" {
  count = var.enabled ? 1 : 0
  name  = "switched"
}
module "archive" {
  source        = "./modules/bucket"
  create_bucket = false
}
"""
MODULE = """
variable "create_bucket" {
  type    = bool
  default = true
}
resource "aws_s3_bucket" "this" {
  count  = var.create_bucket ? 1 : 0
  bucket = "bsd-archive"
}
"""


def _repo(tmp_path, with_app_config: bool):
    repo = tmp_path / ("with" if with_app_config else "without")
    (repo / "modules" / "bucket").mkdir(parents=True)
    (repo / "main.tf").write_text(HCL)
    (repo / "modules" / "bucket" / "main.tf").write_text(MODULE)
    (repo / "plan.json").write_text(SG_PLAN.read_text())
    (repo / "template.yaml").write_text(SG_CFN.read_text())
    if with_app_config:  # an Orthanc configuration: JSON with comments, not IaC
        (repo / "credentials.json").write_text('{\n  // Orthanc users\n  "RegisteredUsers": {"alice": "x"}\n}\n')
    r = run_enamel("scan", "--iac", repo, "--format", "json", "--fail-on", "high", cwd=tmp_path)
    return r, json.loads(r.stdout)


def test_fail_dicom_104_open_to_the_world_on_hcl_plan_and_template_through_iac_once_per_control(tmp_path):
    r, report = _repo(tmp_path, with_app_config=True)
    assert r.returncode == 1, r.stderr
    sources = report["scan"]["sources"]
    assert any(s.startswith("iac:") for s in sources)
    assert "terraform:plan.json" in sources and "cloudformation:template.yaml" in sources
    admin = {
        (f["resource"]["id"], f["status"])
        for f in report["findings"]
        if f["rule_id"] == "ec2-security-group-admin-ports"
    }
    hcl = {rid.rsplit("::", 1)[-1]: st for rid, st in admin if "::" in rid}
    assert hcl["aws_security_group.dicom_open"] == "fail"  # 104: Enamel's own check on raw HCL
    assert hcl["aws_security_group.dicom_clinic"] == "pass"
    assert ("aws_security_group.dicom_104", "fail") in admin  # the plan, by Enamel's normaliser
    assert ("DicomOpen", "fail") in admin  # the template, by Enamel's normaliser
    # the plan and the template are judged once per control: no checkov finding for them
    assert not [rid for rid, _ in admin if "::" in rid and rid.split("::")[0].endswith(("plan.json", "template.yaml"))]
    ids = [f["resource"]["id"] for f in report["findings"]]
    assert not [i for i in ids if "never_created" in i or "module.archive" in i]  # count 0, create_bucket = false
    notices = " ".join(n["message"] for n in report["notices"])
    assert "credentials.json: not infrastructure as code (skipped)" in notices
    assert "aws_security_group.switched" in notices and "--terraform-plan" in notices
    assert report["scan"]["complete"] is True and report["errors"] == []


def test_pass_gate_result_is_the_same_with_or_without_a_json_with_comments_app_config(tmp_path):
    with_r, with_report = _repo(tmp_path, with_app_config=True)
    without_r, without_report = _repo(tmp_path, with_app_config=False)

    def verdicts(report):
        return sorted((f["rule_id"], f["resource"]["id"].split("/")[-1], f["status"]) for f in report["findings"])

    assert with_r.returncode == without_r.returncode == 1
    assert verdicts(with_report) == verdicts(without_report)
    assert with_report["scan"]["complete"] == without_report["scan"]["complete"] is True


def test_same_logical_id_in_two_templates_gives_two_resource_ids(tmp_path, monkeypatch):
    from enamel_hipaa.sources import cloudformation, terraform
    from enamel_hipaa.sources.config import CloudFormationSource, TerraformPlanSource

    monkeypatch.chdir(tmp_path)
    fixtures = Path(__file__).parent / "fixtures"
    template = sorted((fixtures / "cloudformation" / "written").glob("*.yaml"))[0]
    plan = sorted((fixtures / "terraform" / "written").glob("*.json"))[0]
    for module, config, original in (
        (cloudformation, CloudFormationSource, template),
        (terraform, TerraformPlanSource, plan),
    ):
        copies = []
        for name in ("a", "b"):
            copy = tmp_path / f"{name}{original.suffix}"
            copy.write_bytes(original.read_bytes())
            copies.append(str(copy))
        single = {r.id for r in module.collect(config(paths=(copies[0],))).resources}
        both = [r.id for r in module.collect(config(paths=tuple(copies))).resources]
        assert len(both) == len(set(both)) == 2 * len(single)
        assert {i.split("#", 1)[1] for i in both} == single
        assert {i.split("#", 1)[0] for i in both} == {f"a{original.suffix}", f"b{original.suffix}"}
