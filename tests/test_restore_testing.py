"""AWS Backup restore testing for the restore-test rule: the collector's real calls
(ListRestoreTestingPlans, ListRestoreTestingSelections, GetRestoreTestingSelection,
ListRestoreJobs) answered by a stand-in on 127.0.0.1 in AWS's own JSON shapes (moto has no
restore testing), then the cross-check that lets a completed restore job on a covered PHI
resource stand for the register's test; the register stays the fallback, and restore data
AWS could not read never passes a system."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.core.model import Resource
from enamel_hipaa.core.ruleset import load_rules
from enamel_hipaa.sources import Collection
from enamel_hipaa.sources.attestation import restore_test_resource
from enamel_hipaa.sources.aws import backup
from enamel_hipaa.sources.aws.base import Aws
from enamel_hipaa.workflows import crosscheck
from enamel_hipaa.workflows.demo.localservers import LOOPBACK

ACCOUNT, REGION = "111122223333", "us-east-1"
ARCHIVE = "arn:aws:s3:::bsd-xray-archive"
PLAN_ARN = f"arn:aws:backup:{REGION}:{ACCOUNT}:restore-testing-plan:phi_weekly-1a2b3c"
TODAY = dt.datetime.now(dt.timezone.utc).date()
RULE = next(r for r in load_rules().rules if r.id == "attestation-restore-test-current")


def _epoch(days_ago: int) -> float:
    return (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago)).timestamp()


def _answers(job_age_days: int | None, validation: str = "SUCCESSFUL") -> dict:
    jobs = []
    if job_age_days is not None:
        jobs.append(
            {
                "AccountId": ACCOUNT,
                "RestoreJobId": "r-1",
                "RecoveryPointArn": f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:bsd-xray-archive-1",
                "SourceResourceArn": ARCHIVE,
                "CreationDate": _epoch(job_age_days + 1),
                "CompletionDate": _epoch(job_age_days),
                "Status": "COMPLETED",
                "ResourceType": "S3",
                "CreatedBy": {"RestoreTestingPlanArn": PLAN_ARN},
                "ValidationStatus": validation,
            }
        )
    return {
        "/backup-vaults/": {"BackupVaultList": []},
        "/backup/plans/": {"BackupPlansList": []},
        "/restore-testing/plans": {
            "RestoreTestingPlans": [
                {
                    "CreationTime": _epoch(300),
                    "LastExecutionTime": _epoch(3),
                    "RestoreTestingPlanArn": PLAN_ARN,
                    "RestoreTestingPlanName": "phi_weekly",
                    "ScheduleExpression": "cron(0 5 ? * SUN *)",
                }
            ]
        },
        "/restore-testing/plans/phi_weekly/selections": {
            "RestoreTestingSelections": [
                {
                    "CreationTime": _epoch(300),
                    "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/restore-testing",
                    "ProtectedResourceType": "S3",
                    "RestoreTestingPlanName": "phi_weekly",
                    "RestoreTestingSelectionName": "phi_buckets",
                }
            ]
        },
        "/restore-testing/plans/phi_weekly/selections/phi_buckets": {
            "RestoreTestingSelection": {
                "CreationTime": _epoch(300),
                "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/restore-testing",
                "ProtectedResourceArns": [ARCHIVE],
                "ProtectedResourceType": "S3",
                "RestoreTestingPlanName": "phi_weekly",
                "RestoreTestingSelectionName": "phi_buckets",
            }
        },
        "/restore-jobs/": {"RestoreJobs": jobs},
    }


@pytest.fixture
def standin():
    """Serve `answers` (path -> JSON body); a path mapped to None answers HTTP 500."""
    state = {"answers": {}, "paths": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            path = urlsplit(self.path).path
            state["paths"].append(path)
            body = state["answers"].get(path, "missing")
            if body is None or body == "missing":
                code = 500 if body is None else 404
                data = json.dumps({"__type": "ServiceUnavailableException" if code == 500 else "NotFound"}).encode()
            else:
                code, data = 200, json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    t.start()
    try:
        yield srv, state
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(timeout=10)


def _collect(srv, monkeypatch) -> Resource:
    import boto3

    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    aws = Aws(session, ACCOUNT, REGION, endpoint_url=f"http://{LOOPBACK}:{srv.server_address[1]}")
    out = backup.collect(aws, REGION, [REGION])
    assert out.errors == []
    (res,) = [r for r in out.resources if r.type == "aws.backup_restore_testing"]
    return res


def _verdict(restore_testing: Resource, register_test_days_ago: int | None) -> tuple[str, dict]:
    system = {
        "name": "xray-archive",
        "holds_phi": True,
        "covers": ["bsd-xray-archive"],
        "rto_target_hours": 4,
        "rpo_target_hours": 24,
        "last_restore_test": None
        if register_test_days_ago is None
        else {
            "date": (TODAY - dt.timedelta(days=register_test_days_ago)).isoformat(),
            "rto_achieved_hours": 2,
            "rpo_achieved_hours": 12,
        },
    }
    register = Resource(
        "attestation.register", "attestation:t", "t", "attestation", {"restore_test_interval_days": 180}
    )
    test = restore_test_resource("attestation:t/system/xray-archive", system, 180, TODAY)
    col = crosscheck.enrich(Collection(resources=[register, test, restore_testing]))
    (got,) = [r for r in col.resources if r.type == "attestation.restore_test"]
    (finding,) = evaluate([RULE], [got])
    return finding.status, got.properties


def test_pass_recent_restore_job_on_the_archive_stands_for_the_register_test(standin, monkeypatch):
    srv, state = standin
    state["answers"] = _answers(job_age_days=6)
    res = _collect(srv, monkeypatch)
    assert res.properties["plans"][0]["selections"][0]["resource_arns"] == [ARCHIVE]
    assert "/restore-jobs/" in state["paths"]
    status, props = _verdict(res, register_test_days_ago=None)
    assert status == "pass"
    assert (props["evidence"], props["aws_restore_testing_plans"]) == ("aws-backup", ["phi_weekly"])
    assert props["last_tested"] == (TODAY - dt.timedelta(days=6)).isoformat()


def test_fail_restore_job_older_than_the_policy_interval(standin, monkeypatch):
    srv, state = standin
    state["answers"] = _answers(job_age_days=200)
    status, props = _verdict(_collect(srv, monkeypatch), register_test_days_ago=None)
    assert status == "fail" and props["evidence"] == "aws-backup"


def test_fail_restore_job_whose_validation_failed_is_not_a_test(standin, monkeypatch):
    srv, state = standin
    state["answers"] = _answers(job_age_days=6, validation="FAILED")
    res = _collect(srv, monkeypatch)
    assert res.properties["restore_jobs"] == []
    status, props = _verdict(res, register_test_days_ago=None)
    assert status == "fail" and props["aws_restore_job"] is None


def test_pass_register_remains_the_fallback_when_aws_has_no_job(standin, monkeypatch):
    srv, state = standin
    state["answers"] = _answers(job_age_days=None)
    status, props = _verdict(_collect(srv, monkeypatch), register_test_days_ago=30)
    assert status == "pass" and props["evidence"] == "register"


def test_error_unreadable_restore_data_never_passes_a_system_the_register_does_not(standin, monkeypatch):
    srv, state = standin
    answers = _answers(job_age_days=6)
    answers["/restore-jobs/"] = None  # HTTP 500
    answers["/restore-testing/plans"] = None
    state["answers"] = answers
    res = _collect(srv, monkeypatch)
    assert "$error" in res.properties["restore_jobs"] and "$error" in res.properties["plans"]
    status, props = _verdict(res, register_test_days_ago=None)
    assert status == "fail" and "$error" in props["aws_restore_job"]


def test_error_empty_restore_jobs_answer_is_not_read_as_no_jobs(standin, monkeypatch):
    srv, state = standin
    answers = _answers(job_age_days=6)
    answers["/restore-jobs/"] = {}  # a 200 with no RestoreJobs key: lost, not empty
    state["answers"] = answers
    res = _collect(srv, monkeypatch)
    assert "$error" in res.properties["restore_jobs"]


def test_pass_enriching_twice_keeps_the_register_date_apart_from_the_aws_job(standin, monkeypatch):
    srv, state = standin
    state["answers"] = _answers(job_age_days=6)
    res = _collect(srv, monkeypatch)
    _, first = _verdict(res, register_test_days_ago=300)
    assert (first["evidence"], first["register_last_tested"]) == (
        "aws-backup",
        (TODAY - dt.timedelta(days=300)).isoformat(),
    )
    register = Resource(
        "attestation.register", "attestation:t", "t", "attestation", {"restore_test_interval_days": 180}
    )
    again = Resource(
        "attestation.restore_test", "attestation:t/system/xray-archive", "xray-archive", "attestation", first
    )
    col = crosscheck.enrich(Collection(resources=[register, again, res]))
    (got,) = [r for r in col.resources if r.type == "attestation.restore_test"]
    assert got.properties == first
