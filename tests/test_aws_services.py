"""Amazon Macie and AWS HealthImaging read live: moto has no ListClassificationJobs and no
HealthImaging at all, so the pass and fail verdicts are shown with the real boto3 clients
pointed at a loopback stand-in serving the real API shapes (tests/aws_standin.py), every
other service on the moto server; and on moto alone, the same rules fail closed (`error`)."""

import os

import boto3
import pytest

pytest.importorskip("moto")

from aws_standin import AwsStandin  # noqa: E402
from awsservices import datastore  # noqa: E402
from enamel_hipaa.core.engine import evaluate  # noqa: E402
from enamel_hipaa.core.ruleset import load_rules  # noqa: E402
from enamel_hipaa.sources.aws.runner import scan  # noqa: E402

HOME, OTHER = "us-east-1", "us-west-2"
REGIONS = f"{HOME},{OTHER}"
RULES = ("macie-enabled", "macie-phi-bucket-covered", "healthimaging-datastore-cmk", "healthimaging-datastore-active")
STANDIN_ENV = ("AWS_ENDPOINT_URL_MACIE2", "AWS_ENDPOINT_URL_MEDICAL_IMAGING")


def _job(name, status="RUNNING", kind="SCHEDULED", buckets=None, criteria=None):
    job = {
        "jobId": name + "-id",
        "name": name,
        "jobStatus": status,
        "jobType": kind,
        "createdAt": "2026-01-01T00:00:00Z",
    }
    if buckets:
        job["bucketDefinitions"] = [{"accountId": "123456789012", "buckets": buckets}]
    if criteria:
        job["bucketCriteria"] = criteria
    return job


def _store(name, status="ACTIVE", key=None):
    return datastore(name, HOME, status, key)


def _provision() -> str:
    s3 = boto3.client("s3", region_name=HOME)
    tagged = {
        "pass-phi-listed": "phi",
        "pass-phi-tagged": "ephi",
        "fail-phi-uncovered": "phi",
        "fail-phi-unmodelled": "phi",
        "skip-logs": "logs",
    }
    for name, value in tagged.items():
        s3.create_bucket(Bucket=name)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "data_class", "Value": value}]})
    s3.create_bucket(Bucket="fail-untagged-uncovered")  # no data-class tag: in PHI scope (fail closed)
    return boto3.client("kms", region_name=HOME).create_key(Description="pass-dicom-key")["KeyMetadata"]["Arn"]


def _standin(key: str) -> AwsStandin:
    unmodelled = {
        "includes": {
            "and": [
                {"simpleCriterion": {"comparator": "EQ", "key": "S3_BUCKET_EFFECTIVE_PERMISSION", "values": ["PUBLIC"]}}
            ]
        }
    }
    by_tag = {
        "includes": {
            "and": [{"tagCriterion": {"comparator": "EQ", "tagValues": [{"key": "data_class", "value": "ephi"}]}}]
        }
    }
    return AwsStandin(
        macie={HOME: {"status": "ENABLED"}, OTHER: None},
        jobs={
            HOME: [
                _job("phi-listed", buckets=["pass-phi-listed"]),
                _job("ephi-by-tag", status="IDLE", criteria=by_tag),
                _job("old-cancelled", status="CANCELLED", buckets=["fail-phi-uncovered"]),
                _job("one-time", status="COMPLETE", kind="ONE_TIME", buckets=["fail-untagged-uncovered"]),
                _job("public-only", criteria=unmodelled),
            ]
        },
        datastores={
            HOME: [
                _store("pass-dicom-store", key=key),
                _store("fail-dicom-aws-owned-key"),
                _store("fail-dicom-create-failed", status="CREATE_FAILED", key=key),
                _store("skip-dicom-deleted", status="DELETED"),
            ]
        },
    )


def _findings(col):
    rules = [r for r in load_rules().rules if r.id in RULES]
    return evaluate(rules, col.resources, errors=col.errors)


@pytest.fixture(scope="module")
def scans(moto_account):
    key = _provision()
    standin = _standin(key)
    saved = {k: os.environ.get(k) for k in STANDIN_ENV}
    try:
        for k in STANDIN_ENV:  # awsstack's default stand-in: not here
            os.environ.pop(k, None)
        moto_only, _ = scan(regions=REGIONS)  # moto alone
        os.environ.update({k: standin.url for k in STANDIN_ENV})
        served, aws = scan(regions=REGIONS)
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        standin.stop()
    yield {"moto": moto_only, "standin": served, "calls": aws.calls, "requests": standin.requests}


def _status(found, rule, name=None, region=None):
    return {
        f.status
        for f in found
        if f.rule.id == rule
        and (name is None or f.resource_ref["name"] == name)
        and (region is None or f.resource_ref.get("region") == region)
    }


def test_pass_and_fail_macie_enabled_per_region_on_standin(scans):
    found = _findings(scans["standin"])
    assert _status(found, "macie-enabled", region=HOME) == {"pass"}
    assert _status(found, "macie-enabled", region=OTHER) == {"fail"}


def test_pass_and_fail_phi_buckets_covered_by_scheduled_macie_jobs_on_standin(scans):
    found = _findings(scans["standin"])
    for name in ("pass-phi-listed", "pass-phi-tagged"):
        assert _status(found, "macie-phi-bucket-covered", name) == {"pass"}, name
    for name in ("fail-phi-uncovered", "fail-untagged-uncovered", "fail-phi-unmodelled"):
        assert _status(found, "macie-phi-bucket-covered", name) == {"fail"}, name
    assert _status(found, "macie-phi-bucket-covered", "skip-logs") == {"skip"}
    unmodelled = next(
        f for f in found if f.resource_ref["name"] == "fail-phi-unmodelled" and f.rule.id == "macie-phi-bucket-covered"
    )
    assert "public-only" in unmodelled.message  # the job whose criteria are not modelled is named


def test_pass_and_fail_healthimaging_datastores_on_standin(scans):
    found = _findings(scans["standin"])
    assert _status(found, "healthimaging-datastore-cmk", "pass-dicom-store") == {"pass"}
    assert _status(found, "healthimaging-datastore-cmk", "fail-dicom-aws-owned-key") == {"fail"}
    assert _status(found, "healthimaging-datastore-active", "pass-dicom-store") == {"pass"}
    assert _status(found, "healthimaging-datastore-active", "fail-dicom-create-failed") == {"fail"}
    assert _status(found, "healthimaging-datastore-cmk", "skip-dicom-deleted") == {"skip"}
    assert scans["standin"].errors == []


def test_error_moto_without_macie_jobs_or_healthimaging_fails_closed(scans):
    """moto: Macie is on (its default) but ListClassificationJobs is missing, HealthImaging
    is missing entirely: the collectors still make the real calls and the rules are `error`."""
    found = _findings(scans["moto"])
    covered = [f for f in found if f.rule.id == "macie-phi-bucket-covered" and f.resource_ref.get("region") == HOME]
    assert {f.status for f in covered if f.resource_ref["name"] == "skip-logs"} == {"skip"}  # declared non-PHI
    covered = [f for f in covered if f.resource_ref["name"] != "skip-logs"]
    assert len(covered) == 5 and {f.status for f in covered} == {"error"}
    assert all("ListClassificationJobs" in f.message for f in covered), covered[0].message
    for rule in ("healthimaging-datastore-cmk", "healthimaging-datastore-active"):
        got = [f for f in found if f.rule.id == rule]
        assert got and {f.status for f in got} == {"error"} and all("ListDatastores" in f.message for f in got)


def test_pass_macie_and_healthimaging_calls_are_per_region_plus_one_per_data_store(scans):
    calls = scans["calls"]
    assert calls["macie2:GetMacieSession"] == 2  # one per scanned region
    assert calls["macie2:ListClassificationJobs"] == 1  # only where Macie is enabled
    assert calls["medical-imaging:ListDatastores"] == 2
    assert calls["medical-imaging:GetDatastore"] == 4  # one per data store
    assert {r for _, _, r in scans["requests"]} == {HOME, OTHER}
