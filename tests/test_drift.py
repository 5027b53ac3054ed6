"""Drift over three recorded scans (an archive loses encryption, a share gains it, a new
public bucket appears) and plan-vs-live drift. Every JSON drift is schema-validated."""

import json
from datetime import datetime, timedelta, timezone

import jsonschema
import pytest

from conftest import run_enamel
from drift_scenario import ARCHIVE, FIXTURES, LOGS, PUBLIC, REFERRALS, TENANT, record_scan, recorded  # noqa: F401
from enamel_hipaa.workflows import drift
from enamel_hipaa.outputs import history
from enamel_hipaa.core import paths
from enamel_hipaa.sources.resources_file import read
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.model import Resource
from test_history import scan_report

PLAN = FIXTURES / "plan_drift" / "plan_declares_encrypted_buckets.yaml"
LIVE = FIXTURES / "plan_drift" / "live_fail_archive_unencrypted_public_bucket_unmanaged.yaml"

pytestmark = pytest.mark.usefixtures("moto_account")  # the drift scenario's account (conftest)


def validate_drift(doc: dict) -> dict:
    schema = json.loads((paths.schema_dir() / "drift.schema.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls(schema, format_checker=cls.FORMAT_CHECKER).validate(doc)
    return doc


def drift_json(*args):
    r = run_enamel("drift", *args, "--format", "json")
    assert r.returncode == 0, r.stderr
    return validate_drift(json.loads(r.stdout))


def pairs(items):
    return {(f["rule_id"], f["resource"]["id"]) for f in items}


def changes(doc):
    return {(p["resource"]["id"], p["key"]): (p["before"], p["after"]) for p in doc["properties_changed"]}


def test_fail_bucket_losing_encryption_is_a_new_failure_and_gaining_it_resolves(recorded):
    db, ids = recorded
    doc = drift_json("--history", db, "--from", ids[0][:10], "--to", ids[1])
    assert doc["from"]["id"] == ids[0] and doc["to"]["id"] == ids[1] and doc["tenant"] == TENANT
    new, resolved = pairs(doc["new_failures"]), pairs(doc["resolved_failures"])
    assert {("s3-bucket-encrypted-at-rest", ARCHIVE), ("s3-bucket-kms-encryption", ARCHIVE)} <= new
    assert {("s3-bucket-encrypted-at-rest", REFERRALS), ("s3-bucket-kms-encryption", REFERRALS)} <= resolved
    assert all(f["resource"]["id"] == ARCHIVE for f in doc["new_failures"])
    assert {f["now_status"] for f in doc["resolved_failures"]} == {"pass"}
    assert all(f["hipaa"] for f in doc["new_failures"])
    ch = changes(doc)
    assert ch[(ARCHIVE, "encryption.sse_algorithm")] == ("aws:kms", "none")
    assert ch[(REFERRALS, "encryption.sse_algorithm")] == ("none", "aws:kms")
    assert doc["resources_added"] == [] and doc["resources_removed"] == []


def added_buckets(doc):
    """The buckets added (a new bucket also adds Macie's view of it, aws.macie_bucket, same name)."""
    added = doc["resources_added"]
    assert {r["type"] for r in added} <= {"aws.s3_bucket", "aws.macie_bucket"}, added
    assert sorted(r["name"] for r in added if r["type"] == "aws.macie_bucket") == sorted(
        r["name"] for r in added if r["type"] == "aws.s3_bucket"
    )
    return [r["id"] for r in added if r["type"] == "aws.s3_bucket"]


def test_fail_new_public_bucket_is_added_with_new_critical_failures(recorded):
    db, ids = recorded
    doc = drift_json("--history", db)  # default: the previous scan vs the latest
    assert (doc["from"]["id"], doc["to"]["id"], doc["baseline"]) == (ids[1], ids[2], "previous scan")
    assert added_buckets(doc) == [PUBLIC]
    new = pairs(doc["new_failures"])
    assert {("s3-bucket-public-access-block", PUBLIC), ("s3-bucket-no-public-grants", PUBLIC)} <= new
    assert doc["new_failures"][0]["severity"] == "critical"  # most severe first
    assert ("s3-bucket-versioning", PUBLIC) not in new  # waived: not a failure
    opened = {(f["rule_id"], f["resource"]["id"]): f for f in doc["open_failures"]}
    # still open since scan 2, when the archive lost its encryption (not scan 1)
    scans = {s["id"]: s for s in history.scans(history.connect(db), TENANT)}
    assert opened[("s3-bucket-encrypted-at-rest", ARCHIVE)]["first_seen"] == scans[ids[1]]["started_at"]
    assert doc["resolved_failures"] == [] and doc["properties_changed"] == []


def test_pass_waivers_expiring_soon_are_listed(recorded):
    db, _ = recorded
    doc = drift_json("--history", db)
    assert [(w["rule"], w["days_left"]) for w in doc["waivers_expiring"]] == [("s3-bucket-key-enabled", 10)]
    wider = drift_json("--history", db, "--waiver-days", "365")
    assert len(wider["waivers_expiring"]) == 2


def test_pass_since_falls_back_to_the_oldest_scan_and_renders_markdown(recorded):
    db, ids = recorded
    doc = drift_json("--history", db, "--since", "7d")
    assert doc["from"]["id"] == ids[0] and "oldest recorded scan" in doc["baseline"]
    assert added_buckets(doc) == [PUBLIC]
    md = run_enamel("drift", "--history", db, "--since", "7d", "--format", "markdown")
    assert md.returncode == 0 and "## New failures" in md.stdout and "## Resolved failures" in md.stdout
    assert "`encryption.sse_algorithm` | aws:kms | none" in md.stdout
    table = run_enamel("drift", "--history", db, "--fail-on-drift")
    assert table.returncode == 1 and "New failures" in table.stdout


def test_pass_since_picks_the_last_scan_at_or_before_the_cutoff(new_history, ruleset):
    conn = history.connect(new_history())
    now = datetime.now(timezone.utc)
    ids = []
    for step, days in ((1, 10), (2, 8), (3, 1)):
        report, resources = scan_report(ruleset, step, now - timedelta(days=days))
        ids.append(history.record(conn, report, resources, now=now))
    frm, to, how = drift.pick_scans(conn, TENANT, since="7d", now=now)
    assert (frm["id"], to["id"]) == (ids[1], ids[2]) and how.startswith("last scan at or before")
    doc = validate_drift(drift.scan_drift(conn, frm, to, ruleset.rules, TENANT, how))
    ages = {(f["rule_id"], f["resource"]["id"]): f["age_days"] for f in doc["open_failures"]}
    assert ages[("s3-bucket-encrypted-at-rest", ARCHIVE)] == 7  # open since scan 2, 8 days ago
    with pytest.raises(InputError, match="expected a number and a unit"):
        drift.pick_scans(conn, TENANT, since="last week", now=now)


def test_pass_relevant_keys_come_from_the_rules_assert_and_where(ruleset):
    keys = drift.relevant_keys(ruleset.rules)["aws.s3_bucket"]
    assert "encryption.sse_algorithm" in keys and "versioning.status" in keys
    assert "tags.data_class" in keys  # from the `where` scope of the PHI rules
    assert "encryption.kms_key_id" not in keys and "arn" not in keys  # no rule reads them
    assert "s3-bucket-kms-encryption" in keys["encryption.kms_key_managed_by"]


def test_fail_drift_refuses_ambiguous_or_missing_history(new_history, store_kind):
    db = new_history()
    r = run_enamel("drift", "--history", db)
    empty = "no scan history" if store_kind == "sqlite" else "no recorded scans"  # a file, or a database
    assert r.returncode == 2 and empty in r.stderr
    record_scan(db, 1)
    r = run_enamel("drift", "--history", db)
    assert r.returncode == 2 and "only one recorded scan" in r.stderr
    record_scan(db, 2, tenant="Other Practice")
    r = run_enamel("drift", "--history", db)
    assert r.returncode == 2 and "pass --tenant" in r.stderr
    r = run_enamel("drift", "--history", db, "--tenant", TENANT, "--from", "nope")
    assert r.returncode == 2 and "no scan with id 'nope'" in r.stderr


# --- plan vs live ---------------------------------------------------------------------


def test_fail_encryption_disabled_live_differs_from_plan():
    r = run_enamel(
        "drift", "--desired", "--resources", PLAN, "--resources", LIVE, "--format", "json", "--fail-on-drift"
    )
    assert r.returncode == 1, r.stderr
    doc = validate_drift(json.loads(r.stdout))
    differs = {
        (p["resource"]["id"], p["key"]): (p["desired"], p["actual"])
        for p in doc["properties"]
        if p["status"] == "differs"
    }
    assert differs[(ARCHIVE, "encryption.sse_algorithm")] == ("aws:kms", "none")
    assert differs[(ARCHIVE, "encryption.kms_key_managed_by")] == ("customer", "none")
    assert all(rid == ARCHIVE for rid, _ in differs)
    assert [r["id"] for r in doc["unmanaged"]] == [PUBLIC]
    assert [r["id"] for r in doc["missing"]] == ["arn:aws:s3:::bsd-access-logs"]
    assert {m["by"] for m in doc["matched"]} == {"id"}


def test_fail_unknown_desired_value_is_not_comparable_never_a_match(ruleset):
    doc = drift.plan_drift(read(str(PLAN)).resources + read(str(LIVE)).resources, ruleset.rules)
    validate_drift(doc)
    nc = [p for p in doc["properties"] if p["status"] == "not_comparable"]
    assert [(p["resource"]["id"], p["key"]) for p in nc] == [(REFERRALS, "encryption.kms_key_managed_by")]
    assert nc[0]["desired"] == {"$unknown": "computed: key created in the same deployment"}
    assert nc[0]["actual"] == "customer" and nc[0]["reason"].startswith("unknown: computed")


def test_pass_match_by_name_when_the_planned_id_is_not_known_yet(ruleset):
    props = {"versioning": {"status": "Enabled"}}
    planned = Resource(
        "aws.s3_bucket",
        "urn:pulumi:prod::bsd::aws:s3/bucketV2:BucketV2::archive",
        "bsd-x",
        "plan",
        props,
        account="111122223333",
        region="us-east-1",
    )
    other_region = Resource(
        "aws.s3_bucket",
        "arn:aws:s3:::bsd-x-eu",
        "bsd-x",
        "live",
        {"versioning": {"status": "Suspended"}},
        account="111122223333",
        region="eu-west-1",
    )
    same_region = Resource(
        "aws.s3_bucket",
        "arn:aws:s3:::bsd-x",
        "bsd-x",
        "live",
        {"versioning": {"status": {"$error": "AccessDenied"}}},
        account="111122223333",
        region="us-east-1",
    )
    doc = validate_drift(drift.plan_drift([planned, other_region, same_region], ruleset.rules))
    assert [(m["actual"]["id"], m["by"]) for m in doc["matched"]] == [("arn:aws:s3:::bsd-x", "name")]
    [p] = [p for p in doc["properties"] if p["key"] == "versioning.status"]
    assert p["status"] == "not_comparable" and p["reason"] == "error: AccessDenied"  # unreadable is not a match
    assert [r["id"] for r in doc["unmanaged"]] == ["arn:aws:s3:::bsd-x-eu"]


def test_fail_desired_needs_both_sides():
    r = run_enamel("drift", "--desired", "--resources", LIVE)
    assert r.returncode == 2 and "no plan/state resources" in r.stderr
    r = run_enamel("drift", "--desired", "--resources", PLAN)
    assert r.returncode == 2 and "no live resources" in r.stderr


def test_fail_incomplete_scan_shows_errors_as_new_failures_and_warns(tmp_path, new_history):
    db = new_history()
    record_scan(db, 2)
    broken = tmp_path / "s3_access_denied.json"
    broken.write_text(
        json.dumps(
            {
                "resources": [],
                "errors": [
                    {
                        "source": "aws",
                        "service": "s3",
                        "message": "AccessDenied: ListBuckets",
                        "region": "us-east-1",
                        "resource_type": "aws.s3_bucket",
                    }
                ],
            }
        )
    )
    r = run_enamel(
        "scan", "--resources", broken, "--record", "--history", db, "--tenant", TENANT, "-q", "--fail-on", "none"
    )
    assert r.returncode == 3, r.stderr  # incomplete: exit 3 by default, and the scan is still recorded
    doc = drift_json("--history", db)
    assert doc["to"]["complete"] is False and doc["from"]["complete"] is True
    assert doc["new_failures"] and {f["status"] for f in doc["new_failures"]} == {"error"}  # never "resolved"
    assert doc["resolved_failures"] == []  # unreadable is not fixed: the archive's failures stay open
    unchecked = {
        (f["rule_id"], f["resource"]["id"]) for f in doc["open_failures"] if f.get("now_status") == "unchecked"
    }
    assert ("s3-bucket-encrypted-at-rest", ARCHIVE) in unchecked
    removed = {r["id"] for r in doc["resources_removed"]}  # the broken scan saw nothing
    assert {ARCHIVE, REFERRALS, f"arn:aws:s3:::{LOGS}"} <= removed and PUBLIC not in removed
    md = run_enamel("drift", "--history", db, "--format", "markdown")
    assert "the newer scan was incomplete" in md.stdout
