"""The on-prem part of `enamel demo`: the bundled example site (insecure and hardened
Orthanc, nginx and Windows configurations), then live probes of servers started here on
127.0.0.1 and stopped by PID: pynetdicom SCPs (plain and DICOM TLS) always; Debian's
Orthanc and nginx when installed (skipped with a note otherwise)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml

from enamel_hipaa.core import paths
from enamel_hipaa.sources import Collection
from enamel_hipaa.sources.onprem import collect_inventory
from enamel_hipaa.workflows.demo import localservers as ls

# synthetic patient identifiers: the demo's reports must never contain them
DEMO_PATIENT = ("DEMO^PATIENT", "BSD-000042", "19800101")


def _note(console, text: str) -> None:
    if console is not None:
        console.print(f"[dim]on-prem demo: {text}[/dim]", highlight=False)


def config_part(ruleset, console) -> Collection:
    return collect_inventory(str(paths.demo_dir() / "onprem" / "inventory.yaml"))


def live_part(ruleset, console) -> Collection:
    examples = paths.demo_dir() / "onprem"
    servers: list[ls.Server] = []
    with tempfile.TemporaryDirectory(prefix="enamel-demo-") as tmp:
        work = Path(tmp)
        cert = ls.make_cert(work / "tls")
        inv: dict = {
            "version": 1,
            "site": "Bright Smile Dental (live demo)",
            "timeout_seconds": 2,
            "dicom": [],
            "tls": [],
            "web": [],
            "file_stores": [],
            "approved_archive_paths": [str(work / "archive")],
        }
        try:
            scp = ls.start_helper("scp", "SENSORHUB", "-")
            servers.append(scp)
            tls_scp = ls.start_helper("scp", "VIEWER", "-", str(cert[0]), str(cert[1]))
            servers.append(tls_scp)
            inv["dicom"] += [
                {"name": "sensor-hub-scp", "host": ls.LOOPBACK, "port": scp.ports["port"], "ae_title": "SENSORHUB"},
                {"name": "viewer-scp-tls", "host": ls.LOOPBACK, "port": tls_scp.ports["port"], "ae_title": "VIEWER"},
            ]
            inv["tls"].append({"name": "viewer-scp-tls", "host": ls.LOOPBACK, "port": tls_scp.ports["port"]})
            export = work / "op2-export"
            ls.write_dicom(export / "IMG0001.dcm", *DEMO_PATIENT)
            inv["file_stores"].append({"name": "op2-sensor-export", "path": str(export)})
            if ls.binary("Orthanc") and ls.binary("nginx"):
                orthanc = ls.start_orthanc(examples / "insecure" / "orthanc", work / "orthanc")
                servers.append(orthanc)
                proxy = ls.start_nginx(examples / "insecure" / "nginx", work / "nginx", cert, orthanc.ports["http"])
                servers.append(proxy)
                inv["dicom"].append(
                    {
                        "name": "front-office-pacs",
                        "host": ls.LOOPBACK,
                        "port": orthanc.ports["dicom"],
                        "ae_title": "BRIGHTPACS",
                    }
                )
                inv["tls"].append({"name": "front-office-proxy", "host": ls.LOOPBACK, "port": proxy.ports["https"]})
                inv["web"].append(
                    {"name": "front-office-proxy", "url": f"https://{ls.LOOPBACK}:{proxy.ports['https']}"}
                )
            else:
                _note(
                    console, "Orthanc or nginx not installed: live PACS probes skipped (apt-get install orthanc nginx)"
                )
            path = work / "inventory.yaml"
            path.write_text(yaml.safe_dump(inv, sort_keys=False), encoding="utf-8")
            return collect_inventory(str(path))
        finally:
            ls.stop_all(servers, grace=0.5)  # throwaway instances: do not wait for a slow shutdown


PARTS = [config_part, live_part]
