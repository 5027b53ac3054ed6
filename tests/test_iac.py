"""`enamel scan --iac`: the real checkov (tests/fixtures/iac, pass_* and fail_* files) mapped
to Enamel rules with file and line ranges; its three JSON shapes; crash, timeout and
nothing-to-scan; inline suppressions; the mapping table's validation."""

import json
import os
import re
import stat
from pathlib import Path

import pytest
from junitparser import JUnitXml

from conftest import ROOT, check_sarif, run_enamel, validate_report
from enamel_hipaa.sources import checkov_map
from enamel_hipaa.sources import checkov
from enamel_hipaa.sources.checkov import CUSTOM_CHECKS
from enamel_hipaa.core.errors import InputError

FIX = ROOT / "tests" / "fixtures" / "iac"
REL = "tests/fixtures/iac"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def checkov_env(exe=CHECKOV, **extra):
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    env.update(ENAMEL_CHECKOV=str(exe), **extra)
    return env


@pytest.fixture(scope="module")
def real_checkov():
    assert CHECKOV.is_file(), "checkov is not installed: run `make checkov` (creates .venv-checkov)"
    return CHECKOV


@pytest.fixture(scope="module")
def scan(real_checkov, tmp_path_factory):
    """One real checkov run over every fixture (Terraform, plan JSON, CloudFormation, ARM)."""
    out = tmp_path_factory.mktemp("iac")
    r = run_enamel("scan", "--iac", REL, "--format", "json,sarif,junit", "--output-dir", out, "--ci", env=checkov_env())
    report = json.loads((out / "enamel-report.json").read_text())
    return r, report, out


def by(report, path, resource, rule):
    hits = [
        f for f in report["findings"] if f["resource"]["id"] == f"{REL}/{path}::{resource}" and f["rule_id"] == rule
    ]
    assert len(hits) == 1, (path, resource, rule, hits)
    return hits[0]


def block(path: str, header: str) -> tuple[int, int]:
    """The first and last line of a resource block, read from the fixture itself."""
    lines = (FIX / path).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(header))
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if path.endswith(".tf"):
            if line == "}":
                end = i
                break
        elif line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        elif line.strip():
            end = i
    return start + 1, end + 1


# --- the mapping table -----------------------------------------------------------------


def test_mapping_table_covers_aws_and_azure_and_reuses_enamel_rules(ruleset):
    m = checkov_map.load_map(ruleset)
    providers = [x.provider for x in m.values()]
    assert providers.count("aws") >= 40 and providers.count("azure") >= 15
    assert m["CKV_AWS_145"].rule is ruleset.by_id()["s3-bucket-kms-encryption"]  # the real rule object
    assert "CKV_AWS_19" not in m  # passes a bucket with no settings at all
    assert m["CKV_AZURE_3"].rule is ruleset.by_id()["storage-account-https-only"]  # live Azure rule reused
    new = m["CKV_AWS_28"].rule  # a control no live collector checks: defined by the table
    assert new.id == "dynamodb-point-in-time-recovery" and new.provider == "iac"
    assert new.references["checkov"] == "CKV_AWS_28"
    assert m["CKV_AWS_27"].rule is ruleset.by_id()["sqs-queue-encrypted"]  # live since issue 16
    for x in m.values():
        assert set(x.rule.hipaa) <= set(ruleset.catalogue)


def test_every_mapped_check_exists_in_the_installed_checkov(real_checkov, ruleset):
    import subprocess

    out = subprocess.run(
        [str(real_checkov), "--list", "--skip-download"], capture_output=True, text=True, timeout=300, check=True
    ).stdout
    listed = set(re.findall(r"\|\s*(CKV2?_[A-Z]+_\d+)\s*\|", out))
    assert len(listed) > 1000
    own = {c for c in checkov_map.load_map(ruleset) if c.startswith("ENAMEL_")}  # checkov_checks/, listed below
    missing = sorted(set(checkov_map.load_map(ruleset)) - listed - own)
    assert missing == []
    # checkov --list leaves external checks out: Enamel's own are declared in checkov_checks/
    # (and run for real in tests/test_iac_routing.py)
    declared = " ".join(f.read_text() for f in CUSTOM_CHECKS.iterdir() if f.suffix in (".py", ".yaml"))
    assert own == {"ENAMEL_AWS_1"} and all(f'id="{c}"' in declared for c in own)


@pytest.mark.parametrize(
    "edit, message, line",
    [
        (
            (
                "CKV_AWS_21: {rule: s3-bucket-versioning, severity: high,",
                "CKV_AWS_21: {rule: s3-bucket-versioning, severity: low,",
            ),
            "CKV_AWS_21 severity 'low' differs from rule s3-bucket-versioning",
            "CKV_AWS_21:",
        ),
        (
            (
                'CKV_AWS_26: {rule: sns-topic-encrypted, severity: medium, hipaa: ["164.312(a)(2)(iv)"]}',
                'CKV_AWS_26: {rule: sns-topic-encrypted, severity: medium, hipaa: ["164.312(z)"]}',
            ),
            "citation '164.312(z)' is not in rules/hipaa.yaml",
            "CKV_AWS_26:",
        ),
        (
            ("CKV_AWS_28: {rule: dynamodb-point-in-time-recovery,", "CKV_AWS_28: {rule: dynamodb-pitr,"),
            "rule 'dynamodb-pitr' is neither an Enamel rule nor defined",
            "CKV_AWS_28:",
        ),
        (
            ("CKV_AWS_119: {rule: dynamodb-customer-managed-key,", "CKV_AWS_119: {rule: sns-topic-encrypted,"),
            "is defined but no check maps to it",
            "  dynamodb-customer-managed-key:",
        ),
        (("CKV_AWS_27:", "CKV_AWS_X:"), "does not match", "CKV_AWS_X:"),
        (("  CKV_AWS_26: {", "  CKV_AWS_26: {colour: red, "), "Additional properties", "CKV_AWS_26:"),
    ],
)
def test_mapping_table_errors_name_file_and_line(tmp_path, ruleset, edit, message, line):
    text = checkov_map.table_path().read_text()
    assert edit[0] in text
    bad = text.replace(edit[0], edit[1], 1)
    p = tmp_path / "checkov.yaml"
    p.write_text(bad)
    want = next(
        i
        for i, t in enumerate(bad.splitlines(), 1)
        if (t.startswith(line) if line.startswith(" ") else t.lstrip().startswith(line))
    )
    with pytest.raises(InputError) as e:
        checkov_map.load_map(ruleset, p)
    assert message in str(e.value) and f"checkov.yaml:{want}" in str(e.value)


def test_mapping_table_rejects_redefining_an_enamel_rule(tmp_path, ruleset):
    text = checkov_map.table_path().read_text()
    p = tmp_path / "checkov.yaml"
    p.write_text(
        text.replace(
            "rules:\n",
            "rules:\n  s3-bucket-versioning:\n    title: Versioning again\n    remediation: Turn versioning on.\n",
            1,
        )
    )
    with pytest.raises(
        InputError,
        match=r"checkov.yaml:\d+ \(rules/s3-bucket-versioning\): rule 's3-bucket-versioning' "
        r"already exists",
    ):
        checkov_map.load_map(ruleset, p)


# --- one real scan over all fixtures ------------------------------------------------------


def test_fail_fixtures_exit_1_and_report_is_valid(scan):
    r, report, _ = scan
    assert r.returncode == 1, r.stderr
    validate_report(report)
    assert report["scan"]["complete"] is True and report["errors"] == []
    assert any(s.startswith(f"iac:{REL} (checkov ") for s in report["scan"]["sources"])


def test_pass_fixtures_only_pass(scan):
    _, report, _ = scan
    mine = [f for f in report["findings"] if f.get("location", {}).get("path", "").startswith(f"{REL}/pass_")]
    assert len(mine) >= 25
    assert {f["status"] for f in mine} == {"pass"}, [f["message"] for f in mine if f["status"] != "pass"]
    assert {f["location"]["path"].rsplit("/", 1)[1] for f in mine} == {
        "pass_phi_archive.tf",
        "pass_imaging_stack.yaml",
        "pass_azure_storage.json",
    }


@pytest.mark.parametrize(
    "path, resource, header, rule, checks",
    [
        # a PHI bucket with no settings at all: CKV_AWS_145 fails it (CKV_AWS_19 would pass it)
        (
            "fail_phi_archive.tf",
            "aws_s3_bucket.scans",
            'resource "aws_s3_bucket" "scans"',
            "s3-bucket-kms-encryption",
            {"CKV_AWS_145": "fail"},
        ),
        (
            "fail_phi_archive.tf",
            "aws_s3_bucket.scans",
            'resource "aws_s3_bucket" "scans"',
            "s3-bucket-versioning",
            {"CKV_AWS_21": "fail"},
        ),
        (
            "fail_phi_archive.tf",
            "aws_s3_bucket.exports",
            'resource "aws_s3_bucket" "exports"',
            "s3-bucket-no-public-grants",
            {"CKV_AWS_20": "fail", "CKV_AWS_57": "pass"},
        ),
        (
            "fail_phi_archive.tf",
            "aws_db_instance.legacy_pacs",
            'resource "aws_db_instance"',
            "rds-storage-encrypted",
            {"CKV_AWS_16": "fail"},
        ),
        (
            "fail_phi_archive.tf",
            "aws_db_instance.legacy_pacs",
            'resource "aws_db_instance"',
            "rds-not-public",
            {"CKV_AWS_17": "fail"},
        ),
        (
            "fail_phi_archive.tf",
            "aws_security_group.reading_room",
            'resource "aws_security_group"',
            "ec2-security-group-admin-ports",
            {"CKV_AWS_24": "fail", "CKV_AWS_25": "pass", "ENAMEL_AWS_1": "fail"},
        ),
        (
            "fail_phi_archive.tf",
            "aws_cloudtrail.audit",
            'resource "aws_cloudtrail"',
            "cloudtrail-kms-encryption",
            {"CKV_AWS_35": "fail"},
        ),
        (
            "fail_azure_storage.json",
            "Microsoft.Storage/storageAccounts.bsdimagingfail",
            '"type": "Microsoft.Storage',
            "storage-account-https-only",
            {"CKV_AZURE_3": "fail"},
        ),
        (
            "fail_azure_storage.json",
            "Microsoft.Storage/storageAccounts.bsdimagingfail",
            '"type": "Microsoft.Storage',
            "storage-account-minimum-tls-version",
            {"CKV_AZURE_44": "fail"},
        ),
    ],
)
def test_fail_fixtures_map_to_enamel_rules_on_the_right_lines(scan, ruleset, path, resource, header, rule, checks):
    _, report, _ = scan
    f = by(report, path, resource, rule)
    assert f["status"] == "fail" and f["evidence"]["checkov"] == checks
    start, end = block(path, header)
    if path.endswith(".json"):  # ARM: the resource object begins on the line of its opening brace
        start -= 1
        end = start + (FIX / path).read_text().splitlines()[start - 1 :].index("    }")
    assert f["location"] == {"path": f"{REL}/{path}", "start_line": start, "end_line": end}
    expected = ruleset.by_id().get(rule)
    if expected is not None:  # reused Enamel rule: its severity, citations and remediation
        assert (f["severity"], f["hipaa"], f["remediation"]) == (
            expected.severity,
            list(expected.hipaa),
            expected.remediation,
        )


@pytest.mark.parametrize(
    "resource, rtype, header, rule",
    [
        ("ScanBucket", "aws.s3_bucket", "ScanBucket:", "s3-bucket-public-access-block"),
        ("AuditTrail", "aws.cloudtrail_trail", "AuditTrail:", "cloudtrail-log-file-validation"),
        ("ScratchVolume", "aws.ebs_volume", "ScratchVolume:", "ebs-volume-encrypted"),
    ],
)
def test_fail_template_routed_to_enamel_rules_on_the_right_lines(scan, resource, rtype, header, rule):
    """`--iac` sends a CloudFormation template to Enamel's own source (issue 15): the finding is
    Enamel's rule on the normalised resource, pointing at the resource's lines, and checkov adds
    no second finding for the same control."""
    _, report, _ = scan
    hits = [
        f
        for f in report["findings"]
        if f["resource"]["id"] == f"{REL}/fail_imaging_stack.yaml#{resource}"  # several templates: ids qualified
        and f["rule_id"] == rule
        and f["location"]["path"].endswith("/fail_imaging_stack.yaml")
    ]
    assert len(hits) == 1 and hits[0]["status"] == "fail" and hits[0]["resource"]["type"] == rtype
    start, end = block("fail_imaging_stack.yaml", header)
    assert hits[0]["location"] == {"path": f"{REL}/fail_imaging_stack.yaml", "start_line": start, "end_line": end}
    assert not [f for f in report["findings"] if f["resource"]["id"].startswith(f"{REL}/fail_imaging_stack.yaml::")]


def test_terraform_plan_json_is_judged_by_enamel_as_a_plan(scan):
    _, report, _ = scan
    hits = [
        f
        for f in report["findings"]
        if f["resource"]["id"] == "aws_s3_bucket.plan_scans" and f["rule_id"] == "s3-bucket-kms-encryption"
    ]
    assert len(hits) == 1 and hits[0]["status"] == "fail"
    assert hits[0]["resource"]["source"] == "plan" and hits[0]["resource"]["type"] == "aws.s3_bucket"
    assert "terraform:fail_plan.tfplan.json" in report["scan"]["sources"]


def test_inline_checkov_skip_is_waived_with_its_reason(scan):
    _, report, _ = scan
    tf = by(report, "fail_phi_archive.tf", "aws_s3_bucket.exports", "s3-bucket-replication")
    assert tf["status"] == "waived"
    assert tf["waiver"] == {
        "rule": "s3-bucket-replication",
        "resource": f"{REL}/fail_phi_archive.tf::aws_s3_bucket.exports",
        "reason": "exports are regenerated from the archive, no replica needed",
        "owner": "inline #checkov:skip",
        "expires": None,
        "expired": False,
        "source": "inline",
    }
    # a template is judged by Enamel's own rules: checkov's skip metadata is checkov's, Enamel
    # findings are waived in a waivers file (docs/ci.md)
    cfn = [
        f
        for f in report["findings"]
        if f["resource"]["id"] == f"{REL}/fail_imaging_stack.yaml#ReferralsBucket"
        and f["rule_id"] == "s3-bucket-access-logging"
    ]
    assert [f["status"] for f in cfn] == ["fail"]
    # the suppression covers only its own check: the same bucket still fails the others
    assert by(report, "fail_phi_archive.tf", "aws_s3_bucket.exports", "s3-bucket-versioning")["status"] == "fail"


def test_sarif_passes_the_report_checks_and_points_at_lines(scan):
    _, report, out = scan
    sarif = json.loads((out / "enamel-report.sarif").read_text())
    check_sarif(sarif, report)
    results = sarif["runs"][0]["results"]
    failing = {(f["rule_id"], f["resource"]["id"]): f for f in report["findings"] if f["status"] in ("fail", "waived")}
    assert len(results) == len(failing) > 30
    for res in results:
        f = failing[(res["ruleId"], res["properties"]["resource"]["id"])]
        if "location" not in f:  # a plan JSON finding: the plan carries no source positions
            continue
        phys = res["locations"][0]["physicalLocation"]
        assert phys["artifactLocation"]["uri"] == f["location"]["path"]
        assert phys["region"] == {"startLine": f["location"]["start_line"], "endLine": f["location"]["end_line"]}
        if f["status"] == "waived":
            assert res["suppressions"] == [
                {"kind": "inSource", "status": "accepted", "justification": f["waiver"]["reason"]}
            ]


def test_junit_has_one_case_per_finding(scan):
    _, report, out = scan
    cases = [c for suite in JUnitXml.fromfile(str(out / "enamel-junit.xml")) for c in suite]
    assert len(cases) == len(report["findings"])


# --- checkov's JSON shapes, nothing to scan, failures ------------------------------------


def _cmd(files_or_dirs, flag, ruleset):
    m = checkov_map.load_map(ruleset)
    cmd = [
        str(CHECKOV),
        "-o",
        "json",
        "--skip-download",
        "--soft-fail",
        "--framework",
        *checkov.FRAMEWORKS,
        "--check",
        ",".join(m),
    ]
    for t in files_or_dirs:
        cmd += [flag, str(t)]
    return cmd


def test_checkov_json_shapes_one_framework_several_and_none(real_checkov, ruleset, tmp_path):
    one = json.loads(checkov.run(_cmd([FIX / "fail_phi_archive.tf"], "-f", ruleset), 300))
    several = json.loads(checkov.run(_cmd([FIX], "-d", ruleset), 300))
    none = json.loads(checkov.run(_cmd([tmp_path], "-d", ruleset), 300))
    assert isinstance(one, dict) and one["check_type"] == "terraform"
    assert isinstance(several, list) and {r["check_type"] for r in several} >= {
        "terraform",
        "cloudformation",
        "arm",
        "terraform_plan",
    }
    assert isinstance(none, dict) and none["resource_count"] == 0 and "check_type" not in none
    assert [r["check_type"] for r in checkov.parse(json.dumps(one))] == ["terraform"]
    assert len(checkov.parse(json.dumps(several))) == len(several)
    assert checkov.parse(json.dumps(none)) == []


def test_nothing_to_scan_is_complete_with_no_findings(real_checkov, tmp_path):
    (tmp_path / "README.md").write_text("no infrastructure here\n")
    out = tmp_path / "out"
    r = run_enamel("scan", "--iac", tmp_path, "--ci", "--format", "json", "--output-dir", out, env=checkov_env())
    assert r.returncode == 0, r.stderr
    report = json.loads((out / "enamel-report.json").read_text())
    validate_report(report)
    assert report["findings"] == [] and report["scan"]["complete"] is True


def test_unparsable_terraform_is_error_not_pass(real_checkov, tmp_path):
    (tmp_path / "broken.tf").write_text('resource "aws_s3_bucket" "x" {\n  bucket = \n')
    r = run_enamel("scan", "--iac", tmp_path, "--ci", "--format", "json", env=checkov_env())
    assert r.returncode == 3, r.stderr
    report = json.loads(r.stdout)
    validate_report(report)
    assert {f["status"] for f in report["findings"]} == {"error"}
    assert "s3-bucket-kms-encryption" in {f["rule_id"] for f in report["findings"]}
    assert report["errors"][0]["service"] == "checkov:terraform" and "could not parse" in report["errors"][0]["message"]


def fake_checkov(tmp_path, body: str) -> Path:
    p = tmp_path / "fake-checkov"
    p.write_text("#!/bin/sh\n" + body + "\n")
    p.chmod(p.stat().st_mode | stat.S_IXUSR)
    return p


@pytest.mark.parametrize(
    "body, says",
    [
        (
            'echo "Traceback (most recent call last):" >&2\necho "KeyError: boom" >&2\nexit 2',
            "exited with status 2: KeyError: boom",
        ),
        ('echo "checkov 3.3.30 says hello"', "printed no JSON report"),
        ("echo '{\"check_type\": 5}'", "unexpected shape"),
        ("exec sleep 30", "timed out after 1s"),
    ],
)
def test_checkov_crash_garbage_or_timeout_is_error_never_pass(tmp_path, ruleset, body, says):
    exe = fake_checkov(tmp_path, body)
    r = run_enamel(
        "scan",
        "--iac",
        FIX / "fail_phi_archive.tf",
        "--checkov",
        exe,
        "--checkov-timeout",
        "1",
        "--format",
        "json",
        "--fail-on-error",
        env=checkov_env(exe),
        timeout=60,
    )
    assert r.returncode == 3, r.stderr
    report = json.loads(r.stdout)
    validate_report(report)
    assert {f["status"] for f in report["findings"]} == {"error"}  # one per mapped rule, none passes
    assert len(report["findings"]) == len({m.rule.id for m in checkov_map.load_map(ruleset).values()})
    assert report["scan"]["complete"] is False and says in report["errors"][0]["message"]
    assert all(f["location"]["path"] == f"{REL}/fail_phi_archive.tf" for f in report["findings"])


def test_missing_checkov_setting_is_bad_input(tmp_path):
    r = run_enamel("scan", "--iac", FIX, "--checkov", tmp_path / "nope", env=checkov_env(tmp_path / "nope"))
    assert r.returncode == 2 and "checkov executable not found" in r.stderr


def test_missing_iac_path_is_bad_input():
    r = run_enamel("scan", "--iac", "no/such/dir", env=checkov_env())
    assert r.returncode == 2 and "no/such/dir: no such file or directory" in r.stderr


def test_no_checkov_anywhere_is_error_not_pass(monkeypatch, tmp_path, ruleset):
    from enamel_hipaa.core import paths

    monkeypatch.delenv("ENAMEL_CHECKOV", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(paths, "project_root", lambda: tmp_path)
    assert checkov.find_checkov() is None
    out = checkov.scan(None, "-d", [FIX], checkov_map.load_map(ruleset), 10)
    assert "checkov not found" in out.errors[0].message
    assert out.findings and {f.status for f in out.findings} == {"error"}


def test_waivers_file_applies_to_iac_findings(tmp_path, ruleset):
    from datetime import date

    from enamel_hipaa.core.engine import apply_waivers
    from enamel_hipaa.core.waivers import load_waivers

    m = checkov_map.load_map(ruleset)["CKV_AWS_21"]
    result = {
        "check_id": "CKV_AWS_21",
        "check_name": "versioning",
        "file_path": "/main.tf",
        "file_abs_path": str(tmp_path / "main.tf"),
        "file_line_range": [3, 9],
        "resource": "aws_s3_bucket.scans",
        "check_result": {"result": "FAILED", "evaluated_keys": ["versioning/enabled"]},
    }
    f = checkov.to_finding(
        [(m, "fail", result, checkov.resource_ref("terraform", "infra/main.tf", "aws_s3_bucket.scans"))]
    )
    assert f.location == {"path": "infra/main.tf", "start_line": 3, "end_line": 9}
    w = tmp_path / "w.yaml"
    w.write_text(
        "waivers:\n  - {rule: s3-bucket-versioning, resource: '*::aws_s3_bucket.scans', reason: migrating "
        "to object lock, owner: it, expires: '2099-01-01'}\n"
    )
    (f,) = apply_waivers([f], load_waivers(str(w), {r.id for r in ruleset.rules}, today=date(2026, 11, 24)))
    assert f.status == "waived" and f.to_dict()["waiver"]["source"] == "file"
