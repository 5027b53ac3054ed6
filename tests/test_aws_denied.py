"""Fail closed: one service denied (AccessDenied injected with a botocore `before-call` hook,
as an SCP or a narrower audit policy would) turns its rules into `error`; the rest of the
scan still evaluates, and --fail-on-error exits 3."""

import json

import pytest

pytest.importorskip("moto")

import awsstack as stack  # noqa: E402
from conftest import validate_report  # noqa: E402
from enamel_hipaa import cli
from enamel_hipaa.sources.aws import runner
from conftest import shipped_rules


def _deny(model, **_):
    from botocore.awsrequest import AWSResponse

    body = {
        "Error": {"Code": "AccessDenied", "Message": f"not authorized to perform {model.name}"},
        "ResponseMetadata": {"HTTPStatusCode": 403},
    }
    return AWSResponse("https://rds.amazonaws.com/", 403, {}, None), body


@pytest.fixture(scope="module")
def account(moto_account):
    sess = stack.session()
    sess.client("s3").create_bucket(Bucket="fail-bare-bucket")
    sess.client("rds").create_db_instance(
        DBInstanceIdentifier="pass-pms-db",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        MasterUsername="dentist",
        MasterUserPassword="not-a-real-secret-1",
        AllocatedStorage=20,
        StorageEncrypted=True,
        DeletionProtection=True,
        BackupRetentionPeriod=14,
    )
    yield moto_account


def _scan(tmp_path, *extra):
    rc = cli.main(
        ["scan", "--aws", "--regions", stack.HOME, "--format", "json", "--output-dir", str(tmp_path), "-q", *extra]
    )
    report = (
        json.loads((tmp_path / "report.json").read_text())
        if (tmp_path / "report.json").exists()
        else json.loads(next(tmp_path.glob("*.json")).read_text())
    )
    validate_report(report)
    return rc, report


def test_error_denied_rds_reports_error_and_exit_3(account, tmp_path, monkeypatch):
    real = runner.session_for

    def denied_session(*a, **kw):
        session, region = real(*a, **kw)
        session.events.register("before-call.rds", _deny)
        return session, region

    monkeypatch.setattr(runner, "session_for", denied_session)
    rc, report = _scan(tmp_path, "--fail-on-error", "--fail-on", "none")
    assert rc == 3
    by_rule = {}
    for f in report["findings"]:
        by_rule.setdefault(f["rule_id"], set()).add(f["status"])
    for rule in ("rds-storage-encrypted", "rds-not-public", "rds-automated-backups", "rds-deletion-protection"):
        assert by_rule[rule] == {"error"}, (rule, by_rule[rule])
    assert "fail" in by_rule["s3-bucket-versioning"]  # the rest still evaluates
    assert by_rule["iam-password-policy"] == {"fail"}
    errs = [e for e in report["errors"] if e["service"] == "rds"]
    assert errs and "AccessDenied" in errs[0]["message"]
    assert "testing" not in json.dumps(report)  # no credentials in output


def test_pass_same_account_without_denial_has_no_errors(account, tmp_path):
    rc, report = _scan(tmp_path, "--fail-on-error", "--fail-on", "none")
    assert rc == 0
    assert report["errors"] == []
    statuses = {f["status"] for f in report["findings"] if f["rule_id"].startswith("rds-")}
    assert "pass" in statuses and "error" not in statuses


def _failing(code: str, status: int):
    def hook(model, **_):
        from botocore.awsrequest import AWSResponse

        return AWSResponse("https://example.invalid/", status, {}, None), {
            "Error": {"Code": code, "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }

    return hook


@pytest.mark.parametrize(
    "event,code,status,types",
    [
        ("before-call.cloudwatch-logs", "ThrottlingException", 400, {"aws.cloudwatch_log_group"}),
        ("before-call.kms.ListKeys", "AccessDeniedException", 400, {"aws.kms_key"}),
        ("before-call.s3.GetBucketPolicy", "AccessDenied", 403, set()),
    ],
)
def test_error_injected_failures_fail_closed(account, monkeypatch, event, code, status, types):
    """Throttling that outlived the retries, and denials, at service and at property level."""
    from enamel_hipaa.core.engine import evaluate

    real = runner.session_for

    def failing_session(*a, **kw):
        session, region = real(*a, **kw)
        session.events.register(event, _failing(code, status))
        return session, region

    monkeypatch.setattr(runner, "session_for", failing_session)
    col, _ = runner.scan(regions=stack.HOME)
    assert {e.resource_type for e in col.errors} == types
    assert all(code in e.message for e in col.errors)
    found = evaluate(shipped_rules().rules, col.resources, errors=col.errors)
    if not types:  # property-level: the bucket's policy rules are `error`, not pass/fail
        bucket = [f for f in found if f.resource_ref["name"] == "fail-bare-bucket"]
        by_rule = {f.rule.id: f.status for f in bucket}
        assert by_rule["s3-bucket-deny-insecure-transport"] == "error"
        assert by_rule["s3-bucket-versioning"] == "fail"
    for t in types:
        assert {f.status for f in found if f.rule.resource == t} == {"error"}


def test_error_unsupported_region_fails_closed_and_the_rest_completes(account):
    """A region the endpoint cannot serve: its listings become errors, never empty regions."""
    col, _ = runner.scan(regions=f"{stack.HOME},nowhere-9")
    bad = {e.resource_type for e in col.errors if e.region == "nowhere-9"}
    assert {"aws.kms_key", "aws.rds_instance", "aws.cloudtrail_trail", "aws.vpc"} <= bad
    assert all(e.region == "nowhere-9" for e in col.errors)
    region = next(r for r in col.resources if r.type == "aws.ec2_region" and r.region == "nowhere-9")
    assert "$error" in region.properties["guardduty_enabled"]
    assert any(r.type == "aws.rds_instance" and r.region == stack.HOME for r in col.resources)


def test_pass_named_profile_from_the_standard_chain(account, tmp_path, monkeypatch):
    """--profile reads a shared-credentials profile (no env keys), like a practice's SSO/CLI setup."""
    creds = tmp_path / "credentials"
    creds.write_text(
        f"[practice]\naws_access_key_id = profilekey\naws_secret_access_key = profilesecret\nregion = {stack.HOME}\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    col, aws = runner.scan(profile="practice", regions=stack.HOME)
    assert col.errors == [] and aws.account == stack.ACCOUNT_A
    assert any(r.name == "fail-bare-bucket" for r in col.resources)
    assert "profilesecret" not in json.dumps([r.to_dict() for r in col.resources])
