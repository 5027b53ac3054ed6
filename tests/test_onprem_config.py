"""On-prem sources read from files: the inventory, Orthanc (JSON with comments, merged
directories, duplicate keys, versions), nginx (crossplane, includes, inheritance),
Windows exports and DICOM folders. Real pass/fail verdicts through the real CLI."""

import json
import os
import time

import pytest

from conftest import run_enamel
from onprem_helpers import PHI, assert_no_phi, by_rule, scan, write_inventory
from enamel_hipaa.core import paths
from enamel_hipaa.sources.onprem import file_store, nginx, orthanc, windows
from enamel_hipaa.workflows.demo.localservers import write_dicom

EXAMPLES = paths.demo_dir() / "onprem"
ROOT = paths.project_root()


def _status(report, name):
    return {k: f["status"] for k, f in by_rule(report, name).items()}


# --- inventory -------------------------------------------------------------------------


def test_error_inventory_schema_names_file_and_line(tmp_path):
    inv = tmp_path / "inv.yaml"
    inv.write_text("version: 1\ntls:\n  - {name: a, host: x, port: 70000}\n")
    proc = run_enamel("scan", "--onprem", inv)
    assert proc.returncode == 2
    assert f"{inv}:3" in proc.stderr and "70000" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_error_inventory_unknown_key_and_duplicate_name(tmp_path):
    inv = tmp_path / "inv.yaml"
    inv.write_text("version: 1\northanc:\n  - {name: a, config: x, passwd: y}\n")
    proc = run_enamel("scan", "--onprem", inv)
    assert proc.returncode == 2 and "passwd" in proc.stderr
    inv.write_text("version: 1\nweb:\n  - {name: a, url: 'http://x'}\n  - {name: a, url: 'http://y'}\n")
    proc = run_enamel("scan", "--onprem", inv)
    assert proc.returncode == 2 and f"{inv}:4" in proc.stderr and "listed twice" in proc.stderr


def test_example_inventory_in_examples_dir_scans(tmp_path):
    proc, report = scan(ROOT / "examples" / "onprem" / "inventory.yaml", tmp_path)
    assert report["summary"]["by_status"]["fail"] > 0 and report["summary"]["by_status"]["pass"] > 0


# --- Orthanc -----------------------------------------------------------------------------


def _orthanc_dir(tmp_path, **files):
    d = tmp_path / "orthanc"
    d.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (d / f"{name}.json").write_text(text)
    return d


def test_orthanc_merges_directory_with_comments():
    cfg, files, origin = orthanc.load_merged(EXAMPLES / "insecure" / "orthanc")
    assert [f.name for f in files] == ["credentials.json", "orthanc.json"]
    assert origin["RegisteredUsers"].name == "credentials.json"
    assert orthanc.main_file(files, origin).name == "orthanc.json"  # where findings point
    assert cfg["RegisteredUsers"] == {} and cfg["DicomAet"] == "BRIGHTPACS"


def test_orthanc_reads_debian_config_when_installed():
    if not os.path.isdir("/etc/orthanc"):
        pytest.skip("Debian orthanc package not installed")
    cfg, _, _ = orthanc.load_merged(__import__("pathlib").Path("/etc/orthanc"))
    props = orthanc.properties(cfg, "1.10.1")
    assert props["webdav_enabled"] is True and props["dicom_check_called_aet"] is False
    assert props["dicom_always_allow"]["store"] is True


def test_error_duplicate_key_reports_both_files_and_lines(tmp_path):
    d = _orthanc_dir(
        tmp_path,
        a='{\n  // first\n  "Name": "x",\n  "RemoteAccessAllowed": false\n}\n',
        b='{\n  /* "RemoteAccessAllowed": in a comment does not count */\n\n  "RemoteAccessAllowed": true\n}\n',
    )
    res = orthanc.collect({"name": "dup", "config": str(d)}, [])
    assert res.error and f"{d}/a.json:4" in res.error and f"{d}/b.json:4" in res.error
    inv = write_inventory(
        tmp_path / "inv.yaml",
        {"orthanc": [{"name": "dup", "config": str(d), "version": "1.10.1", "deployment": "debian"}]},
    )
    _, report = scan(inv, tmp_path / "out")
    statuses = {f["status"] for f in report["findings"]}
    assert statuses == {"error"}, statuses
    assert all("defined twice" in f["message"] for f in report["findings"])


def test_error_orthanc_invalid_json(tmp_path):
    d = _orthanc_dir(tmp_path, a='{ "Name": "x", }}')
    res = orthanc.collect({"name": "bad", "config": str(d)}, [])
    assert res.error and "a.json" in res.error


def test_orthanc_default_credentials_and_passwords_never_printed(tmp_path):
    secret = "Hunter2-very-secret-Pw"
    d1 = _orthanc_dir(tmp_path / "one", c='{"RemoteAccessAllowed": true}')  # Orthanc creates orthanc:orthanc
    d2 = _orthanc_dir(tmp_path / "two", c='{"RemoteAccessAllowed": true, "RegisteredUsers": {"orthanc": "orthanc"}}')
    d3 = _orthanc_dir(
        tmp_path / "three", c='{"RemoteAccessAllowed": true, "RegisteredUsers": {"dr-lee": "%s"}}' % secret
    )
    d4 = _orthanc_dir(tmp_path / "four", c='{"RemoteAccessAllowed": true, "AuthenticationEnabled": false}')
    inv = write_inventory(
        tmp_path / "inv.yaml",
        {
            "orthanc": [
                {"name": n, "config": str(d), "version": "1.10.1", "deployment": "debian"}
                for n, d in (("created", d1), ("registered", d2), ("named", d3), ("open", d4))
            ]
        },
    )
    proc, report = scan(inv, tmp_path / "out")
    assert _status(report, "created")["orthanc-no-default-credentials"] == "fail"
    assert _status(report, "registered")["orthanc-no-default-credentials"] == "fail"
    assert _status(report, "named")["orthanc-no-default-credentials"] == "pass"
    assert _status(report, "open")["orthanc-remote-access-requires-authentication"] == "fail"
    for f in (tmp_path / "out").iterdir():
        assert secret not in f.read_text()
    assert secret not in proc.stdout + proc.stderr


def test_orthanc_version_gates_options(tmp_path):
    d = _orthanc_dir(tmp_path, c='{"DicomTlsEnabled": true, "DicomTlsMinimumProtocolVersion": 2}')
    inv = write_inventory(
        tmp_path / "inv.yaml",
        {
            "orthanc": [
                {"name": "old", "config": str(d), "version": "1.10.1", "deployment": "debian"},
                {"name": "new", "config": str(d), "version": "1.12.4"},
                {"name": "ancient", "config": str(d), "version": "1.8.2"},
                {"name": "unversioned", "config": str(d), "deployment": "debian"},
            ]
        },
    )
    _, report = scan(inv, tmp_path / "out")
    rule = "orthanc-dicom-tls-minimum-protocol"
    assert _status(report, "old")[rule] == "skip"  # 1.10.1 lacks the option
    assert _status(report, "new")[rule] == "fail"  # 1.12.4 has it, set to TLS 1.0
    assert _status(report, "ancient")["orthanc-dicom-tls-enabled"] == "skip"  # no DICOM TLS before 1.9.0
    assert _status(report, "unversioned")[rule] == "unknown"  # never pass on a guess


def test_orthanc_proxied_from_localhost_is_correlated_by_host(tmp_path):
    inv = write_inventory(
        tmp_path / "inv.yaml",
        {
            "orthanc": [
                {
                    "name": "pacs",
                    "config": str(EXAMPLES / "insecure" / "orthanc"),
                    "version": "1.10.1",
                    "deployment": "debian",
                    "host": "a",
                },
                {
                    "name": "other-host",
                    "config": str(EXAMPLES / "insecure" / "orthanc"),
                    "version": "1.10.1",
                    "deployment": "debian",
                    "host": "b",
                },
            ],
            "nginx": [{"name": "proxy", "config": str(EXAMPLES / "insecure" / "nginx" / "nginx.conf"), "host": "a"}],
        },
    )
    _, report = scan(inv, tmp_path / "out")
    assert _status(report, "pacs")["orthanc-proxied-requires-authentication"] == "fail"
    assert _status(report, "other-host")["orthanc-proxied-requires-authentication"] == "skip"


# --- nginx -------------------------------------------------------------------------------


def test_nginx_follows_includes_and_keeps_lines():
    found = nginx.servers(nginx.parse(str(EXAMPLES / "insecure" / "nginx" / "nginx.conf")), None)
    tls = next(s for s in found if s.props["ssl_enabled"])
    assert tls.props["location"]["path"].endswith("conf.d/pacs.conf") and tls.props["location"]["line"] == 7
    assert tls.props["ssl_protocols_at"] == "nginx default before 1.23.4 (version not given)"
    assert tls.props["locations_without_hsts"] == [f"/viewer/ ({tls.props['location']['path']}:17)"]
    assert tls.props["pacs_proxies_without_auth"]
    assert any("RC4" in c or "NULL" in c or "ADH" in c for c in tls.props["weak_ciphers"])


def test_nginx_lone_snippet_and_inherited_settings(tmp_path):
    snippet = tmp_path / "pacs.conf"
    snippet.write_text("""
server {
    listen 8443 ssl;
    ssl_protocols TLSv1.2;
    add_header Strict-Transport-Security "max-age=63072000";
    auth_basic "pacs";
    location / { proxy_pass http://127.0.0.1:8042; }
    location /api { auth_basic off; proxy_pass http://orthanc-host:8042; }
    location /static { add_header Cache-Control public; }
}
server { listen 80; location / { return 301 https://$host$request_uri; } }
""")
    found = nginx.servers(nginx.parse(str(snippet)), None)
    tls, plain = found
    assert tls.props["ssl_protocols"] == ["TLSv1.2"] and tls.props["ssl_protocols_at"] == f"{snippet}:4"
    assert tls.props["locations_without_hsts"] == [f"/static ({snippet}:9)"]
    assert tls.props["pacs_proxies_without_auth"] == [f"/api -> orthanc-host:8042 ({snippet}:8)"]
    assert plain.props["redirects_to_https"] is True and plain.props["ssl_enabled"] is False


def test_error_nginx_parse_error_has_file_and_line(tmp_path):
    bad = tmp_path / "bad.conf"
    bad.write_text("http {\n  server {\n    listen 80\n  }\n")
    res, _ = nginx.collect({"name": "bad", "config": str(bad)})
    assert res[0].error and f"{bad}:" in res[0].error


def test_sarif_locations_point_at_nginx_lines(tmp_path):
    inv = write_inventory(
        tmp_path / "inv.yaml",
        {"nginx": [{"name": "proxy", "config": str(EXAMPLES / "insecure" / "nginx" / "nginx.conf")}]},
    )
    _, report = scan(inv, tmp_path / "out")
    sarif = json.loads((tmp_path / "out" / "enamel-report.sarif").read_text())
    locs = [r["locations"][0]["physicalLocation"] for r in sarif["runs"][0]["results"]]
    assert any(
        l["artifactLocation"]["uri"].endswith("pacs.conf") and l.get("region", {}).get("startLine") == 7 for l in locs
    ), locs[:3]


# --- Windows -------------------------------------------------------------------------------


def test_windows_exports_pass_and_fail(tmp_path):
    inv = write_inventory(
        tmp_path / "inv.yaml",
        {
            "windows": [
                {"name": "good", "file": str(EXAMPLES / "hardened" / "workstation.json")},
                {"name": "bad", "file": str(EXAMPLES / "insecure" / "workstation.json")},
            ]
        },
    )
    _, report = scan(inv, tmp_path / "out")
    good, bad = _status(report, "good"), _status(report, "bad")
    assert set(good.values()) == {"pass"} and len(good) == 8
    assert set(bad.values()) == {"fail"} and len(bad) == 8


def test_error_windows_section_unreadable_is_error_not_pass(tmp_path):
    doc = json.loads((EXAMPLES / "hardened" / "workstation.json").read_text())
    doc["bitlocker"] = {"error": "Access denied: run elevated"}
    doc["local_administrators"] = "OP1-XRAY\\LapsAdmin"  # PowerShell unrolls a one-item list
    f = tmp_path / "ws.json"
    f.write_text("\ufeff" + json.dumps(doc), encoding="utf-8")  # Windows PowerShell 5.1 writes a BOM
    inv = write_inventory(tmp_path / "inv.yaml", {"windows": [{"file": str(f)}]})
    _, report = scan(inv, tmp_path / "out")
    s = _status(report, "OP1-XRAY")
    assert s["windows-bitlocker-system-drive"] == "error"
    assert s["windows-local-administrators-limited"] == "pass"
    res = windows.collect({"file": str(tmp_path / "missing.json")})
    assert res.error and "cannot read" in res.error


def test_windows_fixture_matches_the_script_fields():
    """The fixtures use exactly the names the PowerShell script writes."""
    script = (ROOT / "scripts" / "collect-windows.ps1").read_text()
    doc = json.loads((EXAMPLES / "insecure" / "workstation.json").read_text())
    keys = (
        set(doc)
        | set(doc["os"])
        | set(doc["bitlocker"][0])
        | set(doc["screen_lock"])
        | set(doc["usb_storage"])
        | set(doc["schannel"]["TLS 1.0"]["Server"])
        | set(doc["schannel"])
        | set(doc["fips"])
        | set(doc["audit_policy"])
        | set(doc["audit_policy"]["Logon"])
    )
    missing = [k for k in keys if k not in script]
    assert missing == []
    assert doc["format"] == windows.FORMAT and f"'{windows.FORMAT}'" in script


# --- DICOM file stores -----------------------------------------------------------------


def test_file_store_counts_phi_headers_only_and_never_prints_them(tmp_path):
    export, archive = tmp_path / "export", tmp_path / "archive"
    for i in range(3):
        write_dicom(export / f"sub/IMG{i}.dcm", *PHI)
    write_dicom(export / "anon.dcm", "", "", "")
    (export / "readme.txt").write_text("not DICOM")
    old = time.time() - 40 * 86400
    os.utime(export / "sub/IMG0.dcm", (old, old))
    write_dicom(archive / "IMG.dcm", *PHI)
    inv = write_inventory(
        tmp_path / "inv.yaml",
        {
            "approved_archive_paths": [str(archive)],
            "file_stores": [{"name": "export", "path": str(export)}, {"name": "archive", "path": str(archive)}],
        },
    )
    proc, report = scan(inv, tmp_path / "out")
    f = by_rule(report, "export")
    assert f["dicom-store-phi-outside-archive"]["status"] == "fail"
    assert f["dicom-store-phi-outside-archive"]["evidence"]["phi_files"] == 3
    assert f["dicom-store-stale-phi"]["status"] == "fail"
    assert f["dicom-store-stale-phi"]["evidence"]["oldest_phi_age_days"] >= 39
    assert _status(report, "archive")["dicom-store-phi-outside-archive"] == "skip"
    assert assert_no_phi(proc, tmp_path / "out") >= 8


def test_file_store_limit_makes_phi_count_unknown(tmp_path):
    d = tmp_path / "cache"
    for i in range(3):
        (d / f"f{i}.bin").parent.mkdir(parents=True, exist_ok=True)
        (d / f"f{i}.bin").write_bytes(b"x" * 10)
    res = file_store.collect({"name": "c", "path": str(d), "max_files": 2}, [])
    assert res.properties["truncated"] is True and "$unknown" in res.properties["phi_files"]
    missing = file_store.collect({"name": "m", "path": str(tmp_path / "nope")}, [])
    assert missing.error


def test_windows_script_is_shipped_with_docs():
    assert (ROOT / "scripts" / "collect-windows.ps1").exists()
    doc = (ROOT / "docs" / "windows-export.md").read_text()
    assert windows.FORMAT in doc


def test_error_unexpected_probe_failure_is_an_error_finding(tmp_path, monkeypatch):
    from enamel_hipaa.sources.onprem import tls

    def boom(entry, timeout):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(tls, "collect", boom)
    from enamel_hipaa.sources.onprem import collect_inventory

    inv = write_inventory(tmp_path / "inv.yaml", {"tls": [{"name": "x", "host": "127.0.0.1", "port": 9}]})
    (res,) = collect_inventory(str(inv)).resources
    assert res.type == "onprem.tls_endpoint" and "collection failed: RuntimeError: unexpected" in res.error


def test_error_malformed_orthanc_value_is_an_error_finding(tmp_path):
    d = _orthanc_dir(tmp_path, c='{"DicomPort": "not-a-port"}')
    inv = write_inventory(
        tmp_path / "inv.yaml",
        {"orthanc": [{"name": "odd", "config": str(d), "version": "1.10.1", "deployment": "debian"}]},
    )
    _, report = scan(inv, tmp_path / "out")
    assert {f["status"] for f in report["findings"]} == {"error"}
    assert "collection failed: ValueError" in report["findings"][0]["message"]
