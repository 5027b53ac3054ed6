"""Fail closed: one service denied (AccessDenied injected with a botocore `before-call` hook,
as an SCP or a narrower audit policy would) turns its rules into `error`; the rest of the
scan still evaluates, and --fail-on-error exits 3."""
import json

import pytest

pytest.importorskip("moto")

import awsstack as stack  # noqa: E402
from conftest import validate_report  # noqa: E402
from scanner import cli  # noqa: E402
from scanner.collectors.aws import runner  # noqa: E402


def _deny(model, **_):
    from botocore.awsrequest import AWSResponse
    body = {"Error": {"Code": "AccessDenied", "Message": f"not authorized to perform {model.name}"},
            "ResponseMetadata": {"HTTPStatusCode": 403}}
    return AWSResponse("https://rds.amazonaws.com/", 403, {}, None), body


@pytest.fixture(scope="module")
def account():
    with stack.moto_server() as url:
        sess = stack.session()
        sess.client("s3").create_bucket(Bucket="fail-bare-bucket")
        sess.client("rds").create_db_instance(
            DBInstanceIdentifier="pass-pms-db", Engine="postgres", DBInstanceClass="db.t3.micro",
            MasterUsername="dentist", MasterUserPassword="not-a-real-secret-1", AllocatedStorage=20,
            StorageEncrypted=True, DeletionProtection=True, BackupRetentionPeriod=14)
        yield url


def _scan(tmp_path, *extra):
    rc = cli.main(["scan", "--aws", "--regions", stack.HOME, "--format", "json", "--output-dir", str(tmp_path),
                   "-q", *extra])
    report = json.loads((tmp_path / "report.json").read_text()) if (tmp_path / "report.json").exists() else \
        json.loads(next(tmp_path.glob("*.json")).read_text())
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
