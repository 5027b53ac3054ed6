"""CloudFormation templates through Enamel's own rules (issue 15): every verdict listed in
tests/fixtures/iac-expected.yaml for the cloudformation/ fixtures, Parameters, Conditions and
intrinsics, and findings pinned to the template line."""

from __future__ import annotations

from pathlib import Path

import pytest

from enamel_hipaa.core.errors import InputError
from enamel_hipaa.sources.cloudformation import collect_cloudformation
from iac_helpers import FIXTURES, assert_normalised_as_expected, assert_verdict, by_id, cases_of, fixtures_of
from iac_helpers import collected as _collected, findings, judged as _judged

SOURCE = "cloudformation"


def collected(name: str):
    return _collected(SOURCE, name)


def judged(name: str):
    return _judged(SOURCE, name)


@pytest.mark.parametrize("name,key,rule_id,status", list(cases_of(SOURCE)), ids=lambda v: str(v))
def test_cloudformation_verdict_matches_expected(name, key, rule_id, status):
    assert_verdict(SOURCE, name, key, rule_id, status)


@pytest.mark.parametrize("name", fixtures_of(SOURCE))
def test_cloudformation_resources_normalise_to_expected_types(name):
    assert_normalised_as_expected(SOURCE, name)


def test_security_group_with_dicom_104_open_fails_on_cloudformation():
    assert (
        judged("cloudformation/written/sg-dicom-104-open.yaml")[("DicomOpen", "ec2-security-group-admin-ports")]
        == "fail"
    )


def test_unencrypted_bucket_is_never_left_unchecked():
    got = judged("cloudformation/written/s3-unencrypted-bucket.json")
    assert got[("XrayUploads", "s3-bucket-kms-encryption")] == "fail"


def test_findings_point_at_the_template_line_of_their_resource():
    path = FIXTURES / "cloudformation/written/sg-dicom-104-open.yaml"
    f = next(
        f
        for f in findings(SOURCE, "cloudformation/written/sg-dicom-104-open.yaml")
        if f.resource.id == "DicomOpen" and f.rule.id == "ec2-security-group-admin-ports"
    )
    lines = path.read_text().splitlines()
    # relative to the working directory when inside it, as SARIF viewers and annotations expect
    assert Path(f.location["path"]).resolve() == path.resolve()
    assert lines[f.location["start_line"] - 1].strip() == "DicomOpen:"
    # the resource's last line: the next resource starts right after it
    assert lines[f.location["end_line"]].strip().endswith(":") and lines[f.location["end_line"]].startswith("  ")
    assert not lines[f.location["end_line"]].startswith("   ")


def test_efs_file_system_is_counted_as_unsupported_not_dropped():
    c = collected("cloudformation/real/cfntemplates-efs-automount.yaml")
    assert c.unsupported_types["cloudformation:cfntemplates-efs-automount.yaml"]["AWS::EFS::FileSystem"] == 1


def test_resource_whose_condition_is_false_is_not_created():
    assert "DevScratch" not in by_id(collected("cloudformation/written/conditions-parameters.yaml"))


def test_broken_template_is_bad_input_naming_the_file(tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("Resources:\n  A: [unclosed\n")
    with pytest.raises(InputError, match="t.yaml"):
        collect_cloudformation(str(bad))
    empty = tmp_path / "e.yaml"
    empty.write_text("Description: no resources\n")
    with pytest.raises(InputError, match="no Resources"):
        collect_cloudformation(str(empty))
    for section in ("Parameters", "Conditions", "Mappings"):  # found by the fuzz suite: was an internal error
        odd = tmp_path / f"{section}.yaml"
        odd.write_text(f"{section}: -1.1e+16\nResources:\n  B: {{Type: AWS::S3::Bucket}}\n")
        with pytest.raises(InputError, match=f"{section}.yaml: {section} must be a mapping, not float"):
            collect_cloudformation(str(odd))


def test_duplicate_resource_is_bad_input_naming_its_line(tmp_path):
    dup = tmp_path / "dup.yaml"
    dup.write_text("Resources:\n  A:\n    Type: AWS::S3::Bucket\n  A:\n    Type: AWS::S3::Bucket\n")
    with pytest.raises(InputError, match=r"dup.yaml:4: duplicate key 'A'"):
        collect_cloudformation(str(dup))


def test_short_and_long_form_intrinsics_read_alike(tmp_path):
    short = tmp_path / "short.yaml"
    short.write_text(
        "Parameters: {Cidr: {Type: String, Default: 0.0.0.0/0}}\nResources:\n  G:\n"
        "    Type: AWS::EC2::SecurityGroup\n    Properties:\n      SecurityGroupIngress:\n"
        "        - {IpProtocol: tcp, FromPort: 104, ToPort: 104, CidrIp: !Ref Cidr}\n"
    )
    long = tmp_path / "long.json"
    long.write_text(
        '{"Parameters": {"Cidr": {"Type": "String", "Default": "0.0.0.0/0"}}, "Resources": {"G": {'
        '"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": [{"IpProtocol": "tcp",'
        ' "FromPort": 104, "ToPort": 104, "CidrIp": {"Ref": "Cidr"}}]}}}}'
    )
    a, b = (by_id(collect_cloudformation(str(p)))["G"].properties for p in (short, long))
    assert a["ingress"] == b["ingress"] and a["ingress"][0]["cidr"] == "0.0.0.0/0"
