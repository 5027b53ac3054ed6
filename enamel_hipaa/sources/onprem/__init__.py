"""Source `onprem`: a site's inventory (docs/onprem.md) of Orthanc and nginx config files,
Windows workstation exports, DICOM folders and network targets to probe.

One module per kind; each turns one inventory entry into one or more Resources. A target
that cannot be read or reached becomes a Resource with `error` set, so every rule on it
reports `error` (fail closed), and the rest of the site is still scanned."""

from __future__ import annotations

from enamel_hipaa.core.model import CollectionError, Resource
from enamel_hipaa.sources import Collection

KINDS = ("orthanc", "nginx", "tls", "dicom", "web", "windows", "linux_hosts", "file_stores", "mail_domains")


def collect(config, ctx=None) -> Collection:
    """`config`: a sources.config.OnpremSource."""
    out = Collection()
    for path in config.inventories:
        out.extend(collect_inventory(path))
    return out


def collect_inventory(path: str) -> Collection:
    from enamel_hipaa.sources.onprem import file_store, inventory, linux, windows

    inv = inventory.load(path)
    out = Collection(sources=[f"onprem:{inv.path.name}"])
    out.resources.extend(_configs(inv))
    out.resources.extend(_probe_all(inv, inv.timeout))
    if inv.entries("windows"):
        from enamel_hipaa.sources.onprem import winbuilds

        table = winbuilds.load(
            inv.resolve(inv.data["windows_builds_file"]) if inv.data.get("windows_builds_file") else None
        )
        out.resources.extend(guarded(windows.collect, "onprem.windows_host", e, table) for e in inv.entries("windows"))
    out.resources.extend(guarded(linux.collect, "onprem.linux_host", e) for e in inv.entries("linux_hosts"))
    out.resources.extend(
        guarded(file_store.collect, "onprem.dicom_file_store", e, inv.approved_paths)
        for e in inv.entries("file_stores")
    )
    # every target that could not be read is also a source error: the scan is incomplete
    # (report scan.complete false, counted on the incompleteness line), not only its findings
    out.errors.extend(
        CollectionError(source=f"onprem:{inv.path.name}", service=r.type, message=r.error)
        for r in out.resources
        if r.error
    )
    return out


def _configs(inv) -> list:
    """Orthanc and nginx, correlated two ways: by `host:` (same value, or both unset) a proxy to
    a local Orthanc's HTTP port; and by name, an nginx upstream naming an inventory PACS (an
    Orthanc's hosts:/compose service/name, or a pacs: entry). A proxied PACS that authenticates
    on its own clears the proxy rule; one that does not fails it."""
    from enamel_hipaa.sources.onprem import nginx, orthanc, weakcreds

    weak = weakcreds.load(inv.weak_credentials_file)
    orthanc_ports: dict = {}
    directory = pacs_directory(inv)
    for entry in inv.entries("orthanc"):
        port = orthanc.http_port(entry)
        if port:
            orthanc_ports.setdefault(entry.get("host"), []).append(port)
    nginx_resources, proxies_by_host, all_proxies = [], {}, []
    for entry in inv.entries("nginx"):
        local = [f"{h}:{p}" for p in orthanc_ports.get(entry.get("host"), []) for h in ("127.0.0.1", "localhost")]
        got = guarded(nginx.collect, "onprem.nginx_server", entry, local, directory, inv.variables)
        # the guard turns a failure into one error resource
        resources, proxies = ([got], []) if isinstance(got, Resource) else got
        nginx_resources.extend(resources)
        proxies_by_host.setdefault(entry.get("host"), []).extend(proxies)
        all_proxies.extend(proxies)
    orthancs = [
        guarded(
            orthanc.collect, "onprem.orthanc", e, proxies_by_host.get(e.get("host"), []), inv.timeout, weak, all_proxies
        )
        for e in inv.entries("orthanc")
    ]
    return orthancs + nginx_resources


def pacs_directory(inv) -> list[dict]:
    """Every PACS the inventory names: its Orthancs (with their effective authentication) and
    its pacs: entries (authenticates: as declared, else unknown)."""
    from enamel_hipaa.core.model import unknown
    from enamel_hipaa.sources.onprem import orthanc

    out = [d for d in (orthanc.directory_entry(e) for e in inv.entries("orthanc")) if d]
    for p in inv.entries("pacs"):
        out.append(
            {
                "name": p["name"],
                "hosts": [h.lower() for h in p["hosts"]],
                "port": p.get("port"),
                "product": p["product"],
                "authenticates": p["authenticates"]
                if "authenticates" in p
                else unknown(f"pacs {p['name']}: authenticates: not given"),
            }
        )
    return out


PROBES = {
    "tls": ("tls", "onprem.tls_endpoint"),
    "dicom": ("dicom", "onprem.dicom_endpoint"),
    "web": ("web", "onprem.pacs_web"),
    "mail_domains": ("mail", "onprem.mail_domain"),
}


def guarded(fn, rtype: str, entry: dict, *args):
    """Run one collector; anything it did not foresee makes its resource an error (fail
    closed) instead of ending the whole scan."""
    try:
        return fn(entry, *args)
    except Exception as exc:  # noqa: BLE001
        target = (
            entry.get("url")
            or entry.get("config")
            or entry.get("file")
            or entry.get("path")
            or entry.get("domain")
            or f"{entry.get('host')}:{entry.get('port')}"
        )
        return Resource(
            type=rtype,
            id=f"{rtype}:{target}",
            name=entry.get("name") or str(target),
            source="probe"
            if rtype in ("onprem.tls_endpoint", "onprem.dicom_endpoint", "onprem.pacs_web", "onprem.mail_domain")
            else "file",
            properties={},
            error=f"{target}: collection failed: {type(exc).__name__}: {exc}",
        )


def _guarded(kind: str, entry: dict, timeout: float):
    import importlib

    modname, rtype = PROBES[kind]
    return guarded(lambda e, t: importlib.import_module(f"{__name__}.{modname}").collect(e, t), rtype, entry, timeout)


def _probe_all(inv, timeout: float) -> list:
    """Network probes run side by side (each bounded by `timeout`), in inventory order."""
    from concurrent.futures import ThreadPoolExecutor

    from enamel_hipaa.sources.onprem.dicom import quiet

    jobs = [(kind, e) for kind in PROBES for e in inv.entries(kind)]
    if not jobs:
        return []
    with quiet(), ThreadPoolExecutor(max_workers=min(8, len(jobs)), thread_name_prefix="probe") as pool:
        futures = [pool.submit(_guarded, kind, entry, timeout) for kind, entry in jobs]
        return [f.result() for f in futures]
