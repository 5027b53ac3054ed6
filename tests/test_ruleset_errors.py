"""A malformed rule stops everything with one line naming file and line, exit 2."""

import textwrap

import pytest

from conftest import run_enamel

GOOD = """\
id: {id}
title: Buckets keep object versions
severity: high
resource: aws.s3_bucket
hipaa: ["164.312(c)(1)"]
assert: {{key: versioning.status, op: eq, value: Enabled}}
message: "bucket {{name}} versioning {{versioning.status}}"
remediation: Enable versioning.
"""


def write_rule(root, rid, text, provider="aws"):
    d = root / provider
    d.mkdir(parents=True, exist_ok=True)
    p = d / f"{rid}.yaml"
    p.write_text(textwrap.dedent(text))
    return p


@pytest.mark.parametrize(
    "name,text,line,needle",
    [
        ("fail-bad-yaml", GOOD.format(id="fail-bad-yaml").replace("severity: high", "severity: [high"), 4, "at line 3"),
        (
            "fail-unknown-operator",
            GOOD.format(id="fail-unknown-operator").replace("op: eq", "op: equals"),
            6,
            "unknown operator 'equals'",
        ),
        (
            "fail-key-not-in-schema",
            GOOD.format(id="fail-key-not-in-schema").replace("key: versioning.status", "key: versioning.statsu"),
            6,
            "not in the resource type's schema",
        ),
        (
            "fail-citation",
            GOOD.format(id="fail-citation").replace("164.312(c)(1)", "164.999(z)"),
            5,
            "not in rules/hipaa.yaml",
        ),
        ("fail-id-mismatch", GOOD.format(id="another-id"), 1, "must equal the file name"),
        (
            "fail-bad-regex",
            GOOD.format(id="fail-bad-regex").replace("op: eq, value: Enabled", "op: regex, value: '(unclosed'"),
            6,
            "invalid value for regex",
        ),
        (
            "fail-undeclared-param",
            GOOD.format(id="fail-undeclared-param").replace("value: Enabled", "value: '{{ wanted }}'"),
            6,
            "not declared",
        ),
        ("fail-unknown-field", GOOD.format(id="fail-unknown-field") + "severty: low\n", 9, "Additional properties"),
        (
            "fail-missing-message",
            GOOD.format(id="fail-missing-message").replace(
                'message: "bucket {name} versioning {versioning.status}"\n', ""
            ),
            1,
            "'message' is a required property",
        ),
        (
            "fail-bad-placeholder",
            GOOD.format(id="fail-bad-placeholder").replace("{versioning.status}", "{versioning.stat}"),
            7,
            "message placeholder",
        ),
        ("fail-duplicate-key", GOOD.format(id="fail-duplicate-key") + "severity: low\n", 9, "duplicate key 'severity'"),
        ("fail-wrong-provider-dir", GOOD.format(id="fail-wrong-provider-dir"), 4, "does not belong under rules/azure/"),
    ],
)
def test_malformed_rule_exits_2_with_file_and_line(tmp_path, name, text, line, needle):
    provider = "azure" if name == "fail-wrong-provider-dir" else "aws"
    path = write_rule(tmp_path, name, text, provider)
    r = run_enamel("rules", "validate", tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert f"{path}:{line}" in lines[0], lines[0]
    assert needle in lines[0], lines[0]


def test_duplicate_id_across_files_exits_2(tmp_path):
    write_rule(tmp_path, "same-rule", GOOD.format(id="same-rule"))
    sub = tmp_path / "aws" / "more"
    sub.mkdir()
    (sub / "same-rule.yaml").write_text(GOOD.format(id="same-rule"))
    r = run_enamel("rules", "validate", tmp_path)
    assert r.returncode == 2 and "duplicate rule id 'same-rule'" in r.stderr and ":1" in r.stderr


def test_valid_custom_rules_dir_passes(tmp_path):
    write_rule(tmp_path, "pass-custom-rule", GOOD.format(id="pass-custom-rule"))
    r = run_enamel("rules", "validate", tmp_path)
    assert r.returncode == 0 and "1 rules valid" in r.stdout


def test_builtin_rules_validate():
    r = run_enamel("rules", "validate")
    assert r.returncode == 0, r.stderr


def test_scan_with_malformed_extra_rules_exits_2(tmp_path):
    write_rule(tmp_path, "fail-scan-rule", GOOD.format(id="fail-scan-rule").replace("op: eq", "op: nope"))
    r = run_enamel("scan", "--rules", tmp_path, "--resources", "enamel_hipaa/workflows/demo/practice.yaml")
    assert r.returncode == 2 and "fail-scan-rule.yaml:6" in r.stderr
