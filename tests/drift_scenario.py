"""The drift scenario shared by the history, drift and weekly-email tests: one account
scanned three times, in which the X-ray archive loses its encryption, the referrals share
gains it, and then a new public bucket appears.

`scenario_source(step)` is the ONE place the scans' source is produced. Today it returns
`--resources` fixtures that mirror that scenario exactly; switching to a moto-backed live
scan means mutating the moto account here for each step and returning `--aws ...` options
instead. Nothing else in the tests knows where the resources come from."""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from conftest import run_enamel

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SCANS = [
    "drift/scan1_pass_archive_encrypted_fail_referrals_unencrypted.yaml",
    "drift/scan2_fail_archive_lost_encryption_pass_referrals_gained_it.yaml",
    "drift/scan3_fail_new_public_bucket_appeared.yaml",
]
TENANT = "Bright Smile Dental"
ARCHIVE = "arn:aws:s3:::bsd-xray-archive"
REFERRALS = "arn:aws:s3:::bsd-referrals-share"
PUBLIC = "arn:aws:s3:::bsd-marketing-site"


def scenario_source(step: int) -> list[str]:
    """Source options of scan `step` (1..3)."""
    return ["--resources", str(FIXTURES / SCANS[step - 1])]


def write_waivers(path: Path, today: date | None = None) -> Path:
    """One waiver expiring in 10 days (listed as expiring soon), one in 200 days (not)."""
    today = today or date.today()
    path.write_text(
        "waivers:\n"
        f"  - {{rule: s3-bucket-key-enabled, resource: bsd-xray-archive, reason: key rollout, owner: it@bsd.example,"
        f" expires: '{(today + timedelta(days=10)).isoformat()}'}}\n"
        f"  - {{rule: s3-bucket-versioning, resource: bsd-marketing-site, reason: static site, owner: web@bsd.example,"
        f" expires: '{(today + timedelta(days=200)).isoformat()}'}}\n")
    return path


def record_scan(db: Path, step: int, waivers: Path | None = None, tenant: str = TENANT):
    args = ["scan", *scenario_source(step), "--record", "--history", db, "--tenant", tenant, "-q", "--fail-on", "none"]
    if waivers:
        args += ["--waivers", waivers]
    res = run_enamel(*args)
    assert res.returncode == 0, res.stderr
    return res


def scan_ids(db: Path, tenant: str = TENANT) -> list[str]:
    res = run_enamel("history", "list", "--history", db, "--tenant", tenant, "--format", "json")
    assert res.returncode == 0, res.stderr
    return [s["id"] for s in json.loads(res.stdout)]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A history with the scenario's three scans recorded through `enamel scan --record`
    (read-only for the tests that use it)."""
    tmp_path = tmp_path_factory.mktemp("recorded")
    db = tmp_path / "history.sqlite3"
    waivers = write_waivers(tmp_path / "waivers.yaml")
    for step in (1, 2, 3):
        record_scan(db, step, waivers)
    return db, scan_ids(db)
