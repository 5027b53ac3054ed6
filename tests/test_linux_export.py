"""scripts/collect-linux.sh: run read-only against this machine, and the fixtures of hosts that
fail, all checked against the onprem.linux_host type schema."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "collect-linux.sh"
SCHEMA = json.loads((ROOT / "rules" / "schema" / "types" / "onprem.linux_host.json").read_text())
FIXTURES = ROOT / "tests" / "fixtures" / "linux"
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def collect(*args: str, env: dict | None = None, shell: str = "sh") -> dict:
    proc = subprocess.run(
        [shell, str(SCRIPT), *args], capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})}
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)  # exactly one JSON document
    errors = sorted(VALIDATOR.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert errors == [], [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]
    return doc


def test_export_of_this_machine_is_one_schema_valid_document(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    doc = collect("--image-store", str(store), "--index-db", str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # wrote nothing
    assert doc["format"] == "enamel.linux/1"
    assert doc["hostname"] == os.uname().nodename
    assert doc["kernel"] == os.uname().release
    assert doc["collected_as_root"] is (os.geteuid() == 0)
    img = doc["storage"]["image_store"]
    assert (img["path"], img["exists"]) == (str(store), True)
    assert img["mount_point"] and os.path.ismount(img["mount_point"])
    fips = Path("/proc/sys/crypto/fips_enabled")
    assert doc["fips_enabled"] is ((fips.read_text().strip() == "1") if fips.exists() else False)
    if img["encrypted"] is None:  # unknown is always explained
        assert any(e.startswith("storage.image_store:") for e in doc["errors"])


@pytest.mark.skipif(shutil.which("dash") is None, reason="dash (a strict POSIX sh) is not installed")
def test_export_runs_under_dash_and_bash_with_the_same_result(tmp_path):
    a = collect("--image-store", str(tmp_path), shell="dash")
    b = collect("--image-store", str(tmp_path), shell="bash")
    for d in (a, b):
        d.pop("collected_at")
    assert a == b


def test_a_missing_image_store_is_unknown_not_encrypted(tmp_path):
    doc = collect("--image-store", str(tmp_path / "absent"))
    img = doc["storage"]["image_store"]
    assert (img["exists"], img["encrypted"], img["device"]) == (False, None, None)
    assert any("absent does not exist" in e for e in doc["errors"])
    assert doc["storage"]["index_db"] is None and doc["nginx"] is None and doc["orthanc"] is None


MINIMAL_TOOLS = ("sh", "awk", "sed", "tr", "cat", "date", "df", "head", "tail", "cut", "grep", "basename")
MINIMAL_TOOLS += ("dirname", "readlink", "uname", "id", "sort")


def minimal_path(tmp_path: Path) -> Path:
    """A PATH directory holding only a minimal POSIX toolset (no lsblk, systemctl, sshd, ...)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in MINIMAL_TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    return bin_dir


def test_missing_commands_degrade_to_nulls_with_reasons(tmp_path):
    """Only a minimal POSIX toolset on PATH: no lsblk, systemctl, sshd, apt-config, stat, timeout."""
    doc = collect("--image-store", str(tmp_path), env={"PATH": str(minimal_path(tmp_path))})
    assert doc["lsblk"] is None
    assert "lsblk: not installed" in doc["errors"]
    assert doc["hostname"] == os.uname().nodename


def _sshd(tmp_path: Path, main: str, include: str = "") -> dict:
    conf = tmp_path / "ssh" / "sshd_config"
    (conf.parent / "sshd_config.d").mkdir(parents=True)
    conf.write_text(main)
    (conf.parent / "sshd_config.d" / "50-site.conf").write_text(include)
    # a PATH without sshd, so the config parser (not sshd -T) answers
    bin_dir = minimal_path(tmp_path)
    return collect(env={"ENAMEL_SSHD_CONFIG": str(conf), "PATH": str(bin_dir)})["ssh"]


def test_sshd_config_first_value_wins_through_includes_and_match_blocks_are_ignored(tmp_path):
    ssh = _sshd(
        tmp_path,
        "Include sshd_config.d/*.conf\nPasswordAuthentication no\nPermitRootLogin yes\n"
        "Match User backup\n  PermitRootLogin no\n",
        include='PasswordAuthentication "YES"\n',
    )
    assert ssh == {
        "installed": True,
        "source": "sshd_config",
        "password_authentication": "yes",
        "permit_root_login": "yes",
    }


def test_sshd_config_without_the_settings_reports_openssh_defaults(tmp_path):
    ssh = _sshd(tmp_path, "# nothing set\nPort 22\n")
    assert ssh["source"] == "sshd_config+defaults"
    assert (ssh["password_authentication"], ssh["permit_root_login"]) == ("yes", "prohibit-password")


def test_shell_text_in_an_include_line_is_never_run(tmp_path):
    marker = tmp_path / "ran"
    ssh = _sshd(tmp_path, f"Include $(touch${{IFS}}{marker}) `touch {marker}`\nPermitRootLogin no\n")
    assert not marker.exists()
    assert ssh["permit_root_login"] == "no"


def test_nginx_access_logs_are_read_through_includes(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "nginx.conf").write_text(
        "http {\n  access_log /var/log/nginx/access.log combined;\n  include conf.d/*.conf;\n}\n"
    )
    (tmp_path / "conf.d" / "pacs.conf").write_text("server {\n  access_log off; # quiet\n}\n")
    nginx = collect("--nginx-config", str(tmp_path / "nginx.conf"))["nginx"]
    assert nginx["access_log"] == ["/var/log/nginx/access.log", "off"]
    assert nginx["access_log_off"] is True


def test_an_unreadable_nginx_config_is_reported_not_guessed(tmp_path):
    doc = collect("--nginx-config", str(tmp_path / "missing.conf"))
    assert doc["nginx"]["config_readable"] is False and doc["nginx"]["access_log"] is None
    assert any(e.startswith("nginx:") for e in doc["errors"])


def test_a_running_orthanc_logging_to_a_directory_is_found(tmp_path):
    fake = tmp_path / "Orthanc"  # the process name the collector looks for
    fake.symlink_to(os.path.realpath(sys.executable))
    proc = subprocess.Popen([str(fake), "-c", "import time; time.sleep(30)", "--logdir=/var/log/orthanc"])
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{proc.pid}/comm").read_text().strip() != "Orthanc" and time.monotonic() < deadline:
            time.sleep(0.05)
        orthanc = collect("--orthanc-config", str(tmp_path / "orthanc.json"))["orthanc"]
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert orthanc["process_running"] is True and orthanc["config_readable"] is False
    assert (orthanc["log_dir"], orthanc["logs_to_file"]) == ("/var/log/orthanc", True)


def test_unknown_arguments_exit_2_with_one_line():
    proc = subprocess.run(["sh", str(SCRIPT), "--bogus"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == ["collect-linux.sh: unknown argument '--bogus' (see --help)"]


FAILING = {
    "image-store-not-encrypted.json": {("storage", "image_store"), ("lsblk", "blockdevices")},
    "ssh-password-authentication.json": {("ssh", "password_authentication")},
    "ssh-root-login.json": {("ssh", "permit_root_login")},
    "auditd-missing.json": {("auditd", "installed"), ("auditd", "active")},
    "patches-stale.json": {
        ("patching", k)
        for k in ("unattended_upgrades_installed", "unattended_upgrades_enabled", "last_update_at", "last_upgrade_at")
    },
}


def _diff(a: dict, b: dict, prefix=()) -> set:
    out = set()
    for k in a.keys() | b.keys():
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict) and len(prefix) < 1:
            out |= _diff(va, vb, prefix + (k,))
        elif va != vb:
            out.add(prefix + (k,))
    return out


def test_fixtures_are_schema_valid_and_each_failing_host_differs_from_hardened_only_in_its_failure():
    hardened = json.loads((FIXTURES / "hardened.json").read_text())
    assert list(VALIDATOR.iter_errors(hardened)) == []
    assert hardened["storage"]["image_store"]["encrypted"] is True
    assert (hardened["ssh"]["password_authentication"], hardened["ssh"]["permit_root_login"]) == ("no", "no")
    for name, changed in FAILING.items():
        doc = json.loads((FIXTURES / name).read_text())
        assert list(VALIDATOR.iter_errors(doc)) == [], name
        assert _diff(hardened, doc) == changed, name
    assert sorted(p.name for p in FIXTURES.glob("*.json")) == sorted([*FAILING, "hardened.json", "unreadable.json"])


def test_the_unreadable_fixture_keeps_unknowns_null_and_explained():
    doc = json.loads((FIXTURES / "unreadable.json").read_text())
    assert list(VALIDATOR.iter_errors(doc)) == []
    assert doc["storage"]["image_store"]["encrypted"] is None and doc["ssh"]["password_authentication"] is None
    assert len(doc["errors"]) == 4


def test_the_schema_rejects_a_guessed_value():
    doc = json.loads((FIXTURES / "hardened.json").read_text())
    doc["storage"]["image_store"]["encrypted"] = "probably"
    doc["ssh"]["source"] = "guess"
    bad = {tuple(e.absolute_path) for e in VALIDATOR.iter_errors(doc)}
    assert bad == {("storage", "image_store", "encrypted"), ("ssh", "source")}


def _fake_block_stack(tmp_path: Path, device: str, stack: dict[str, tuple[str, list[str]]]) -> dict:
    """Run the collector with `df` answering `device` for the image store and a fake
    /sys/class/block holding `stack`: name -> (dm uuid or "", slave names)."""
    sysfs = tmp_path / "sys"
    for name, (uuid, slaves) in stack.items():
        (sysfs / name / "slaves").mkdir(parents=True)
        if uuid:
            (sysfs / name / "dm").mkdir()
            (sysfs / name / "dm" / "uuid").write_text(uuid + "\n")
        for s in slaves:
            (sysfs / name / "slaves" / s).symlink_to(sysfs / s)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "df").write_text(
        "#!/bin/sh\n"
        'if [ "$1" = -PT ]; then echo "Filesystem Type 1024-blocks Used Available Capacity Mounted on"; '
        f'echo "{device} xfs 100 1 99 1% /srv/orthanc"; '
        'else echo "Filesystem 1024-blocks Used Available Capacity Mounted on"; '
        f'echo "{device} 100 1 99 1% /srv/orthanc"; fi\n'
    )
    (bin_dir / "df").chmod(0o755)
    store = tmp_path / "store"
    store.mkdir()
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "ENAMEL_SYS_CLASS_BLOCK": str(sysfs)}
    return collect("--image-store", str(store), env=env)["storage"]["image_store"]


def test_an_image_store_on_lvm_over_luks_is_encrypted(tmp_path):
    img = _fake_block_stack(
        tmp_path,
        "/dev/dm-1",
        {
            "dm-1": ("LVM-Hk2mX0vg0orthanc", ["dm-0"]),
            "dm-0": ("CRYPT-LUKS2-0f3c9b7e-sda3_crypt", ["sda3"]),
            "sda3": ("", []),
        },
    )
    assert (img["device"], img["mount_point"], img["fs_type"]) == ("/dev/dm-1", "/srv/orthanc", "xfs")
    assert (img["encrypted"], img["encryption"]) == (True, "dm-crypt")


def test_an_image_store_on_plain_lvm_is_not_encrypted(tmp_path):
    img = _fake_block_stack(tmp_path, "/dev/dm-1", {"dm-1": ("LVM-Hk2mX0vg0orthanc", ["sdb1"]), "sdb1": ("", [])})
    assert (img["encrypted"], img["encryption"]) == (False, None)


def test_an_image_store_on_a_plain_partition_is_not_encrypted(tmp_path):
    img = _fake_block_stack(tmp_path, "/dev/sdb1", {"sdb1": ("", [])})
    assert img["encrypted"] is False
