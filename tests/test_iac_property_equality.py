"""One bucket, three sources, one set of properties (issue 15): the compliant base of the rule
cases (tests/rule_cases/_base/aws.s3_bucket.yaml) and a bare failing bucket, written as Pulumi
planned-resource records, as `terraform show -json` and as a CloudFormation template, normalise
to identical properties; the compliant one equals the rule-case base. Same for a security group
and a KMS key. Also the meta-test: every rule whose type these sources produce has a pass and a
fail verdict on each source in the fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from enamel_hipaa.sources.cloudformation import collect_cloudformation
from enamel_hipaa.sources.pulumi.normalize import normalize
from enamel_hipaa.sources.terraform import collect_terraform_plan
from iac_helpers import EXPECTED, RULES, cases_of

BASE = yaml.safe_load((Path(__file__).parent / "rule_cases/_base/aws.s3_bucket.yaml").read_text())
ACCOUNT = "111122223333"
KEY = "arn:aws:kms:us-east-1:111122223333:key/k1"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "TLS",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::case-xrays", "arn:aws:s3:::case-xrays/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "TLS12",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::case-xrays", "arn:aws:s3:::case-xrays/*"],
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        },
    ],
}
REPLICA = {
    "bucket": "arn:aws:s3:::case-replica",
    "account": ACCOUNT,
    "kms": "arn:aws:kms:us-west-2:111122223333:key/k2",
}


# ------------------------------------------------------------------ the compliant bucket, three ways
def pulumi_records(compliant: bool) -> list[dict]:
    def rec(name, token, inputs):
        return {
            "type": token,
            "urn": f"urn:pulumi:dev::p::{token}::{name}",
            "name": name,
            "id": None,
            "inputs": inputs,
            "outputs": {},
            "deps": {},
        }

    recs = [
        rec(
            "b",
            "aws:s3/bucket:Bucket",
            {"bucket": "case-xrays", "tags": {"data_class": "phi"}, "objectLockEnabled": compliant},
        )
    ]
    if not compliant:
        return recs
    sub = lambda kind, token, p: rec(f"b-{kind}", token, dict(p, bucket="case-xrays"))  # noqa: E731
    recs += [
        sub(
            "sse",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            {
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY},
                        "bucketKeyEnabled": True,
                    }
                ]
            },
        ),
        sub("ver", "aws:s3/bucketVersioning:BucketVersioning", {"versioningConfiguration": {"status": "Enabled"}}),
        sub(
            "pab",
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            {
                "blockPublicAcls": True,
                "ignorePublicAcls": True,
                "blockPublicPolicy": True,
                "restrictPublicBuckets": True,
            },
        ),
        sub(
            "own",
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            {"rule": {"objectOwnership": "BucketOwnerEnforced"}},
        ),
        sub("pol", "aws:s3/bucketPolicy:BucketPolicy", {"policy": json.dumps(POLICY)}),
        sub("log", "aws:s3/bucketLogging:BucketLogging", {"targetBucket": "case-logs"}),
        sub(
            "lock",
            "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
            {"objectLockEnabled": "Enabled", "rule": {"defaultRetention": {"mode": "COMPLIANCE", "days": 2555}}},
        ),
        sub(
            "lc",
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            {"rules": [{"status": "Enabled", "transitions": [{"days": 30, "storageClass": "GLACIER"}]}]},
        ),
        sub(
            "rep",
            "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
            {
                "rules": [
                    {
                        "status": "Enabled",
                        "destination": {
                            "bucket": REPLICA["bucket"],
                            "account": REPLICA["account"],
                            "storageClass": "STANDARD_IA",
                            "encryptionConfiguration": {"replicaKmsKeyId": REPLICA["kms"]},
                        },
                    }
                ]
            },
        ),
    ]
    return recs


def terraform_plan(compliant: bool) -> dict:
    resources, config = [], []

    def add(rtype, name, values, refs_bucket=True):
        addr = f"{rtype}.{name}"
        if refs_bucket:
            values = dict(values, bucket="case-xrays")
        resources.append(
            {"address": addr, "mode": "managed", "type": rtype, "name": name, "values": values, "sensitive_values": {}}
        )
        exprs = {k: {"constant_value": v} for k, v in values.items()}
        if refs_bucket:
            exprs["bucket"] = {"references": ["aws_s3_bucket.b.id", "aws_s3_bucket.b"]}
        config.append({"address": addr, "mode": "managed", "type": rtype, "name": name, "expressions": exprs})

    add(
        "aws_s3_bucket",
        "b",
        {
            "bucket": "case-xrays",
            "tags": {"data_class": "phi"},
            "object_lock_enabled": compliant,
            "force_destroy": False,
        },
        refs_bucket=False,
    )
    if compliant:
        add(
            "aws_s3_bucket_server_side_encryption_configuration",
            "b",
            {
                "rule": [
                    {
                        "apply_server_side_encryption_by_default": [
                            {"sse_algorithm": "aws:kms", "kms_master_key_id": KEY}
                        ],
                        "bucket_key_enabled": True,
                    }
                ]
            },
        )
        add("aws_s3_bucket_versioning", "b", {"versioning_configuration": [{"status": "Enabled", "mfa_delete": None}]})
        add(
            "aws_s3_bucket_public_access_block",
            "b",
            {
                "block_public_acls": True,
                "ignore_public_acls": True,
                "block_public_policy": True,
                "restrict_public_buckets": True,
            },
        )
        add("aws_s3_bucket_ownership_controls", "b", {"rule": [{"object_ownership": "BucketOwnerEnforced"}]})
        add("aws_s3_bucket_policy", "b", {"policy": json.dumps(POLICY)})
        add("aws_s3_bucket_logging", "b", {"target_bucket": "case-logs", "target_prefix": ""})
        add(
            "aws_s3_bucket_object_lock_configuration",
            "b",
            {
                "object_lock_enabled": "Enabled",
                "rule": [{"default_retention": [{"mode": "COMPLIANCE", "days": 2555, "years": 0}]}],
            },
        )
        add(
            "aws_s3_bucket_lifecycle_configuration",
            "b",
            {
                "rule": [
                    {
                        "id": "archive",
                        "status": "Enabled",
                        "transition": [{"days": 30, "storage_class": "GLACIER", "date": None}],
                    }
                ]
            },
        )
        add(
            "aws_s3_bucket_replication_configuration",
            "b",
            {
                "role": "arn:aws:iam::111122223333:role/r",
                "rule": [
                    {
                        "status": "Enabled",
                        "destination": [
                            {
                                "bucket": REPLICA["bucket"],
                                "account": REPLICA["account"],
                                "storage_class": "STANDARD_IA",
                                "encryption_configuration": [{"replica_kms_key_id": REPLICA["kms"]}],
                            }
                        ],
                    }
                ],
            },
        )
    return {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": resources}},
        "configuration": {"root_module": {"resources": config}},
    }


def cloudformation(compliant: bool) -> dict:
    props = {
        "BucketName": "case-xrays",
        "Tags": [{"Key": "data_class", "Value": "phi"}],
        "ObjectLockEnabled": compliant,
    }
    out = {"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": props}}}
    if compliant:
        props.update(
            {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {
                            "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY},
                            "BucketKeyEnabled": True,
                        }
                    ]
                },
                "VersioningConfiguration": {"Status": "Enabled"},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "LoggingConfiguration": {"DestinationBucketName": "case-logs"},
                "ObjectLockConfiguration": {
                    "ObjectLockEnabled": "Enabled",
                    "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 2555}},
                },
                "LifecycleConfiguration": {
                    "Rules": [
                        {"Status": "Enabled", "Transitions": [{"StorageClass": "GLACIER", "TransitionInDays": 30}]}
                    ]
                },
                "ReplicationConfiguration": {
                    "Role": "arn:aws:iam::111122223333:role/r",
                    "Rules": [
                        {
                            "Status": "Enabled",
                            "Destination": {
                                "Bucket": REPLICA["bucket"],
                                "Account": REPLICA["account"],
                                "StorageClass": "STANDARD_IA",
                                "EncryptionConfiguration": {"ReplicaKmsKeyID": REPLICA["kms"]},
                            },
                        }
                    ],
                },
            }
        )
        out["Resources"]["P"] = {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": {"Ref": "B"}, "PolicyDocument": POLICY},
        }
    return out


def _props(resources, rtype="aws.s3_bucket") -> dict:
    [r] = [r for r in resources if r.type == rtype]
    return {k: v for k, v in r.properties.items() if k != "location"}


def three_ways(compliant: bool, tmp_path) -> tuple[dict, dict, dict]:
    tf = tmp_path / "plan.json"
    tf.write_text(json.dumps(terraform_plan(compliant)))
    cfn = tmp_path / "template.yaml"
    cfn.write_text(yaml.safe_dump(cloudformation(compliant)))
    return (
        _props(normalize(pulumi_records(compliant), "plan", account=ACCOUNT)),
        _props(collect_terraform_plan(str(tf)).resources),
        _props(collect_cloudformation(str(cfn)).resources),
    )


@pytest.mark.parametrize("compliant", [True, False], ids=["compliant", "bare"])
def test_bucket_normalises_to_identical_properties_from_pulumi_terraform_and_cloudformation(compliant, tmp_path):
    pulumi, tf, cfn = three_ways(compliant, tmp_path)
    # the account is the plan's (Pulumi knows its stack's), none in a bare TF plan or a template
    for p in (pulumi, tf, cfn):
        p["policy"].pop("cross_account_principals", None)
    assert tf == pulumi
    assert cfn == pulumi


def test_compliant_bucket_from_every_source_equals_the_rule_case_base(tmp_path):
    base = json.loads(json.dumps(BASE))
    base["replication"]["destinations"][0]["region"] = None  # the replica is outside the plan/template
    for props in three_ways(True, tmp_path):
        assert props == base


# ------------------------------------------------------------------ meta: pass and fail per rule per source
PRODUCED = {"terraform-plan": set(), "cloudformation": set()}
for _name, _spec in EXPECTED.items():
    for _res in (_spec.get("resources") or {}).values():
        PRODUCED[_spec["source"]].add(_res["type"])


# verdicts a source cannot produce, with the reason (anything else must have both)
CANNOT = {
    (
        "terraform-plan",
        "s3-bucket-encrypted-at-rest",
        "fail",
    ): "every S3 bucket is encrypted (SSE-S3) since January 2023",
    (
        "cloudformation",
        "s3-bucket-encrypted-at-rest",
        "fail",
    ): "every S3 bucket is encrypted (SSE-S3) since January 2023",
    ("terraform-plan", "iam-user-console-mfa", "pass"): "no Terraform resource enrolls an MFA device for a user",
    (
        "terraform-plan",
        "storage-account-shared-key-expiry-policy",
        "pass",
    ): "azurerm sets no account key expiration policy (keyPolicy), so an account with shared keys always fails",
    (
        "terraform-plan",
        "iam-user-access-key-unused",
        "fail",
    ): "a key's last use is in no plan: an existing key is unknown (asserted below), only a key the plan creates is known unused-since-creation",
    (
        "terraform-plan",
        "iam-user-console-unused",
        "fail",
    ): "a password's last use is in no plan: an existing login profile is unknown (asserted below), only a new one is known",
    (
        "cloudformation",
        "kms-key-not-pending-deletion",
        "fail",
    ): "a template only declares keys that exist; removing one from a stack is not in the template",
    ("cloudformation", "ec2-default-security-group-closed", "fail"): "a template cannot declare a VPC's default group",
    ("cloudformation", "ec2-default-security-group-closed", "pass"): "a template cannot declare a VPC's default group",
}


# Every rule of a produced type has its cases now; a rule added from now on must come with them.
PENDING_FIXTURES: dict[str, set] = {"terraform-plan": set(), "cloudformation": set()}


@pytest.mark.parametrize("source", ["terraform-plan", "cloudformation"])
def test_every_rule_of_a_produced_type_has_a_pass_and_a_fail_case_on_each_source(source):
    seen: dict[str, set] = {}
    for _, _, rule_id, status in cases_of(source):
        seen.setdefault(rule_id, set()).add(status)
    missing = sorted(
        f"{r.id}:{want}"
        for r in RULES
        if r.resource in PRODUCED[source]
        for want in ("pass", "fail")
        if want not in seen.get(r.id, set())
        and (source, r.id, want) not in CANNOT
        and r.id not in PENDING_FIXTURES[source]
    )
    assert missing == [], f"{source}: rules without a pass and a fail verdict in iac-expected.yaml: {missing}"


def test_unknown_not_pass_for_the_last_use_of_existing_credentials_in_a_plan():
    """The exemptions above: an existing key's or password's last use is not in a plan, so the
    rules give `unknown` there - never a pass - and only the plan's own new credentials pass."""
    from iac_helpers import FIXTURES, verdicts

    v = verdicts(collect_terraform_plan(str(FIXTURES / "terraform/written/rule-coverage.json")))
    assert v[("aws_iam_user.ops", "iam-user-access-key-unused")] == "unknown"
    v2 = verdicts(collect_terraform_plan(str(FIXTURES / "terraform/written/rule-coverage-2.json")))
    assert v2[("aws_iam_user.robot", "iam-user-access-key-unused")] == "pass"
    assert v2[("aws_kms_key.retired", "kms-key-not-pending-deletion")] == "fail"
