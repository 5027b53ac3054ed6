"""The drift scenario shared by the history, drift and weekly-email tests: one moto account
scanned three times with the live AWS collector, in which the X-ray archive loses its
encryption, the referrals share gains it, and then a new public bucket appears.

`scenario_source(step)` is the ONE place the scans' source is produced: it brings the moto
account (the shared server of conftest's `moto_account`, which every test using the
scenario must hold) to the state of `step` and returns the `--aws` options that scan it;
`scenario_collection(step)` does the same scan in-process (for tests that choose the scan
time). Nothing else in the tests knows where the resources come from."""

from __future__ import annotations

import json
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest

import awsstack as stack
from conftest import run_enamel

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TENANT = "Bright Smile Dental"
ARCHIVE = "arn:aws:s3:::bsd-xray-archive"
REFERRALS = "arn:aws:s3:::bsd-referrals-share"
PUBLIC = "arn:aws:s3:::bsd-marketing-site"
LOGS = "bsd-access-logs"
KEY_ALIAS = "alias/bsd-phi"


def _name(arn: str) -> str:
    return arn.split(":::", 1)[1]


def _key(sess) -> str:
    """The practice's PHI key (made once per moto account: its ARN stays the same across scans)."""
    kms = sess.client("kms", region_name=stack.HOME)
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    if KEY_ALIAS in aliases:
        return kms.describe_key(KeyId=KEY_ALIAS)["KeyMetadata"]["Arn"]
    role = f"arn:aws:iam::{stack.ACCOUNT_A}:role/bsd-"
    return stack.phi_key(kms, stack.ACCOUNT_A, KEY_ALIAS, role + "key-admin", role + "imaging")


def _encrypt(s3, bucket: str, key: str | None) -> None:
    if key is None:
        s3.delete_bucket_encryption(Bucket=bucket)
    else:
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )


def _public_bucket(s3, bucket: str) -> None:
    """A marketing site: ACLs on, READ for everyone, a public-read policy, SSE-S3, no versioning."""
    s3.create_bucket(Bucket=bucket, ObjectOwnership="ObjectWriter")
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "data_class", "Value": "internal"}]})
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{PUBLIC}/*"}
                ],
            }
        ),
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )


def converge(step: int) -> None:
    """Bring the moto account to the state of scan `step` (1..3), whatever state it is in:
    1: archive KMS-encrypted, referrals share unencrypted; 2: the archive lost its encryption,
    the share gained it; 3: as 2, plus a public marketing bucket."""
    sess = stack.session()
    s3 = sess.client("s3", region_name=stack.HOME)
    key = _key(sess)
    have = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    if LOGS not in have:
        stack.log_bucket(s3, LOGS, stack.HOME)
    for arn in (ARCHIVE, REFERRALS):
        if _name(arn) not in have:
            stack.archive_bucket(s3, _name(arn), stack.HOME, key, LOGS, stack.RETENTION_DAYS)
    _encrypt(s3, _name(ARCHIVE), key if step == 1 else None)
    _encrypt(s3, _name(REFERRALS), key if step >= 2 else None)
    public = _name(PUBLIC)
    if step == 3 and public not in have:
        _public_bucket(s3, public)
    elif step != 3 and public in have:
        s3.delete_bucket(Bucket=public)


def scenario_source(step: int) -> list[str]:
    """Source options of scan `step` (1..3), with the moto account brought to that state."""
    converge(step)
    return ["--aws", "--regions", stack.HOME]


def scenario_collection(step: int):
    """Scan `step` collected in-process (the same live collector the CLI runs)."""
    from enamel_hipaa.sources.aws.runner import scan

    converge(step)
    collection, _ = scan(regions=stack.HOME)
    return collection


def write_waivers(path: Path, today: date | None = None) -> Path:
    """One waiver expiring in 10 days (listed as expiring soon), one in 200 days (not)."""
    today = today or date.today()
    path.write_text(
        "waivers:\n"
        f"  - {{rule: s3-bucket-key-enabled, resource: bsd-xray-archive, reason: key rollout, owner: it@bsd.example,"
        f" expires: '{(today + timedelta(days=10)).isoformat()}'}}\n"
        f"  - {{rule: s3-bucket-versioning, resource: bsd-marketing-site, reason: static site, owner: web@bsd.example,"
        f" expires: '{(today + timedelta(days=200)).isoformat()}'}}\n"
    )
    return path


def record_scan(db: Path, step: int, waivers: Path | None = None, tenant: str = TENANT):
    args = ["scan", *scenario_source(step), "--record", "--history", db, "--tenant", tenant, "-q", "--fail-on", "none"]
    if waivers:
        args += ["--waivers", waivers]
    with tempfile.TemporaryDirectory(prefix="enamel-scan-") as out:
        res = run_enamel(*args, "--format", "json", "--output-dir", out)
        assert res.returncode == 0, f"exit {res.returncode}: {res.stderr}{_errors(Path(out))}"
    return res


def _errors(out: Path) -> str:
    """The report's errors, to say why a scan that should have been complete was not."""
    reports = sorted(out.glob("*.json"))
    if not reports:
        return " (no JSON report)"
    report = json.loads(reports[0].read_text())
    return f" complete={report['scan']['complete']} errors={json.dumps(report['errors'])[:3000]}"


def scan_ids(db: Path, tenant: str = TENANT) -> list[str]:
    res = run_enamel("history", "list", "--history", db, "--tenant", tenant, "--format", "json")
    assert res.returncode == 0, res.stderr
    return [s["id"] for s in json.loads(res.stdout)]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def recorded(request, tmp_path_factory, moto_account):
    """A history (SQLite, then PostgreSQL) with the scenario's three scans recorded through
    `enamel scan --record` (read-only for the tests that use it)."""
    from conftest import new_store

    tmp_path = tmp_path_factory.mktemp("recorded")
    db = new_store(request.param, request, tmp_path)
    waivers = write_waivers(tmp_path / "waivers.yaml")
    for step in (1, 2, 3):
        record_scan(db, step, waivers)
    return db, scan_ids(db)
