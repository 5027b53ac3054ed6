"""`enamel demo` grows an on-prem part: the bundled site plus live probes of servers it
starts itself, stopped by PID, fast, and without any patient identifier in its outputs."""

from pathlib import Path

from conftest import validate_report
from enamel_hipaa.workflows.demo import localservers as ls
from enamel_hipaa.workflows.demo.onprem import DEMO_PATIENT


def _children_alive(token: str) -> list[str]:
    """Processes still carrying this run's marker in their environment: whatever the demo
    started and did not stop (other runs on the machine carry other markers)."""
    alive = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if token.encode() in (proc / "environ").read_bytes():
                alive.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:  # gone, or not ours to read
            continue
    return alive


def test_demo_includes_onprem_live_probes_and_stops_its_servers(demo_run):
    token, proc, out = f"ENAMEL_TEST_RUN={demo_run.token}", demo_run.proc, demo_run.out
    assert proc.returncode in (0, 1), proc.stderr
    report = demo_run.report()
    validate_report(report)
    types = {f["resource"]["type"] for f in report["findings"]}
    assert {
        "onprem.orthanc",
        "onprem.nginx_server",
        "onprem.windows_host",
        "onprem.linux_host",
        "onprem.dicom_endpoint",
        "onprem.tls_endpoint",
        "onprem.dicom_file_store",
    } <= types
    status = {(f["rule_id"], f["resource"]["name"]): f["status"] for f in report["findings"]}
    assert status[("dicom-endpoint-rejects-unknown-calling-ae", "sensor-hub-scp")] == "fail"
    assert status[("dicom-endpoint-tls", "viewer-scp-tls")] == "pass"
    assert status[("dicom-store-phi-outside-archive", "op2-sensor-export")] == "fail"
    if ls.binary("Orthanc") and ls.binary("nginx"):
        assert status[("pacs-web-requires-authentication", "front-office-proxy")] == "fail"
        assert status[("tls-endpoint-legacy-protocols-disabled", "front-office-proxy")] == "fail"
    else:
        assert "not installed" in proc.stderr
    assert _children_alive(token) == []
    everything = proc.stdout + proc.stderr + "".join(f.read_text() for f in out.iterdir())
    for value in DEMO_PATIENT:
        assert value not in everything
