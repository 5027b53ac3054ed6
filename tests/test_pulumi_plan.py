"""The Pulumi plan gate: `enamel scan --pulumi infra/` (dogfood), deliberate weakenings,
preview/state JSON equivalent to the mock path, and fail-closed handling of unknowns."""

import copy
import json
from collections import Counter

import pytest

from conftest import INFRA, ROOT, plan_snippet, run_enamel, validate_report
from enamel_hipaa.sources.pulumi import collector as pulumi_source
from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.sources.pulumi import UNKNOWN_SENTINEL, exports, normalize
from conftest import shipped_rules

FIXTURES = ROOT / "tests" / "fixtures" / "pulumi"
RULES = shipped_rules().rules
BY_ID = {r.id: r for r in RULES}


def _scan_json(*args):
    proc = run_enamel("scan", *args, "--format", "json", "--ci")
    report = json.loads(proc.stdout)
    validate_report(report)
    return proc, report


def test_pass_dogfood_infra_has_no_fail_and_no_unknown():
    proc, report = _scan_json("--pulumi", "infra/")
    counts = report["summary"]["by_status"]
    bad = [
        (f["rule_id"], f["resource"]["name"], f["message"])
        for f in report["findings"]
        if f["status"] in ("fail", "unknown", "error")
    ]
    assert bad == [] and counts["fail"] == 0 and counts["unknown"] == 0, bad
    assert proc.returncode == 0, proc.stderr
    assert counts["pass"] >= 80
    types = {f["resource"]["type"] for f in report["findings"]}
    assert types >= {
        "aws.s3_bucket",
        "aws.kms_key",
        "aws.cloudtrail_trail",
        "aws.cloudwatch_log_group",
        "aws.iam_account",
        "aws.s3_account",
        "aws.ec2_security_group",
        "aws.ec2_region",
        "aws.vpc",
        "aws.backup_vault",
        "aws.backup_plan",
        "aws.iam_role",
    }
    assert {f["resource"]["source"] for f in report["findings"]} == {"plan"}
    assert report["scan"]["sources"] == ["pulumi:enamel-imaging-archive/dev (mocks)"]


def test_fail_weakened_variant_exits_one_with_findings():
    proc, report = _scan_json("--pulumi", "infra/variants/weakened", "--fail-on", "high")
    assert proc.returncode == 1
    failed = {f["rule_id"] for f in report["findings"] if f["status"] == "fail"}
    assert {
        "kms-key-rotation",
        "s3-bucket-object-lock-retention",
        "vpc-flow-logs",
        "guardduty-enabled",
        "backup-vault-lock",
        "iam-password-policy",
    } <= failed
    assert all("weak-" in f["resource"]["name"] for f in report["findings"] if f["status"] == "fail")


# one weakening per control, through a component's explicit argument:
# (program, rule that must fail, a HIPAA citation it must carry)
WEAKENINGS = [
    ('PhiKey("w", PhiKeyArgs(enable_rotation=False))', "kms-key-rotation", "164.312(a)(2)(iv)"),
    (
        'PhiKey("w", PhiKeyArgs(admin_arns=["arn:aws:iam::123456789012:role/Ops"], allow_admins_to_use_key=True))',
        "kms-key-separation-of-duties",
        "164.308(a)(4)(ii)(B)",
    ),
    ('PhiKey("w", PhiKeyArgs(deletion_window_days=7))', "kms-key-deletion-window", "164.312(a)(2)(iv)"),
    ('ImagingArchive("w", ImagingArchiveArgs(sse_kms=False))', "s3-bucket-kms-encryption", "164.312(a)(2)(iv)"),
    (
        'ImagingArchive("w", ImagingArchiveArgs(object_lock=False))',
        "s3-bucket-object-lock-retention",
        "164.316(b)(2)(i)",
    ),
    (
        'ImagingArchive("w", ImagingArchiveArgs(retention_years=3))',
        "s3-bucket-object-lock-retention",
        "164.316(b)(2)(i)",
    ),
    (
        'ImagingArchive("w", ImagingArchiveArgs(deny_insecure_transport=False))',
        "s3-bucket-deny-insecure-transport",
        "164.312(e)(1)",
    ),
    (
        'ImagingArchive("w", ImagingArchiveArgs(min_tls_version=None))',
        "s3-bucket-minimum-tls-version",
        "164.312(e)(2)(ii)",
    ),
    (
        'ImagingArchive("w", ImagingArchiveArgs(block_public_access=False))',
        "s3-bucket-public-access-block",
        "164.312(a)(1)",
    ),
    ('ImagingArchive("w", ImagingArchiveArgs(access_logging=False))', "s3-bucket-access-logging", "164.312(b)"),
    ('ImagingArchive("w", ImagingArchiveArgs(replicate=False))', "s3-bucket-replication", "164.308(a)(7)(ii)(B)"),
    (
        'ImagingArchive("w", ImagingArchiveArgs(lifecycle_archive=False))',
        "s3-bucket-lifecycle-archival",
        "164.310(d)(2)(iv)",
    ),
    ('ImagingArchive("w", ImagingArchiveArgs(bucket_key=False))', "s3-bucket-key-enabled", "164.312(a)(2)(iv)"),
    ('AuditTrail("w", AuditTrailArgs(multi_region=False))', "cloudtrail-multi-region", "164.312(b)"),
    ('AuditTrail("w", AuditTrailArgs(log_file_validation=False))', "cloudtrail-log-file-validation", "164.312(c)(1)"),
    ('AuditTrail("w", AuditTrailArgs(kms_encryption=False))', "cloudtrail-kms-encryption", "164.312(b)"),
    ('AuditTrail("w", AuditTrailArgs(data_events=False))', "cloudtrail-s3-data-events", "164.308(a)(1)(ii)(D)"),
    ('AuditTrail("w", AuditTrailArgs(log_retention_days=365))', "log-group-retention", "164.316(b)(2)(i)"),
    ('AuditTrail("w", AuditTrailArgs(log_group_encryption=False))', "log-group-kms-encryption", "164.312(b)"),
    ('PrivateNetwork("w", PrivateNetworkArgs(flow_logs=False))', "vpc-flow-logs", "164.312(b)"),
    (
        'PrivateNetwork("w", PrivateNetworkArgs(internet_gateway=True))',
        "vpc-imaging-no-internet-route",
        "164.312(e)(1)",
    ),
    (
        'PrivateNetwork("w", PrivateNetworkArgs(restrict_s3_endpoint=False))',
        "vpc-s3-endpoint-restricted",
        "164.312(a)(1)",
    ),
    ('AccountBaseline("w", AccountBaselineArgs(min_password_length=8))', "iam-password-policy", "164.308(a)(5)(ii)(D)"),
    ('AccountBaseline("w", AccountBaselineArgs(password_reuse_prevention=5))', "iam-password-policy", "164.312(d)"),
    ('AccountBaseline("w", AccountBaselineArgs(guardduty=False))', "guardduty-enabled", "164.308(a)(6)(ii)"),
    (
        'AccountBaseline("w", AccountBaselineArgs(ebs_encryption_by_default=False))',
        "ebs-default-encryption",
        "164.312(a)(2)(iv)",
    ),
    ('AccountBaseline("w", AccountBaselineArgs(vault_lock=False))', "backup-vault-lock", "164.308(a)(7)(ii)(A)"),
    (
        'AccountBaseline("w", AccountBaselineArgs(backup_resource_arns=["arn:aws:s3:::x"], backup_copy_to_dr=False))',
        "backup-plan-offsite-copy",
        "164.308(a)(7)(ii)(B)",
    ),
    ('AccountBaseline("w", AccountBaselineArgs(human_role_requires_mfa=False))', "iam-role-human-mfa", "164.312(d)"),
]


# what a weakening also breaks, by construction (SSE-S3 has no bucket key)
COLLATERAL = {
    "s3-bucket-kms-encryption": {"s3-bucket-key-enabled"},
    "cloudtrail-s3-data-events": {"cloudtrail-s3-data-events-read", "cloudtrail-s3-data-events-write"},
}


@pytest.mark.parametrize(
    "code,rule_id,citation", WEAKENINGS, ids=[f"fail_{w[1]}:{i}" for i, w in enumerate(WEAKENINGS)]
)
def test_fail_each_weakening_fails_its_rule_with_its_citation(tmp_path, code, rule_id, citation):
    _, resources = plan_snippet(tmp_path, code)
    findings = evaluate(RULES, resources)
    failed = [f for f in findings if f.status == "fail"]
    assert [f for f in failed if f.rule.id == rule_id], [(f.rule.id, f.status) for f in findings if f.status != "pass"]
    assert citation in BY_ID[rule_id].hipaa
    assert all(citation in f.to_dict()["hipaa"] for f in failed if f.rule.id == rule_id)
    # the weakening breaks its own control and nothing is left unknown
    assert not [f for f in findings if f.status in ("unknown", "error")]
    assert {f.rule.id for f in failed} <= {rule_id} | COLLATERAL.get(rule_id, set())


def _outcomes(collection):
    return sorted(
        (f.rule.id, f.resource.type, f.resource.id, f.resource.name, f.status)
        for f in evaluate(RULES, collection.resources)
    )


@pytest.mark.parametrize(
    "program,stack,prefix", [("infra", "dev", ""), ("infra/variants/weakened", "demo", "weakened-")]
)
def test_pass_preview_and_state_fixtures_scan_like_the_mock_path(program, stack, prefix):
    mock = _outcomes(pulumi_source.plan_program(str(ROOT / program), stack))
    preview = _outcomes(pulumi_source.from_preview(str(FIXTURES / f"{prefix}preview.json")))
    state = _outcomes(pulumi_source.from_state(str(FIXTURES / f"{prefix}stack-export.json")))
    assert mock == preview == state
    assert Counter(o[4] for o in mock)["pass"] > 50


def test_pass_state_resources_are_marked_state(tmp_path):
    doc = json.loads((FIXTURES / "stack-export.json").read_text())
    for res in doc["deployment"]["resources"]:  # as some CLI versions write it
        res.setdefault("propertyDependencies", {})["tags"] = None
    path = tmp_path / "stack-export.json"
    path.write_text(json.dumps(doc))
    col = pulumi_source.from_state(str(path))
    assert {r.source for r in col.resources} == {"state"}
    assert col.sources == ["pulumi-state:stack-export.json"]


def _as_new_stack_preview(tmp_path):
    """The dogfood preview as `pulumi preview` of a new stack would write it: ids, bucket
    names and ARNs are unknown, so are the policies built from them."""
    doc = json.loads((FIXTURES / "preview.json").read_text())
    for step in doc["steps"]:
        step["op"] = "create"
        st = step["newState"]
        st.pop("id", None)
        outs = st.get("outputs", {})
        for k in ("id", "arn", "bucket", "keyId", "name"):
            if k in outs and k not in st.get("inputs", {}):
                outs[k] = UNKNOWN_SENTINEL
        for k in ("bucket", "policy", "kmsMasterKeyId"):
            for where in (st.get("inputs", {}), outs):
                if k in where and st["type"] != "aws:s3/bucket:Bucket":
                    where[k] = UNKNOWN_SENTINEL
    path = tmp_path / "preview-create.json"
    path.write_text(json.dumps(doc))
    return path


def test_unknown_new_stack_preview_fails_closed_but_still_joins_by_dependency(tmp_path):
    col = pulumi_source.from_preview(str(_as_new_stack_preview(tmp_path)))
    findings = evaluate(RULES, col.resources)
    status = Counter(f.status for f in findings)
    assert status["unknown"] > 0 and status["fail"] == 0
    by_rule = {(f.rule.id, f.resource.type): f.status for f in findings}
    # bucket policies are computed at deploy time: unknown, never pass
    assert by_rule[("s3-bucket-deny-insecure-transport", "aws.s3_bucket")] == "unknown"
    # the versioning resource's bucket is unknown, but its property dependency names the bucket
    assert all(f.status == "pass" for f in findings if f.rule.id == "s3-bucket-versioning")


def test_unknown_secret_values_are_never_a_pass(tmp_path):
    doc = json.loads((FIXTURES / "stack-export.json").read_text())
    for res in doc["deployment"]["resources"]:
        if res["type"] == "aws:kms/key:Key":
            res["outputs"]["enableKeyRotation"] = {
                "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                "ciphertext": "v1:abc",
            }
        if res["type"] == "aws:cloudtrail/trail:Trail":
            res["inputs"]["isMultiRegionTrail"] = "[secret]"
            res["outputs"]["isMultiRegionTrail"] = "[secret]"
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc))
    findings = evaluate(RULES, pulumi_source.from_state(str(path)).resources)
    rotation = {f.status for f in findings if f.rule.id == "kms-key-rotation"}
    assert rotation == {"unknown"}
    assert {f.status for f in findings if f.rule.id == "cloudtrail-multi-region"} == {"unknown"}


def test_unknown_subresource_for_an_unknown_bucket_makes_the_property_unknown():
    recs = [
        {
            "type": "aws:s3/bucketV2:BucketV2",
            "urn": "urn:b",
            "name": "b",
            "id": "b1",
            "custom": True,
            "inputs": {"tags": {"data_class": "phi"}},
            "outputs": {"bucket": "b1"},
            "provider": None,
            "parent": None,
            "region": None,
            "deps": {},
        },
        {
            "type": "aws:s3/bucketVersioningV2:BucketVersioningV2",
            "urn": "urn:v",
            "name": "v",
            "id": None,
            "custom": True,
            "inputs": {"bucket": {"$unknown": "computed"}, "versioningConfiguration": {"status": "Enabled"}},
            "outputs": {},
            "provider": None,
            "parent": None,
            "region": None,
            "deps": {},
        },
    ]
    (bucket,) = normalize.normalize(recs, "plan", account="111122223333")
    assert bucket.properties["versioning"] == {"$unknown": "a BucketVersioning for a bucket not known until deploy"}
    (f,) = evaluate([BY_ID["s3-bucket-versioning"]], [bucket])
    assert f.status == "unknown"


def test_pass_v6_bucket_tokens_join_like_v7():
    recs = [
        {
            "type": "aws:s3/bucketV2:BucketV2",
            "urn": "urn:b",
            "name": "b",
            "id": "b1",
            "custom": True,
            "inputs": {"tags": {"data_class": "logs"}},
            "outputs": {"bucket": "b1", "arn": "arn:aws:s3:::b1"},
            "provider": None,
            "parent": None,
            "region": None,
            "deps": {},
        },
        {
            "type": "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
            "urn": "urn:e",
            "name": "e",
            "id": "b1",
            "custom": True,
            "inputs": {
                "bucket": "b1",
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {
                            "sseAlgorithm": "aws:kms",
                            "kmsMasterKeyId": "alias/aws/s3",
                        }
                    }
                ],
            },
            "outputs": {},
            "provider": None,
            "parent": None,
            "region": None,
            "deps": {},
        },
    ]
    (bucket,) = normalize.normalize(recs, "plan", account="111122223333")
    assert bucket.properties["encryption"]["sse_algorithm"] == "aws:kms"
    assert bucket.properties["encryption"]["kms_key_managed_by"] == "aws"
    assert bucket.properties["public_access_block"]["block_public_acls"] is False


def test_pass_inline_bucket_encryption_and_logging_are_read():
    recs = [
        {
            "type": "aws:s3/bucket:Bucket",
            "urn": "urn:b",
            "name": "b",
            "id": "b1",
            "custom": True,
            "inputs": {
                "tags": {"data_class": "phi"},
                "logging": {"targetBucket": "logs1"},
                "serverSideEncryptionConfiguration": {
                    "rule": {
                        "applyServerSideEncryptionByDefault": {
                            "sseAlgorithm": "aws:kms",
                            "kmsMasterKeyId": "arn:aws:kms:us-east-1:1:key/k",
                        },
                        "bucketKeyEnabled": True,
                    }
                },
            },
            "outputs": {},
            "provider": None,
            "parent": None,
            "region": None,
            "deps": {},
        }
    ]
    (bucket,) = normalize.normalize(recs, "plan", account="111122223333")
    assert bucket.properties["encryption"] == {
        "sse_algorithm": "aws:kms",
        "kms_key_id": "arn:aws:kms:us-east-1:1:key/k",
        "kms_key_managed_by": "customer",
        "bucket_key_enabled": True,
    }
    assert bucket.properties["logging"] == {"enabled": True, "target_bucket": "logs1"}


def test_pass_config_comes_from_the_stack_file(tmp_path):
    code = 'ImagingArchive("a", ImagingArchiveArgs(retention_years=pulumi.Config().get_int("retentionYears")))'
    _, resources = plan_snippet(tmp_path, code, config={"snippet:retentionYears": 10})
    days = {
        r.properties["object_lock"]["retention_days"]
        for r in resources
        if r.type == "aws.s3_bucket" and r.properties["tags"].get("data_class") == "phi"
    }
    assert days == {3650}


def test_unknown_secret_config_value_is_unknown_not_a_pass(tmp_path):
    code = (
        "cfg = pulumi.Config()\n"
        'PhiKey("k", PhiKeyArgs(alias=None, description=cfg.require_secret("keyDescription")))\n'
        "import pulumi_aws as aws\n"
        'aws.cloudwatch.LogGroup("g", retention_in_days=2192, kms_key_id=cfg.require_secret("logKey"))'
    )
    _, resources = plan_snippet(
        tmp_path,
        code,
        config={"snippet:keyDescription": {"secure": "v1:AAAA"}, "snippet:logKey": {"secure": "v1:BBBB"}},
    )
    (group,) = [r for r in resources if r.type == "aws.cloudwatch_log_group"]
    assert group.properties["kms_key_id"] == {"$unknown": "secret"}
    (f,) = evaluate([BY_ID["log-group-kms-encryption"]], [group])
    assert f.status == "unknown"


def test_pass_each_run_has_a_fresh_runtime(tmp_path):
    import sys

    before = {n for n in sys.modules if n == "components" or n.startswith("components.")}
    a = _outcomes(pulumi_source.plan_program(str(INFRA), "dev"))
    b = _outcomes(pulumi_source.plan_program(str(INFRA), "dev"))
    assert a == b
    assert not {n for n in sys.modules if n == "components" or n.startswith("components.")} - before


def test_error_program_that_raises_gives_error_findings_and_the_scan_goes_on(tmp_path):
    prog = tmp_path / "broken"
    prog.mkdir()
    (prog / "__main__.py").write_text("raise RuntimeError('boom')\n")
    good = tmp_path / "r.json"
    good.write_text(
        json.dumps(
            {
                "resources": [
                    {
                        "type": "aws.kms_key",
                        "id": "k",
                        "source": "file",
                        "properties": {
                            "key_manager": "CUSTOMER",
                            "rotation_enabled": True,
                            "key_spec": "SYMMETRIC_DEFAULT",
                            "key_state": "Enabled",
                        },
                    }
                ]
            }
        )
    )
    proc = run_enamel("scan", "--pulumi", str(prog), "--resources", str(good), "--format", "json", "--ci")
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    errors = [f for f in report["findings"] if f["status"] == "error"]
    assert errors and all("failed under mocks: RuntimeError: boom" in (f.get("detail") or f["message"]) for f in errors)
    assert any(f["resource"]["id"] == "k" and f["status"] == "pass" for f in report["findings"])


def test_bad_input_folder_without_program_exits_two(tmp_path):
    proc = run_enamel("scan", "--pulumi", str(tmp_path))
    assert proc.returncode == 2 and "no __main__.py" in proc.stderr


@pytest.mark.parametrize(
    "content,reader,message",
    [
        ("{not json", exports.read_preview, "invalid JSON|not JSON"),
        ('{"deployment": {}}', exports.read_preview, "no 'steps' list"),
        ('{"steps": []}', exports.read_state, "no 'deployment.resources'"),
        ('{"steps": [{"op": "create"}]}', exports.read_preview, "without 'urn'"),
    ],
)
def test_bad_input_export_files_are_input_errors(tmp_path, content, reader, message):
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        reader(str(path))


def test_pass_deleted_resources_are_not_planned(tmp_path):
    doc = json.loads((FIXTURES / "preview.json").read_text())
    trail_steps = [s for s in doc["steps"] if s["newState"]["type"] == "aws:cloudtrail/trail:Trail"]
    for s in trail_steps:
        s["op"] = "delete"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(copy.deepcopy(doc)))
    col = pulumi_source.from_preview(str(path))
    assert not [r for r in col.resources if r.type == "aws.cloudtrail_trail"]


def test_pass_cli_reads_preview_and_state_files():
    proc, report = _scan_json(
        "--pulumi-preview", FIXTURES / "preview.json", "--pulumi-state", FIXTURES / "stack-export.json"
    )
    assert proc.returncode == 0, proc.stderr
    assert report["scan"]["sources"] == ["pulumi-preview:preview.json", "pulumi-state:stack-export.json"]
    assert {f["resource"]["source"] for f in report["findings"]} == {"plan", "state"}
    assert report["summary"]["by_status"]["fail"] == 0 and report["summary"]["by_status"]["unknown"] == 0


def test_fail_demo_shows_the_plan_gate_of_infra_and_the_weakened_variant(demo_run):
    assert demo_run.proc.returncode == 1, demo_run.proc.stderr
    report = demo_run.report()
    validate_report(report)
    assert {"pulumi:enamel-imaging-archive/dev (mocks)", "pulumi:enamel-weakened-archive/demo (mocks)"} <= set(
        report["scan"]["sources"]
    )
    plan = [f for f in report["findings"] if f["resource"]["source"] == "plan"]
    weak = [f for f in plan if "weak-" in f["resource"]["name"]]
    strong = [f for f in plan if "weak-" not in f["resource"]["name"]]
    assert any(f["status"] == "fail" for f in weak)
    assert strong and all(f["status"] in ("pass", "skip") for f in strong)


def test_pass_region_comes_from_an_explicit_provider(tmp_path):
    code = (
        "import pulumi_aws as aws\n"
        'dr = aws.Provider("dr", region="eu-west-1")\n'
        'aws.s3.Bucket("b", tags={"data_class": "logs"}, opts=pulumi.ResourceOptions(provider=dr))\n'
        'aws.s3.Bucket("c", tags={"data_class": "logs"})'
    )
    _, resources = plan_snippet(tmp_path, code)
    regions = {r.name.split("-")[0]: r.region for r in resources if r.type == "aws.s3_bucket"}
    assert regions == {"b": "eu-west-1", "c": "us-east-1"}


def test_pass_msp_stack_example_plans_clean_in_its_own_account():
    col = pulumi_source.plan_program(str(ROOT), "msp-prod")
    findings = evaluate(RULES, col.resources)
    assert not [(f.rule.id, f.resource.name) for f in findings if f.status in ("fail", "unknown", "error")]
    assert {r.account for r in col.resources} == {"210987654321"}
    lock = {
        r.properties["object_lock"]["retention_days"]
        for r in col.resources
        if r.type == "aws.s3_bucket" and r.properties["tags"]["data_class"] == "phi"
    }
    assert lock == {3650}  # retentionYears: 10


def test_azure_storage_account_in_a_stack_export_is_judged_by_the_azure_rules():
    path = ROOT / "tests/fixtures/pulumi/azure-stack-export.json"
    c = pulumi_source.from_state(str(path))
    (acct,) = [r for r in c.resources if r.type == "azure.storage_account"]
    got = {f.rule.id: f.status for f in evaluate(RULES, [acct])}
    assert got["storage-account-shared-key-access-disabled"] == "fail"
    assert got["storage-account-phi-private-access"] == "fail"
    assert got["storage-account-blob-public-access-disabled"] == "fail"
    assert got["storage-account-https-only"] == "pass"
    assert got["storage-account-minimum-tls-version"] == "pass"
    assert got["storage-account-blob-soft-delete"] == "fail"


def test_azure_classic_storage_account_reads_like_terraform():
    rec = {
        "type": "azure:storage/account:Account",
        "urn": "urn:pulumi:dev::p::azure:storage/account:Account::x",
        "name": "x",
        "id": None,
        "inputs": {
            "name": "bsdx",
            "resourceGroupName": "rg",
            "location": "eastus",
            "accountTier": "Standard",
            "accountReplicationType": "LRS",
            "httpsTrafficOnlyEnabled": False,
            "sharedAccessKeyEnabled": False,
            "networkRules": {"defaultAction": "Deny", "bypasses": ["AzureServices"]},
            "tags": {"data_class": "phi"},
        },
        "outputs": {},
        "deps": {},
    }
    (acct,) = [r for r in normalize.normalize([rec], "plan") if r.type == "azure.storage_account"]
    got = {f.rule.id: f.status for f in evaluate(RULES, [acct])}
    assert got["storage-account-https-only"] == "fail"
    assert got["storage-account-shared-key-access-disabled"] == "pass"
    assert acct.properties["network_rules"]["default_action"] == "Deny"
    assert acct.properties["network_rules"]["bypass"] == ["AzureServices"]


def test_pulumi_types_not_understood_are_counted():
    from enamel_hipaa.sources.pulumi import coverage

    recs = [
        {"type": "aws:s3/bucketV2:BucketV2", "custom": True},
        {"type": "aws:efs/fileSystem:FileSystem", "custom": True},
        {"type": "aws:efs/fileSystem:FileSystem", "custom": True},
        {"type": "pulumi:providers:aws", "custom": True},
        {"type": "azure-native:storage/v20230101:StorageAccount", "custom": True},
        {"type": "my:component:Archive", "custom": False},
    ]
    assert coverage.unsupported(recs) == {"aws:efs/fileSystem:FileSystem": 2}


def test_unknown_data_source_outputs_under_mocks_keep_the_program_running(tmp_path):
    prog = tmp_path / "zone"
    prog.mkdir()
    (prog / "Pulumi.yaml").write_text("name: zone\nruntime: python\n")
    (prog / "__main__.py").write_text(
        "import pulumi_aws as aws\n"
        "zone = aws.route53.get_zone(name='clinic.example')\n"
        "aws.cloudwatch.LogGroup('dns', name='/dns', retention_in_days=2192, kms_key_id=zone.id)\n"
    )
    c = pulumi_source.plan_program(str(prog))
    assert c.errors == []
    (group,) = [r for r in c.resources if r.type == "aws.cloudwatch_log_group"]
    assert "$unknown" in group.properties["kms_key_id"]
    (f,) = evaluate([BY_ID["log-group-kms-encryption"]], [group])
    assert f.status == "unknown"
