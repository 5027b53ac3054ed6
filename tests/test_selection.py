"""Choosing rules at scan time (--rule, --skip-rule, --severity, --provider, --hipaa) and a
rules directory citing paragraphs of its own."""

import json

import pytest

from conftest import run_enamel
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.ruleset import load_rules, select_rules


def test_pass_globs_keep_and_skip_rules(ruleset):
    chosen = select_rules(ruleset, ids=("s3-*",), skip=("*lifecycle*",))
    ids = {r.id for r in chosen.rules}
    assert ids and all(i.startswith("s3-") and "lifecycle" not in i for i in ids)
    assert chosen.digest != ruleset.digest


def test_pass_severity_provider_and_paragraph_filters(ruleset):
    crit = select_rules(ruleset, severities=("critical",), providers=("aws",))
    assert crit.rules and {(r.severity, r.provider) for r in crit.rules} == {("critical", "aws")}
    technical = select_rules(ruleset, hipaa=("164.312",))
    assert technical.rules and all(any(c.startswith("164.312(") for c in r.hipaa) for r in technical.rules)


def test_pass_no_filter_is_the_whole_ruleset(ruleset):
    assert select_rules(ruleset) is ruleset


@pytest.mark.parametrize(
    "kw,needle",
    [
        ({"providers": ("gcp",)}, "unknown provider"),
        ({"hipaa": ("164.999",)}, "not a paragraph"),
        ({"ids": ("no-such-*",)}, "selects no rule"),
    ],
)
def test_error_selection_matching_nothing_is_bad_input(ruleset, kw, needle):
    with pytest.raises(InputError, match=needle):
        select_rules(ruleset, **kw)


def test_pass_rules_dir_extends_the_citation_catalogue(tmp_path):
    (tmp_path / "hipaa.yaml").write_text(
        "citations:\n  164.308(a)(2):\n    title: Assigned security responsibility\n"
        "    safeguard: administrative\n    family: Security management\n    kind: standard\n"
    )
    d = tmp_path / "attestation"
    d.mkdir()
    (d / "security-official-named.yaml").write_text(
        "id: security-official-named\ntitle: A security official is named\nseverity: medium\n"
        "resource: attestation.register\nhipaa: ['164.308(a)(2)']\nseed: []  # practice-specific\n"
        "assert: {key: tenant, op: present}\nmessage: 'register {name}'\nremediation: Name one.\n"
    )
    rs = load_rules([tmp_path])
    assert "security-official-named" in rs.by_id() and "164.308(a)(2)" in rs.catalogue


def test_fail_unknown_provider_on_the_command_line_exits_2():
    r = run_enamel("rules", "list", "--provider", "gcp")
    assert r.returncode == 2 and "unknown provider 'gcp'" in r.stderr and "Traceback" not in r.stderr


def test_pass_rules_list_json_with_filters():
    r = run_enamel("rules", "list", "--provider", "aws", "--severity", "critical", "--format", "json")
    rows = json.loads(r.stdout)
    assert r.returncode == 0 and rows and {(x["provider"], x["severity"]) for x in rows} == {("aws", "critical")}


def _project(tmp_path, extra: str = "") -> None:
    from enamel_hipaa.core import paths

    practice = paths.demo_dir() / "practice.yaml"
    (tmp_path / "enamel.yaml").write_text(
        f"version: 1\ntenants:\n  - name: bright-smile\n    resources: [{practice}]\n{extra}"
    )


def test_pass_project_file_in_the_working_directory_sets_sources_selection_and_fail_on(tmp_path):
    _project(tmp_path, "    fail_on: none\n    select: {rules: ['s3-*']}\n")
    r = run_enamel("scan", "--format", "json", cwd=tmp_path)
    report = json.loads(r.stdout)
    assert r.returncode == 0 and report["scan"]["tenant"] == "bright-smile" and report["scan"]["fail_on"] == "none"
    assert {f["rule_id"] for f in report["findings"]} and all(
        f["rule_id"].startswith("s3-") for f in report["findings"]
    )


def test_pass_command_line_overrides_the_project_file(tmp_path):
    _project(tmp_path, "    fail_on: none\n    select: {rules: ['s3-*']}\n")
    r = run_enamel(
        "scan", "--project", tmp_path / "enamel.yaml", "--rule", "iam-*", "--fail-on", "critical", "--format", "json"
    )
    report = json.loads(r.stdout)
    assert report["scan"]["fail_on"] == "critical"
    assert report["findings"] and all(f["rule_id"].startswith("iam-") for f in report["findings"])


def test_fail_project_file_with_a_misspelt_key_names_file_and_line(tmp_path):
    _project(tmp_path, "    fail_onn: none\n")
    r = run_enamel("scan", "--format", "json", cwd=tmp_path)
    assert r.returncode == 2 and "enamel.yaml" in r.stderr and "Traceback" not in r.stderr
