"""Source `onprem`: a site's inventory (docs/onprem.md) of Orthanc and nginx config files,
Windows workstation exports, DICOM folders and network targets to probe.

One module per kind; each turns one inventory entry into one or more Resources. A target
that cannot be read or reached becomes a Resource with `error` set, so every rule on it
reports `error` (fail closed), and the rest of the site is still scanned."""
from __future__ import annotations

from .. import Collection

KINDS = ("orthanc", "nginx", "tls", "dicom", "web", "windows", "file_stores")


def add_arguments(group) -> None:
    group.add_argument("--onprem", metavar="INVENTORY", action="append", default=[],
                       help="on-prem inventory (YAML: Orthanc/nginx configs, probes, workstations, "
                            "DICOM folders; see docs/onprem.md); repeatable")


def wanted(args) -> bool:
    return bool(getattr(args, "onprem", None))


def collect(args, ctx=None) -> Collection:
    out = Collection()
    for path in args.onprem:
        out.extend(collect_inventory(path))
    return out


def collect_inventory(path: str) -> Collection:
    from . import file_store, inventory, nginx, orthanc, windows
    inv = inventory.load(path)
    out = Collection(sources=[f"onprem:{inv.path.name}"])
    timeout = inv.timeout
    nginx_resources, proxies_by_host = [], {}
    orthanc_ports: dict = {}  # host -> Orthanc HTTP ports there: a proxy to one of them is a PACS proxy
    for entry in inv.entries("orthanc"):
        port = orthanc.http_port(entry)
        if port:
            orthanc_ports.setdefault(entry.get("host"), []).append(port)
    for entry in inv.entries("nginx"):
        local = [f"{h}:{p}" for p in orthanc_ports.get(entry.get("host"), []) for h in ("127.0.0.1", "localhost")]
        resources, proxies = nginx.collect(entry, local)
        nginx_resources.extend(resources)
        proxies_by_host.setdefault(entry.get("host"), []).extend(proxies)
    for entry in inv.entries("orthanc"):  # proxies on the same host (same `host:`, or both unset)
        out.resources.append(orthanc.collect(entry, proxies_by_host.get(entry.get("host"), []), timeout))
    out.resources.extend(nginx_resources)
    out.resources.extend(_probe_all(inv, timeout))
    for entry in inv.entries("windows"):
        out.resources.append(windows.collect(entry))
    for entry in inv.entries("file_stores"):
        out.resources.append(file_store.collect(entry, inv.approved_paths))
    return out


def _probe_all(inv, timeout: float) -> list:
    """Network probes run side by side (each bounded by `timeout`), in inventory order."""
    from concurrent.futures import ThreadPoolExecutor

    from . import dicom, tls, web
    jobs = [(tls.collect, e) for e in inv.entries("tls")] + [(dicom.collect, e) for e in inv.entries("dicom")] \
        + [(web.collect, e) for e in inv.entries("web")]
    if not jobs:
        return []
    with dicom.quiet(), ThreadPoolExecutor(max_workers=min(8, len(jobs)), thread_name_prefix="probe") as pool:
        futures = [pool.submit(fn, entry, timeout) for fn, entry in jobs]
        return [f.result() for f in futures]
