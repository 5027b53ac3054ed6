"""Scope fails closed (issue 14 item 1): a bucket is in the PHI rules' scope unless a
data-class tag declares it non-PHI; keys and values are parameters."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from enamel_hipaa.core import datascope

BUCKET = {
    "type": "aws.s3_bucket",
    "id": "arn:aws:s3:::xrays-untagged",
    "name": "xrays-untagged",
    "source": "file",
    "account": "111122223333",
    "region": "us-east-1",
    "properties": {
        "arn": "arn:aws:s3:::xrays-untagged",
        "tags": {},
        "encryption": {
            "sse_algorithm": "AES256",
            "kms_key_id": None,
            "kms_key_managed_by": "aws",
            "bucket_key_enabled": False,
        },
        "versioning": {"status": "Enabled", "mfa_delete": False},
        "object_lock": {"enabled": False, "mode": None, "retention_days": None},
        "public_access_block": {
            "block_public_acls": True,
            "ignore_public_acls": True,
            "block_public_policy": True,
            "restrict_public_buckets": True,
        },
        "ownership": {"object_ownership": "BucketOwnerEnforced"},
        "acl": {"public_grants": []},
        "policy": {
            "present": True,
            "denies_insecure_transport": True,
            "min_tls_version": "1.2",
            "allows_public": False,
            "cross_account_principals": [],
        },
        "logging": {"enabled": False, "target_bucket": None},
        "lifecycle": {"enabled": False, "archive_transition": False, "rules": 0},
        "replication": {"enabled": False, "destinations": []},
    },
}


def _scan(tmp_path, resources, *extra):
    f = tmp_path / "resources.json"
    f.write_text(json.dumps({"resources": resources}))
    proc = subprocess.run(
        [sys.executable, "-m", "enamel_hipaa", "scan", "--resources", str(f), "--format", "json", *extra],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.stdout.strip(), proc.stderr
    return proc, json.loads(proc.stdout)


def _statuses(report):
    return {f["rule_id"]: f["status"] for f in report["findings"]}


def test_untagged_bucket_with_sse_s3_fails_phi_rules_and_exits_nonzero(tmp_path):
    proc, report = _scan(tmp_path, [BUCKET])
    st = _statuses(report)
    for rule in (
        "s3-bucket-kms-encryption",
        "s3-bucket-access-logging",
        "s3-bucket-object-lock-retention",
        "s3-bucket-replication",
    ):
        assert st[rule] == "fail", (rule, st[rule])
    assert st["s3-bucket-data-class-tagged"] == "fail"  # the tagging rule stays, as hygiene
    assert proc.returncode != 0, proc.stdout[-500:] + proc.stderr[-500:]


def test_bucket_declared_public_under_organisation_key_skips_phi_rules(tmp_path):
    b = json.loads(json.dumps(BUCKET))
    b["properties"]["tags"] = {"DataClassification": "Public"}
    _, report = _scan(tmp_path, [b])
    assert _statuses(report)["s3-bucket-kms-encryption"] == "skip"


def test_tenant_params_change_the_non_phi_values(tmp_path):
    b = json.loads(json.dumps(BUCKET))
    b["properties"]["tags"] = {"Classification": "open-data"}
    params = tmp_path / "params.yaml"
    params.write_text(
        yaml.safe_dump({"params": {"data_class_tag_keys": ["Classification"], "non_phi_values": ["open-data"]}})
    )
    _, report = _scan(tmp_path, [b], "--params", str(params))
    assert _statuses(report)["s3-bucket-kms-encryption"] == "skip"


def test_unreadable_tags_make_scope_unknown_and_unrecognised_value_is_phi():
    s = datascope.settings(None)
    assert datascope.data_scope({"tags": {"$unknown": "AccessDenied"}}, s) == {
        "$unknown": "tags could not be read: data class unknown"
    }
    assert datascope.data_scope({"tags": {"Confidentiality": "whatever"}}, s) == "phi"
    assert datascope.data_scope({"tags": {"data_class": "non-phi"}}, s) == "not_phi"
    assert datascope.data_scope({}, s) == "phi"


def test_role_without_access_tag_is_human_unless_only_services_assume_it():
    s = datascope.settings(None)
    assert (
        datascope.access_scope({"tags": {}, "trusted_accounts": ["111122223333"], "trusted_services": []}, s) == "human"
    )
    assert (
        datascope.access_scope({"tags": {}, "trusted_accounts": [], "trusted_services": ["ec2.amazonaws.com"]}, s)
        == "not_human"
    )
    assert datascope.access_scope({"tags": {"access": "automation"}, "trusted_accounts": ["1"]}, s) == "not_human"
