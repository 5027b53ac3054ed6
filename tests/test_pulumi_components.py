"""Mock-based unit tests of the infra/ components: each is secure with no arguments (what it
plans, resource by resource), parents its children to itself, and weakens only through
explicit named arguments."""

import json

import pytest

from conftest import by_type, plan_snippet
from enamel_hipaa.core.engine import evaluate
from conftest import shipped_rules

ALL_DEFAULTS = """
PhiKey("k")
ImagingArchive("a")
AuditTrail("t")
PrivateNetwork("n")
AccountBaseline("b")
"""


@pytest.fixture(scope="module")
def defaults(tmp_path_factory):
    return plan_snippet(tmp_path_factory.mktemp("defaults"), ALL_DEFAULTS)


def _inputs(records, token, name):
    (rec,) = [r for r in records if r["type"] == token and r["name"] == name]
    return rec["inputs"]


def test_pass_every_component_is_secure_with_no_arguments(defaults):
    records, resources = defaults
    findings = evaluate(shipped_rules().rules, resources)
    bad = [(f.rule.id, f.resource.name, f.status) for f in findings if f.status not in ("pass", "skip")]
    assert bad == []
    assert {f.rule.id for f in findings if f.status == "pass"} >= {
        "kms-key-rotation",
        "s3-bucket-object-lock-retention",
        "cloudtrail-multi-region",
        "vpc-flow-logs",
        "iam-password-policy",
        "guardduty-enabled",
        "backup-vault-lock",
        "ebs-default-encryption",
    }


def test_pass_children_are_parented_to_their_component(defaults):
    records, _ = defaults
    components = {r["urn"] for r in records if r["type"].startswith("enamel:imaging:")}
    custom = [r for r in records if r["custom"]]
    assert custom and all(r["parent"] in components for r in custom)


def test_pass_phi_key_rotates_waits_thirty_days_and_separates_duties(defaults):
    records, _ = defaults
    key = _inputs(records, "aws:kms/key:Key", "k-key")
    assert key["enableKeyRotation"] is True and key["deletionWindowInDays"] == 30
    policy = json.loads(key["policy"])
    use = [s for s in policy["Statement"] if "kms:Decrypt" in s["Action"]]
    admin = [s for s in policy["Statement"] if "kms:ScheduleKeyDeletion" in s["Action"]]
    assert admin and not any("kms:Decrypt" in s["Action"] for s in admin)
    assert not use  # no users named: nobody may decrypt
    alias = _inputs(records, "aws:kms/alias:Alias", "k-alias")
    assert alias["name"] == "alias/k"


def test_pass_imaging_archive_bucket_settings(defaults):
    records, _ = defaults
    bucket = _inputs(records, "aws:s3/bucket:Bucket", "a-images")
    assert bucket["objectLockEnabled"] is True and bucket["tags"] == {"data_class": "phi"}
    sse = _inputs(
        records,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "a-images-sse",
    )["rules"][0]
    assert sse["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms" and sse["bucketKeyEnabled"] is True
    lock = _inputs(
        records, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "a-images-object-lock"
    )
    assert lock["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": 7 * 365}
    pab = _inputs(records, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "a-images-public-access-block")
    assert all(
        pab[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    own = _inputs(records, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "a-images-ownership")
    assert own["rule"]["objectOwnership"] == "BucketOwnerEnforced"
    policy = json.loads(_inputs(records, "aws:s3/bucketPolicy:BucketPolicy", "a-images-policy")["policy"])
    conds = [s["Condition"] for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert {"Bool": {"aws:SecureTransport": "false"}} in conds
    assert {"NumericLessThan": {"s3:TlsVersion": "1.2"}} in conds
    logging = _inputs(records, "aws:s3/bucketLogging:BucketLogging", "a-images-logging")
    assert logging["targetBucket"].startswith("a-access-logs")
    life = _inputs(records, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "a-images-lifecycle")
    assert {t["storageClass"] for t in life["rules"][0]["transitions"]} == {"GLACIER_IR", "DEEP_ARCHIVE"}
    repl = _inputs(records, "aws:s3/bucketReplicationConfig:BucketReplicationConfig", "a-replication")["rules"][0]
    assert repl["destination"]["bucket"].startswith("arn:aws:s3:::a-replica-images")
    assert ":us-west-2:" in repl["destination"]["encryptionConfiguration"]["replicaKmsKeyId"]
    replica = _inputs(records, "aws:s3/bucket:Bucket", "a-replica-images")
    assert replica["region"] == "us-west-2"


def test_pass_audit_trail_settings(defaults):
    records, _ = defaults
    trail = _inputs(records, "aws:cloudtrail/trail:Trail", "t-trail")
    assert trail["isMultiRegionTrail"] and trail["enableLogFileValidation"] and trail["kmsKeyId"]
    assert trail["eventSelectors"][0]["dataResources"][0] == {"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}
    group = _inputs(records, "aws:cloudwatch/logGroup:LogGroup", "t-log-group")
    assert group["retentionInDays"] >= 2190 and group["kmsKeyId"]
    assert _inputs(records, "aws:s3/bucket:Bucket", "t-trail-logs")["objectLockEnabled"] is True


def test_pass_private_network_settings(defaults):
    records, _ = defaults
    assert by_type(records, "aws:ec2/internetGateway:InternetGateway") == []
    assert by_type(records, "aws:ec2/route:Route") == []
    assert all(s["inputs"]["mapPublicIpOnLaunch"] is False for s in by_type(records, "aws:ec2/subnet:Subnet"))
    sg = _inputs(records, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "n-default-sg")
    assert sg["ingress"] == [] and sg["egress"] == []
    s3 = _inputs(records, "aws:ec2/vpcEndpoint:VpcEndpoint", "n-s3-endpoint")
    assert s3["vpcEndpointType"] == "Gateway" and json.loads(s3["policy"])["Statement"][0]["Effect"] == "Deny"
    kms = _inputs(records, "aws:ec2/vpcEndpoint:VpcEndpoint", "n-kms-endpoint")
    assert kms["vpcEndpointType"] == "Interface" and kms["privateDnsEnabled"] is True
    flow = _inputs(records, "aws:ec2/flowLog:FlowLog", "n-flow-log")
    assert flow["trafficType"] == "ALL"
    assert _inputs(records, "aws:cloudwatch/logGroup:LogGroup", "n-flow-logs")["kmsKeyId"]


def test_pass_account_baseline_settings(defaults):
    records, _ = defaults
    pw = _inputs(records, "aws:iam/accountPasswordPolicy:AccountPasswordPolicy", "b-password-policy")
    assert pw["minimumPasswordLength"] >= 14 and pw["passwordReusePrevention"] >= 24 and pw["maxPasswordAge"] == 90
    mfa = json.loads(_inputs(records, "aws:iam/policy:Policy", "b-require-mfa")["policy"])
    assert mfa["Statement"][0]["Condition"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    trust = json.loads(_inputs(records, "aws:iam/role:Role", "b-imaging-staff")["assumeRolePolicy"])
    assert trust["Statement"][0]["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    assert _inputs(records, "aws:guardduty/detector:Detector", "b-guardduty")["enable"] is True
    assert _inputs(records, "aws:ebs/encryptionByDefault:EncryptionByDefault", "b-ebs-encryption")["enabled"] is True
    vault = _inputs(records, "aws:backup/vault:Vault", "b-vault")
    assert vault["kmsKeyArn"].startswith("arn:aws:kms:")
    lock = _inputs(records, "aws:backup/vaultLockConfiguration:VaultLockConfiguration", "b-vault-lock")
    assert lock["minRetentionDays"] >= 1
    assert by_type(records, "aws:backup/plan:Plan") == []  # nothing named to back up: no empty plan


def test_pass_backup_plan_covers_the_named_archive(tmp_path):
    records, resources = plan_snippet(
        tmp_path, 'AccountBaseline("b", AccountBaselineArgs(backup_resource_arns=["arn:aws:s3:::x-images"]))'
    )
    sel = _inputs(records, "aws:backup/selection:Selection", "b-archive-selection")
    assert sel["resources"] == ["arn:aws:s3:::x-images"]
    (plan,) = [r for r in resources if r.type == "aws.backup_plan"]
    assert plan.properties["selected_resources"] == ["arn:aws:s3:::x-images"]
    assert plan.properties["rules"][0]["delete_after_days"] == 35
