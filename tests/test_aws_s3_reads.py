"""Which per-bucket S3 reads the live collector skips, and that a skip never turns into a
pass: against a real moto server, plus the normaliser's contract for a failed deciding read."""

import pytest

pytest.importorskip("moto")

import awsstack as stack  # noqa: E402
from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.core.model import Rule
from enamel_hipaa.core.ruleset import load_rules
from enamel_hipaa.sources.aws.runner import scan
from enamel_hipaa.sources.aws.s3_moot import WHY_NEVER_VERSIONED, WHY_NOT_PHI, WHY_OWNER_ENFORCED, Plan
from enamel_hipaa.sources.aws.s3_moot import moot_when_not_phi
from enamel_hipaa.sources.normalise.aws import s3_bucket

OWNER_ENFORCED = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


def _provision(s3):
    for name, tag, versioning in (
        ("reads-logs", "logs", "Enabled"),
        ("reads-phi", "phi", "Enabled"),
        ("reads-suspended", "phi", "Suspended"),
        ("reads-bare", None, None),
    ):
        s3.create_bucket(Bucket=name)
        if tag:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "data_class", "Value": tag}]})
            s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=OWNER_ENFORCED)
        if versioning:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
            if versioning == "Suspended":
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})


@pytest.fixture(scope="module")
def scans(moto_account):
    _provision(stack.session().client("s3"))
    rules = load_rules()
    planned, aws = scan(regions=stack.HOME, s3_plan=Plan(moot_when_not_phi(rules), None))
    plain, aws_plain = scan(regions=stack.HOME)
    return {"rules": rules, "planned": planned, "calls": aws.calls, "plain": plain, "plain_calls": aws_plain.calls}


def _bucket(col, name):
    return next(r for r in col.resources if r.type == "aws.s3_bucket" and r.name == name)


def test_pass_not_phi_bucket_skips_reads_only_phi_scoped_rules_use(scans):
    props = _bucket(scans["planned"], "reads-logs").properties
    for key in ("object_lock", "lifecycle", "logging"):
        assert "$unknown" in props[key] and WHY_NOT_PHI in props[key]["$unknown"], key
    assert props["replication"] == {"enabled": False, "destinations": []}  # crosscheck reads it: always read
    assert props["acl"] == {"public_grants": []}  # BucketOwnerEnforced


def test_pass_phi_and_untagged_buckets_are_read_in_full(scans):
    for name in ("reads-phi", "reads-bare"):
        props = _bucket(scans["planned"], name).properties
        assert props["logging"] == {"enabled": False, "target_bucket": None}, name
        assert props["lifecycle"]["enabled"] is False, name
        assert props["object_lock"]["enabled"] is False, name


def test_pass_skipped_reads_change_no_verdict(scans):
    """The planned scan's verdicts equal those of a scan that read everything."""
    rules = [r for r in scans["rules"].rules if r.resource == "aws.s3_bucket"]

    def verdicts(col):
        return {
            (f.rule.id, f.resource.name): f.status
            for f in evaluate(rules, col.resources, errors=col.errors)
            if str(f.resource.name).startswith("reads-")
        }

    planned, plain = verdicts(scans["planned"]), verdicts(scans["plain"])
    assert planned == plain
    assert planned[("s3-bucket-object-lock-retention", "reads-logs")] == "skip"
    assert planned[("s3-bucket-object-lock-retention", "reads-phi")] == "fail"


def test_pass_suspended_versioning_still_reads_object_lock_and_replication(scans):
    props = _bucket(scans["planned"], "reads-suspended").properties
    assert props["versioning"]["status"] == "Suspended"
    assert props["object_lock"] == {"enabled": False, "mode": None, "retention_days": None}
    assert props["replication"] == {"enabled": False, "destinations": []}


def test_pass_skipped_reads_are_counted_with_their_reason(scans):
    (label,) = scans["planned"].skipped_reads
    got = {(s["call"], s["reason"]): s["count"] for s in scans["planned"].skipped_reads[label]}
    assert got[("s3:GetBucketAcl", WHY_OWNER_ENFORCED)] == 3
    assert got[("s3:GetObjectLockConfiguration", WHY_NEVER_VERSIONED)] >= 1  # reads-bare
    assert got[("s3:GetBucketReplication", WHY_NEVER_VERSIONED)] >= 1
    for op in ("GetObjectLockConfiguration", "GetBucketLifecycleConfiguration", "GetBucketLogging"):
        assert got[(f"s3:{op}", WHY_NOT_PHI)] == 1
    planned, plain = scans["calls"], scans["plain_calls"]
    assert plain["s3:GetBucketLogging"] - planned["s3:GetBucketLogging"] == 1
    assert plain["s3:GetLifecycleConfiguration"] - planned["s3:GetLifecycleConfiguration"] == 1


def test_fail_an_unscoped_rule_reading_a_property_keeps_its_read():
    class Rules:
        rules = [
            Rule(
                id="custom-lock",
                title="t",
                severity="low",
                resource="aws.s3_bucket",
                hipaa=(),
                assertion={"key": "object_lock.enabled", "op": "eq", "value": True},
                message="m",
                remediation="r",
                path="p",
            )
        ]

    assert moot_when_not_phi(Rules()) == {"GetBucketLifecycleConfiguration", "GetBucketLogging"}
    assert moot_when_not_phi(None) == frozenset()


def test_error_failed_versioning_read_makes_lock_and_replication_error_not_off():
    failed = {"$error": "GetBucketVersioning: AccessDenied"}
    assert s3_bucket.needs_lock_and_replication(failed) is False
    api = {op: s3_bucket.NOT_FOUND for op in s3_bucket.OPERATIONS if op not in ("GetObjectLockConfiguration",)}
    api.pop("GetBucketReplication")
    api["GetBucketVersioning"] = failed
    api["GetBucketTagging"] = {"TagSet": []}
    props = s3_bucket.properties(api, "111122223333")
    assert props["object_lock"] == failed and props["replication"] == failed


def test_error_failed_ownership_read_still_reads_the_acl():
    assert s3_bucket.needs_acl({"$error": "GetBucketOwnershipControls: AccessDenied"}) is True
