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
    from . import dicom, file_store, inventory, nginx, orthanc, tls, web, windows
    inv = inventory.load(path)
    out = Collection(sources=[f"onprem:{inv.path.name}"])
    timeout = inv.timeout
    nginx_resources, proxies_by_host = [], {}
    for entry in inv.entries("nginx"):
        resources, proxies = nginx.collect(entry)
        nginx_resources.extend(resources)
        proxies_by_host.setdefault(entry.get("host"), []).extend(proxies)
    for entry in inv.entries("orthanc"):  # proxies on the same host (same `host:`, or both unset)
        out.resources.append(orthanc.collect(entry, proxies_by_host.get(entry.get("host"), []), timeout))
    out.resources.extend(nginx_resources)
    for entry in inv.entries("tls"):
        out.resources.append(tls.collect(entry, timeout))
    for entry in inv.entries("dicom"):
        out.resources.append(dicom.collect(entry, timeout))
    for entry in inv.entries("web"):
        out.resources.append(web.collect(entry, timeout))
    for entry in inv.entries("windows"):
        out.resources.append(windows.collect(entry))
    for entry in inv.entries("file_stores"):
        out.resources.append(file_store.collect(entry, inv.approved_paths))
    return out
