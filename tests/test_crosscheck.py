"""Cross-check of the attestation register against live access, `enamel attest init`, and the
"Administrative safeguards" report section."""

import json

import pytest

import awsstack as stack
from attestation_fixtures import FIXTURES, by_rule, register
from conftest import run_enamel, validate_report
from enamel_hipaa.workflows import crosscheck
from enamel_hipaa.sources import Collection
from enamel_hipaa.core.model import CollectionError, Resource

OWN_ACCOUNT = "111122223333"
CURRENT, EXPIRED, UNLISTED = "444455556666", "555566667777", "999900001111"


@pytest.fixture(scope="module")
def live_sources(moto_account):
    """CLI source options for a live (moto) AWS account 111122223333, scanned through the
    audit role, with a role trusted by an account whose vendor's BAA is current
    (444455556666), one whose BAA expired (555566667777) and one in no vendor's list
    (999900001111), plus PHI buckets and a key shared across accounts. (Unreadable values
    keep their resources file, live_values_unreadable.json: moto cannot deny a read.)"""
    stack.provision_vendor_access(
        stack.session(OWN_ACCOUNT),
        OWN_ACCOUNT,
        [CURRENT, EXPIRED, UNLISTED],
        bucket_reader=CURRENT,
        replica_account=EXPIRED,
        key_user=CURRENT,
    )
    return [
        "--aws",
        "--regions",
        stack.HOME,
        "--role-arn",
        f"arn:aws:iam::{OWN_ACCOUNT}:role/{stack.AUDIT_ROLE}",
        "--external-id",
        stack.EXTERNAL_ID,
    ]


def scan(*args):
    """--fail-on none: exit 0, or 3 exactly when the report says the scan is incomplete."""
    r = run_enamel("scan", *map(str, args), "--format", "json", "--fail-on", "none")
    assert r.returncode in (0, 3), r.stderr
    report = json.loads(r.stdout)
    validate_report(report)
    assert r.returncode == (0 if report["scan"]["complete"] else 3)
    return report


def parties(report):
    return {f["resource"]["name"]: f for f in by_rule(report).get("attestation-external-party-baa", [])}


def test_role_trusted_by_current_expired_and_unlisted_accounts(tmp_path, live_sources):
    report = scan(*live_sources, "--attest", register(tmp_path, "crosscheck_register.yaml"))
    found = parties(report)
    assert sorted(found) == [f"AWS account {a}" for a in (CURRENT, EXPIRED, UNLISTED)]  # own account excluded
    current, expired, unlisted = (found[f"AWS account {a}"] for a in (CURRENT, EXPIRED, UNLISTED))
    assert current["status"] == "pass"
    assert expired["status"] == "fail" and "BAA expired" in expired["message"]
    assert "Expired Teleradiology Co" in expired["message"]
    assert unlisted["status"] == "fail" and "BAA missing" in unlisted["message"]
    assert unlisted["severity"] == "critical" and "164.314(a)" in unlisted["hipaa"]
    assert "role/vendor-access trust policy" in unlisted["message"]
    # the same account seen through several doors is one party listing all of them
    assert all(w in current["message"] for w in ("trust policy", "bucket policy", "key policy"))
    assert "replication destination" in expired["message"]


def test_phi_bucket_without_restore_test_fails(tmp_path, live_sources):
    report = scan(*live_sources, "--attest", register(tmp_path, "crosscheck_register.yaml"))
    tests = {f["resource"]["name"]: f["status"] for f in by_rule(report)["attestation-restore-test-current"]}
    assert tests == {"xray-archive": "pass", "cc-untested-phi": "fail"}  # cc-xray-archive is covered


def test_without_register_there_is_no_cross_check(live_sources):
    report = scan(*live_sources)
    assert by_rule(report) == {}
    assert not any(f["resource"]["type"].startswith("attestation.") for f in report["findings"])


def test_unreadable_live_values_are_unknown_or_error_never_pass(tmp_path):
    report = scan(
        "--resources",
        FIXTURES / "live_values_unreadable.json",
        "--attest",
        register(tmp_path, "crosscheck_register.yaml"),
    )
    found = by_rule(report)["attestation-external-party-baa"]
    by_where = {f["resource"]["name"]: f["status"] for f in found}
    assert by_where == {
        "unreadable (aws.iam_role/arn:aws:iam::111122223333:role/denied trust policy)": "unknown",
        "unreadable (aws.s3_bucket/arn:aws:s3:::timeout bucket policy)": "error",
        "unreadable (aws.s3_bucket/arn:aws:s3:::timeout replication destination)": "unknown",
        "unreadable (aws.kms_key/arn:aws:kms:us-east-1:111122223333:key/broken key policy)": "error",
        "unreadable (aws.iam_role in every region (aws/iam))": "error",
    }
    assert report["scan"]["complete"] is False


def _role(accounts, account=OWN_ACCOUNT):
    return Resource(
        "aws.iam_role", f"arn:aws:iam::{account}:role/r", "r", "live", {"trusted_accounts": accounts}, account=account
    )


def _register_resources(tmp_path):
    from enamel_hipaa.sources.attestation import collect
    from enamel_hipaa.sources.config import AttestationSource

    return collect(AttestationSource(path=str(register(tmp_path, "crosscheck_register.yaml")))).resources


def test_enrich_is_a_no_op_without_register():
    col = Collection(resources=[_role([UNLISTED])])
    assert crosscheck.enrich(col).resources == [_role([UNLISTED])]


def test_enrich_normalises_principal_arns_and_is_idempotent(tmp_path):
    col = Collection(resources=[_role([f"arn:aws:iam::{UNLISTED}:root", UNLISTED]), *_register_resources(tmp_path)])
    crosscheck.enrich(col)
    first = [r for r in col.resources if r.type == "attestation.external_party"]
    crosscheck.enrich(col)
    again = [r for r in col.resources if r.type == "attestation.external_party"]
    assert [r.id for r in first] == [r.id for r in again] == [f"external:aws_account:{UNLISTED}"]
    assert again[0].properties["baa_status"] == "missing" and again[0].properties["vendor"] is None


def test_value_not_reported_yields_an_unknown_party(tmp_path):
    role = Resource("aws.iam_role", "arn:aws:iam::111122223333:role/plan", "plan", "plan", {"arn": "x"})
    col = crosscheck.enrich(Collection(resources=[role, *_register_resources(tmp_path)]))
    (party,) = [r for r in col.resources if r.type == "attestation.external_party"]
    assert party.properties["baa_status"] == {"$unknown": "trusted_accounts of plan was not reported"}


def test_collection_error_on_a_watched_type_yields_an_error_party(tmp_path):
    col = Collection(
        resources=_register_resources(tmp_path),
        errors=[CollectionError("aws", "kms", "AccessDenied", region="eu-west-1", resource_type="aws.kms_key")],
    )
    crosscheck.enrich(col)
    (party,) = [r for r in col.resources if r.type == "attestation.external_party"]
    assert "$error" in party.properties["baa_status"]


def test_collect_then_scan_recomputes_instead_of_duplicating(tmp_path, live_sources):
    reg = register(tmp_path, "crosscheck_register.yaml")
    out = tmp_path / "collected.json"
    assert run_enamel("collect", *live_sources, "--attest", reg, "-o", out).returncode == 0
    direct = {k: f["status"] for k, f in parties(scan(*live_sources, "--attest", reg)).items()}
    replayed = parties(scan("--resources", out))
    assert {k: f["status"] for k, f in replayed.items()} == direct
    ids = [f["resource"]["id"] for f in by_rule(scan("--resources", out))["attestation-external-party-baa"]]
    assert len(ids) == len(set(ids))


# ---------------------------------------------------------------------------------------
# enamel attest init


def test_attest_init_round_trip(tmp_path, live_sources):
    out = tmp_path / "register.yaml"
    r = run_enamel("attest", "init", *live_sources, "--tenant", "Round Trip Dental", "-o", out)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert text.startswith("# Attestation register") and "role/vendor-access trust policy" in text
    for acct in (CURRENT, EXPIRED, UNLISTED):
        assert f'aws_accounts: ["{acct}"]' in text
    assert f'aws_accounts: ["{OWN_ACCOUNT}"]' not in text
    # the starter validates and scans: every party is named now, none has a BAA yet
    report = scan(*live_sources, "--attest", out)
    found = parties(report)
    assert {f["status"] for f in found.values()} == {"fail"} and len(found) == 3
    assert all("vendor using AWS account" in f["message"] for f in found.values())
    systems = {f["resource"]["name"]: f["status"] for f in by_rule(report)["attestation-restore-test-current"]}
    assert systems == {"cc-untested-phi": "fail", "cc-xray-archive": "fail"}  # PHI buckets, never tested
    assert by_rule(report)["attestation-risk-analysis-annual"][0]["status"] == "fail"


def test_attest_init_refuses_to_overwrite_without_force(tmp_path, live_sources):
    out = tmp_path / "register.yaml"
    out.write_text("keep me\n")
    r = run_enamel("attest", "init", *live_sources, "-o", out)
    assert r.returncode == 2 and "--force" in r.stderr
    assert out.read_text() == "keep me\n"
    assert run_enamel("attest", "init", *live_sources, "-o", out, "--force").returncode == 0
    assert out.read_text().startswith("# Attestation register")
    assert [p.name for p in tmp_path.iterdir()] == ["register.yaml"]  # no temp file left behind


def test_attest_init_without_sources_writes_a_blank_valid_starter(tmp_path):
    out = tmp_path / "blank.yaml"
    assert run_enamel("attest", "init", "-o", out).returncode == 0
    assert "vendors: []" in out.read_text() and "\nversion: 2\n" in out.read_text()
    report = scan("--attest", out)
    assert by_rule(report)["attestation-key-rotation-current"][0]["status"] == "fail"
    # the format-2 sections are written "not recorded": none of their rules passes
    for rid in (
        "attestation-downtime-procedures-exercised",
        "attestation-asset-inventory-current",
        "attestation-training-curriculum-complete",
        "attestation-secure-messaging-under-baa",
        "attestation-sanctions-policy-current",
        "attestation-encryption-standards-documented",
    ):
        assert by_rule(report)[rid][0]["status"] == "fail", rid


# ---------------------------------------------------------------------------------------
# reports


@pytest.fixture(scope="module")
def demo_reports(demo_run):
    assert demo_run.proc.returncode == 1, demo_run.proc.stderr
    validate_report(demo_run.report())
    return demo_run.out


GROUP_TITLES = (
    "Vendors and business associate agreements",
    "Security risk analysis",
    "Workforce training",
    "Contingency plan: restore tests",
    "Retention and media disposal",
)


def test_html_report_has_administrative_safeguards(demo_reports):
    html = (demo_reports / "enamel-report.html").read_text()
    section = html.split('<section id="administrative-safeguards">')[1].split("</section>")[0]
    assert "<h2>Administrative safeguards</h2>" in section
    for title in GROUP_TITLES:
        assert f"<h3>{title}</h3>" in section
    assert "AWS account 999900001111" in section and "attestation-external-party-baa" in section


def test_markdown_report_has_administrative_safeguards(demo_reports):
    md = (demo_reports / "enamel-report.md").read_text()
    section = md.split("## Administrative safeguards")[1].split("\n## ")[0]
    for title in GROUP_TITLES:
        assert f"### {title}" in section
    assert "| fail | Every outside account with access to ePHI" in section


def test_reports_without_register_say_not_assessed(tmp_path, live_sources):
    r = run_enamel(
        "scan", *live_sources, "--format", "json,markdown,html", "--output-dir", tmp_path, "--fail-on", "none"
    )
    assert r.returncode == 0, r.stderr
    validate_report(json.loads((tmp_path / "enamel-report.json").read_text()))
    assert "Not assessed: no attestation register was scanned" in (tmp_path / "enamel-report.md").read_text()
    assert "Not assessed: no attestation register was scanned" in (tmp_path / "enamel-report.html").read_text()
