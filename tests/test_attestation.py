"""The attestation register source (--attest): real registers scanned by the real CLI, bad
registers rejected with file:line, the optional history input, and `enamel attest init`."""

import json
import sqlite3

import pytest

from attestation_fixtures import by_rule, day, register
from conftest import run_enamel, validate_report
from conftest import shipped_rules

ATTESTATION_RULES = sorted(r.id for r in shipped_rules().rules if r.provider == "attestation")
REGISTER_ONLY = [r for r in ATTESTATION_RULES if r != "attestation-external-party-baa"]


def scan(*args):
    """--fail-on none: the exit code is 0, or 3 exactly when the report says it is incomplete."""
    r = run_enamel("scan", *args, "--format", "json", "--fail-on", "none")
    assert r.returncode in (0, 3), r.stderr
    report = json.loads(r.stdout)
    validate_report(report)
    assert r.returncode == (0 if report["scan"]["complete"] else 3)
    return report


def test_pass_register_passes_every_register_rule(tmp_path):
    report = scan("--attest", register(tmp_path, "pass_register.yaml"))
    found = by_rule(report)
    assert sorted(found) == REGISTER_ONLY  # no register, no cross-check: no external parties
    bad = [
        (rid, f["resource"]["name"], f["status"])
        for rid, fs in found.items()
        for f in fs
        if f["status"] not in ("pass", "skip")
    ]
    assert bad == []
    for rid in REGISTER_ONLY:
        assert any(f["status"] == "pass" for f in found[rid]), rid
    assert all(f["resource"]["source"] == "attestation" for fs in found.values() for f in fs)


VENDOR_V2_RULES = [
    "attestation-baa-permitted-uses",
    "attestation-baa-required-safeguards",
    "attestation-baa-breach-notification",
    "attestation-baa-audit-return-destruction",
    "attestation-vendor-security-assessed",
    "attestation-vendor-restore-export-validated",
    "attestation-vendor-insurance-reviewed",
]
REGISTER_V2_RULES = [
    "attestation-encryption-standards-documented",
    "attestation-secure-messaging-under-baa",
    "attestation-downtime-procedures-exercised",
    "attestation-facility-access-reviewed",
    "attestation-screen-placement-reviewed",
    "attestation-asset-inventory-current",
    "attestation-training-curriculum-complete",
    "attestation-training-onboarding-and-refresh",
    "attestation-quick-reference-posted",
    "attestation-sanctions-policy-current",
    "attestation-incidents-investigated",
    "attestation-access-log-spot-checks",
    "attestation-duties-separated",
]
V2_RULES = VENDOR_V2_RULES + REGISTER_V2_RULES + ["attestation-training-acknowledged"]


def test_version_1_register_loads_and_its_unrecorded_sections_never_pass(tmp_path):
    report = scan("--attest", register(tmp_path, "pass_register_v1.yaml"))
    found = by_rule(report)
    statuses = {rid: {f["status"] for f in fs} for rid, fs in found.items()}
    assert {rid: s for rid, s in statuses.items() if rid not in V2_RULES and s - {"pass", "skip"}} == {}
    assert {rid: statuses[rid] for rid in V2_RULES} == {rid: {"fail"} for rid in V2_RULES}


def test_fail_register_fails_every_register_rule(tmp_path):
    report = scan("--attest", register(tmp_path, "fail_register.yaml"))
    found = by_rule(report)
    failed = {rid: sorted(f["resource"]["name"] for f in fs if f["status"] == "fail") for rid, fs in found.items()}
    assert failed == {
        "attestation-access-review-current": ["Fail Dental"],
        "attestation-disposal-certificate": ["USB cache SN-9"],
        "attestation-key-rotation-current": ["Fail Dental"],
        "attestation-restore-objectives-met": ["slow-point-archive", "stale-archive"],
        "attestation-restore-test-current": ["never-tested-archive", "stale-archive"],
        "attestation-retention-schedule-documented": ["Fail Dental"],
        "attestation-risk-analysis-after-change": ["Fail Dental"],
        "attestation-risk-analysis-annual": ["Fail Dental"],
        "attestation-training-current": ["emp-0001", "emp-0002"],
        "attestation-vendor-baa-current": ["Expired BAA Co", "No BAA Co"],
        "attestation-vendor-subcontractor-flow-down": ["No BAA Co"],
        **{rid: ["Expired BAA Co", "No BAA Co"] for rid in VENDOR_V2_RULES},
        **{rid: ["Fail Dental"] for rid in REGISTER_V2_RULES},
        "attestation-training-acknowledged": ["emp-0001", "emp-0002"],
    }
    sra = found["attestation-risk-analysis-after-change"][0]
    assert sra["evidence"] == {"sra_after_last_change": False}
    assert "1 trigger event(s) since" in sra["message"]
    assert "164.308(b)(1)" in found["attestation-vendor-baa-current"][0]["hipaa"]


def test_register_resources_carry_derived_facts(tmp_path):
    out = tmp_path / "res.json"
    r = run_enamel("collect", "--attest", register(tmp_path, "fail_register.yaml"), "-o", out)
    assert r.returncode == 0, r.stderr
    res = {(x["type"], x["name"]): x["properties"] for x in json.loads(out.read_text())["resources"]}
    stale = res[("attestation.restore_test", "stale-archive")]
    assert stale["within_policy_interval"] is False and stale["rto"] == {
        "target_hours": 4,
        "achieved_hours": 6,
        "met": False,
    }
    assert res[("attestation.restore_test", "never-tested-archive")]["tested"] is False
    vendor = res[("attestation.vendor", "Expired BAA Co")]["baa"]
    assert vendor["status"] == "expired" and vendor["valid_until"] == day(-1)
    reg = res[("attestation.register", "Fail Dental")]
    assert reg["risk_analysis"]["last_change"] == day(-100) and reg["risk_analysis"]["last_change_source"] == "register"
    # people appear by id only
    assert ("attestation.training_record", "emp-0002") in res


def _history(tmp_path, changed_at: str | None, table: str = "infrastructure_changes"):
    db = tmp_path / "history.db"
    con = sqlite3.connect(db)
    con.execute(f"CREATE TABLE {table} (changed_at TEXT)")
    if changed_at:
        con.execute(f"INSERT INTO {table} VALUES (?)", (changed_at,))
    con.commit()
    con.close()
    return db


@pytest.mark.parametrize("change_offset,expected", [(-40, "pass"), (-5, "fail")])
def test_history_change_after_risk_analysis_fails_it(tmp_path, change_offset, expected):
    reg = register(tmp_path, "pass_register.yaml")  # risk analysis 30 days ago
    db = _history(tmp_path, f"{day(change_offset)}T10:00:00Z")
    report = scan("--attest", reg, "--attest-history", db)
    (f,) = by_rule(report)["attestation-risk-analysis-after-change"]
    assert f["status"] == expected
    if expected == "fail":
        assert f"last change {day(change_offset)} (history)" in f["message"]


def test_empty_history_leaves_register_events(tmp_path):
    report = scan("--attest", register(tmp_path, "pass_register.yaml"), "--attest-history", _history(tmp_path, None))
    assert by_rule(report)["attestation-risk-analysis-after-change"][0]["status"] == "pass"


def test_history_that_fails_to_read_is_an_error_never_a_pass(tmp_path):
    db = tmp_path / "history.db"
    con = sqlite3.connect(db)  # a view that fails when queried (as a broken or newer history would)
    con.execute("CREATE VIEW infrastructure_changes AS SELECT no_such_function(1) AS changed_at")
    con.commit()
    con.close()
    report = scan("--attest", register(tmp_path, "pass_register.yaml"), "--attest-history", db)
    (f,) = by_rule(report)["attestation-risk-analysis-after-change"]
    assert f["status"] == "error" and "no_such_function" in f["message"]


def test_history_without_changes_table_exits_2(tmp_path):
    r = run_enamel(
        "scan",
        "--attest",
        register(tmp_path, "pass_register.yaml"),
        "--attest-history",
        _history(tmp_path, None, table="scans"),
        "--format",
        "json",
    )
    assert r.returncode == 2 and "infrastructure_changes" in r.stderr


def _set(old, new):
    def edit(text):
        assert old in text
        return text.replace(old, new, 1)

    return edit


def _line_of(path, needle, nth=1):
    hits = [i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    return hits[nth - 1]


@pytest.mark.parametrize(
    "edit,needle,message",
    [
        (_set("person_id: emp-0002", "person_id: Jane Doe"), "Jane Doe", "never a name"),
        (_set("person_id: emp-0002", "person_id: jane@example.com"), "jane@example", "never a name"),
        (_set("method: shred", "method: bin"), "method: bin", "is not one of"),
        (_set("keep_years: 7", "keep_years: 7, colour: red"), "colour", "Additional properties"),
        (_set('aws_accounts: ["444455556666"]', 'aws_accounts: ["4444"]'), '"4444"', "does not match"),
        (_set("name: Harbor IT Services", "name: Cloud PACS Co"), ("name: Cloud PACS Co", 2), "duplicate name"),
        (_set('last_completed: "<days:-10>"', "last_completed: 2999-01-01"), "2999-01-01", "in the future"),
        (_set('expires: "<days:300>"', "expires: 2001-01-01"), "2001-01-01", "before it was signed"),
        (_set("last_restore_test: {date:", "last_restore_test: {when:"), "last_restore_test", "'when' was unexpected"),
    ],
)
def test_bad_register_exits_2_naming_file_and_line(tmp_path, edit, needle, message):
    reg = register(tmp_path, "pass_register.yaml", edit)
    r = run_enamel("scan", "--attest", reg, "--format", "json")
    assert r.returncode == 2, r.stderr
    assert r.stdout == "" and "Traceback" not in r.stderr
    line = _line_of(reg, *needle) if isinstance(needle, tuple) else _line_of(reg, needle)
    assert f"{reg}:{line}" in r.stderr, r.stderr
    assert message in r.stderr
    assert "Jane" not in r.stderr and "jane@" not in r.stderr  # personal data is never echoed


@pytest.mark.parametrize("content", ["", "- just a list\n", "version: 1\ntenant: [unclosed\n"])
def test_empty_or_malformed_register_exits_2(tmp_path, content):
    p = tmp_path / "reg.yaml"
    p.write_text(content)
    r = run_enamel("scan", "--attest", p)
    assert r.returncode == 2 and str(p) in r.stderr and "Traceback" not in r.stderr


def test_missing_register_exits_2(tmp_path):
    r = run_enamel("scan", "--attest", tmp_path / "nope.yaml")
    assert r.returncode == 2 and "file not found" in r.stderr


def test_example_register_is_valid(tmp_path):
    r = run_enamel("collect", "--attest", "examples/attestation.yaml", "-o", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr


def _recorded_history(tmp_path, *resource_docs):
    """Enamel's own history database: one recorded scan per resources document."""
    db = tmp_path / "enamel-history.sqlite3"
    for i, doc in enumerate(resource_docs):
        path = tmp_path / f"resources-{i}.json"
        path.write_text(json.dumps(doc))
        r = run_enamel(
            "scan",
            "--resources",
            path,
            "--record",
            "--history",
            db,
            "--tenant",
            "Pass Dental",
            "--format",
            "json",
            "--fail-on",
            "none",
        )
        assert r.returncode == 0, r.stderr
    return db


def _bucket_doc(encrypted: bool) -> dict:
    return {
        "resources": [
            {
                "type": "aws.s3_bucket",
                "id": "xr",
                "name": "xr",
                "source": "file",
                "properties": {
                    "tags": {"data_class": "phi"},
                    "encryption": {"sse_algorithm": "aws:kms" if encrypted else None},
                },
            }
        ]
    }


def test_fail_enamel_history_with_a_change_after_the_risk_analysis(tmp_path):
    db = _recorded_history(tmp_path, _bucket_doc(True), _bucket_doc(False))  # a property changed today
    report = scan("--attest", register(tmp_path, "pass_register.yaml"), "--attest-history", db)
    (f,) = by_rule(report)["attestation-risk-analysis-after-change"]
    assert f["status"] == "fail" and "(history)" in f["message"]


def test_pass_enamel_history_without_changes(tmp_path):
    db = _recorded_history(tmp_path, _bucket_doc(True), _bucket_doc(True))
    report = scan("--attest", register(tmp_path, "pass_register.yaml"), "--attest-history", db)
    assert by_rule(report)["attestation-risk-analysis-after-change"][0]["status"] == "pass"


# ---------------------------------------------------------------------------------------
# register format 2: migration and the new sections' input checks


def test_migrating_a_version_1_register_writes_version_2_whose_new_rules_fail(tmp_path):
    from enamel_hipaa.workflows.attest import migrate_file

    src = register(tmp_path, "pass_register_v1.yaml")
    before = src.read_text()
    out = migrate_file(str(src), str(tmp_path / "v2.yaml"))
    assert src.read_text() == before  # -o leaves the original alone
    text = out.read_text()
    assert "\nversion: 2\n" in text and text.startswith(before.split("version: 1")[0])
    assert migrate_file(str(out)) is None  # already version 2: nothing to do
    statuses = {rid: {f["status"] for f in fs} for rid, fs in by_rule(scan("--attest", out)).items()}
    # "never" dates (null) read as unknown, everything else as fail: none passes
    never = {"attestation-facility-access-reviewed", "attestation-screen-placement-reviewed"}
    assert {rid: statuses[rid] for rid in V2_RULES} == {
        rid: {"unknown" if rid in never else "fail"} for rid in V2_RULES
    }
    assert all(s <= {"pass", "skip"} for rid, s in statuses.items() if rid not in V2_RULES)


def test_a_future_date_in_a_version_2_section_is_rejected_naming_its_place(tmp_path):
    from enamel_hipaa.core.errors import InputError
    from enamel_hipaa.sources.attestation import load_register

    path = register(
        tmp_path,
        "pass_register.yaml",
        edit=lambda t: t.replace('last_exercised: "<days:-200>"', 'last_exercised: "<days:30>"'),
    )
    with pytest.raises(InputError) as exc:
        load_register(str(path))
    assert "downtime/last_exercised" in str(exc.value) and "future" in str(exc.value)


def test_secure_messaging_service_missing_from_the_vendors_list_fails(tmp_path):
    path = register(
        tmp_path, "pass_register.yaml", edit=lambda t: t.replace("service: SecureMail Co", "service: Gmail")
    )
    (finding,) = by_rule(scan("--attest", path))["attestation-secure-messaging-under-baa"]
    assert finding["status"] == "fail" and "on the vendors list false" in finding["message"]


def test_pass_cli_migrate_writes_a_version_2_register_that_still_loads(tmp_path):
    v1 = register(tmp_path, "pass_register_v1.yaml")
    out = tmp_path / "v2.yaml"
    r = run_enamel("attest", "migrate", v1, "-o", out)
    assert r.returncode == 0, r.stderr
    assert "version: 2" in out.read_text()
    assert run_enamel("attest", "migrate", out).stderr.strip().endswith("is already version 2")
    report = scan("--attest", out)
    assert report["findings"]
