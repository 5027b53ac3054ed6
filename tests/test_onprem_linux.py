"""Linux PACS host exports (scripts/collect-linux.sh) read through the on-prem inventory's
`linux_hosts:`: this machine's own export (read-only), the hardened and failing fixtures,
and malformed exports (every rule `error`, never a pass)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from onprem_helpers import by_rule, scan, write_inventory
from enamel_hipaa.sources.onprem import linux

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "linux"
RULES = sorted(p.stem for p in (ROOT / "rules" / "onprem").glob("linux-*.yaml"))


def _statuses(report: dict, name: str) -> dict:
    return {k: f["status"] for k, f in by_rule(report, name).items()}


def test_this_machines_export_is_read_through_the_inventory_and_every_rule_judges_it(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    proc = subprocess.run(
        ["sh", str(ROOT / "scripts" / "collect-linux.sh"), "--image-store", str(store), "--index-db", str(store)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    export = tmp_path / "self.json"
    export.write_text(proc.stdout)
    doc = json.loads(proc.stdout)
    inv = write_inventory(tmp_path / "inv.yaml", {"linux_hosts": [{"name": "self", "file": str(export)}]})
    _, report = scan(inv, tmp_path / "out")
    s = _statuses(report, "self")
    assert sorted(s) == RULES
    assert "error" not in s.values(), s  # a valid export is judged, not rejected
    # verdicts follow what the export says (nginx/Orthanc not exported: out of scope)
    assert s["linux-nginx-access-log-retained"] == "skip" and s["linux-orthanc-logs-retained"] == "skip"
    fips = {True: "pass", False: "fail", None: "unknown"}[doc["fips_enabled"]]
    assert s["linux-fips-mode"] == fips
    auditd = doc["auditd"]
    assert s["linux-auditd-running"] == (
        "pass" if auditd["installed"] and auditd["active"] else "fail" if auditd["active"] is not None else "unknown"
    )
    enc = doc["storage"]["image_store"]["encrypted"]
    assert s["linux-image-store-encrypted"] == {True: "pass", False: "fail", None: "unknown"}[enc]
    if doc["ssh"]["installed"] and doc["ssh"]["permit_root_login"] is not None:
        assert s["linux-ssh-root-login-disabled"] == ("pass" if doc["ssh"]["permit_root_login"] == "no" else "fail")


def test_hardened_fixture_passes_all_but_fips_and_each_failing_fixture_fails_its_rules(tmp_path):
    names = {
        "hardened": "hardened.json",
        "plain-disk": "image-store-not-encrypted.json",
        "ssh-pw": "ssh-password-authentication.json",
        "ssh-root": "ssh-root-login.json",
        "no-auditd": "auditd-missing.json",
        "stale": "patches-stale.json",
        "unreadable": "unreadable.json",
    }
    inv = write_inventory(
        tmp_path / "inv.yaml", {"linux_hosts": [{"name": n, "file": str(FIXTURES / f)} for n, f in names.items()]}
    )
    _, report = scan(inv, tmp_path / "out")
    hardened = _statuses(report, "hardened")
    assert {k for k, v in hardened.items() if v != "pass"} == {"linux-fips-mode"}  # the fixture is not in FIPS mode
    expect_failing = {
        "plain-disk": {"linux-image-store-encrypted"},
        "ssh-pw": {"linux-ssh-password-authentication-disabled"},
        "ssh-root": {"linux-ssh-root-login-disabled"},
        "no-auditd": {"linux-auditd-running"},
        "stale": {"linux-automatic-security-updates", "linux-patch-age"},
    }
    for name, failing in expect_failing.items():
        s = _statuses(report, name)
        assert {k for k, v in s.items() if v == "fail"} == failing | {"linux-fips-mode"}, name
        assert {k for k, v in s.items() if v not in ("pass", "fail")} == set(), name
    unreadable = _statuses(report, "unreadable")
    assert "pass" not in {
        unreadable["linux-image-store-encrypted"],
        unreadable["linux-ssh-password-authentication-disabled"],
    }


def test_error_export_that_breaks_the_schema_or_format_is_an_error_resource(tmp_path):
    doc = json.loads((FIXTURES / "hardened.json").read_text())
    doc["ssh"]["password_authentication"] = 0  # not a string: a guessed value
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    res = linux.collect({"file": str(bad)})
    assert res.error and "ssh/password_authentication" in res.error
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**doc, "format": "enamel.windows/1"}))
    assert "not a enamel.linux/1 export" in linux.collect({"file": str(other)}).error
    assert "cannot read" in linux.collect({"file": str(tmp_path / "absent.json")}).error
    inv = write_inventory(tmp_path / "inv.yaml", {"linux_hosts": [{"name": "bad", "file": str(bad)}]})
    _, report = scan(inv, tmp_path / "out")
    assert set(_statuses(report, "bad").values()) == {"error"}
    assert report["scan"]["complete"] is False


def test_patch_age_is_measured_from_the_last_upgrade_to_the_export():
    stale = linux.collect({"file": str(FIXTURES / "patches-stale.json")})
    assert stale.properties["patch_age_days"] == 191  # 2026-05-19T16:40 -> 2026-11-27T07:30: 191 whole days
    assert linux.collect({"file": str(FIXTURES / "hardened.json")}).properties["patch_age_days"] == 0
