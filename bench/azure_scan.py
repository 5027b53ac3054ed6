"""How long a live Azure scan takes against the local ARM stand-in with a fixed per-request
latency (real ARM answers in roughly 50-300 ms), reading per-resource details one at a time
and with the default 8 workers. Prints one line per run.

    .venv/bin/python bench/azure_scan.py [ACCOUNTS] [LATENCY_MS]          # storage accounts
    .venv/bin/python bench/azure_scan.py --subscriptions N [LATENCY_MS]   # N subscriptions of
        every other type (NSGs, VMs, disks, vaults, SQL/PostgreSQL/MySQL servers, key vaults
        with keys and secrets, Defender and activity-log settings: tests/fixtures/azure/arm)
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from arm_standin import ArmStandIn  # noqa: E402
from certs import make_ca  # noqa: E402
from enamel_hipaa.sources import azure

SOURCE = ROOT / "tests" / "fixtures" / "azure"


def make_fixtures(directory: Path, count: int) -> dict:
    """`count` accounts cycling through the test fixtures, in one subscription."""
    tenant = json.loads((SOURCE / "tenant.json").read_text())
    sub = tenant["subscriptions"][0]
    (directory / "accounts").mkdir()
    shutil.copytree(SOURCE / "vaults", directory / "vaults")
    templates = [a for a in sub["accounts"] if a != "error_blob_denied"]
    names = []
    for i in range(count):
        doc = json.loads((SOURCE / "accounts" / f"{templates[i % len(templates)]}.json").read_text())
        name = f"archive{i:04d}"
        old = doc["storageAccount"]["id"]
        text = json.dumps(doc).replace(old, old.rsplit("/", 1)[0] + "/" + name)
        doc = json.loads(text)
        doc["storageAccount"]["name"] = name
        (directory / "accounts" / f"{name}.json").write_text(json.dumps(doc))
        names.append(name)
    tenant["subscriptions"] = [dict(sub, accounts=names)]
    tenant["page_size"] = 100
    (directory / "tenant.json").write_text(json.dumps(tenant))
    return tenant


def make_subscriptions(directory: Path, count: int) -> dict:
    """`count` subscriptions, each serving the test fixtures' full ARM store (every type
    beyond storage) and its two key vaults; no storage accounts."""
    tenant = json.loads((SOURCE / "tenant.json").read_text())
    sub = tenant["subscriptions"][0]
    shutil.copytree(SOURCE / "vaults", directory / "vaults")
    shutil.copytree(SOURCE / "arm", directory / "arm")
    (directory / "accounts").mkdir()
    subs = [
        dict(
            sub, subscriptionId=f"{i:08x}-0000-4000-8000-{i:012x}", displayName=f"practice {i}", accounts=[], mode="ok"
        )
        for i in range(1, count + 1)
    ]
    tenant["subscriptions"], tenant["page_size"] = subs, 100
    (directory / "tenant.json").write_text(json.dumps(tenant))
    return tenant


def run(standin: ArmStandIn, tenant: dict, ca: Path, workers: int) -> tuple[float, int]:
    from azure.identity import ClientSecretCredential

    settings = azure.arm.ArmSettings(endpoint=standin.url, ca_bundle=str(ca), authority=standin.url, workers=workers)

    def make():
        return ClientSecretCredential(
            tenant["tenant_id"], tenant["client_id"], tenant["client_secret"], **settings.identity_kwargs()
        )

    subs = tuple(s["subscriptionId"] for s in tenant["subscriptions"])
    start = time.perf_counter()
    out = azure.collect_targets([azure.auth.Target("bench", "ClientSecretCredential", make, subs)], settings)
    assert not out.errors, out.errors[:3]
    return time.perf_counter() - start, len(out.resources)


def main() -> None:
    args = sys.argv[1:]
    subscriptions = args[:1] == ["--subscriptions"]
    if subscriptions:
        args = args[1:]
    count = int(args[0]) if args else 100
    latency_ms = float(args[1]) if len(args) > 1 else 50
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ca, cert, key = make_ca(tmp)
        (tmp / "fx").mkdir()
        tenant = (make_subscriptions if subscriptions else make_fixtures)(tmp / "fx", count)
        standin = ArmStandIn(tmp / "fx", cert, key, latency=latency_ms / 1000).start()
        try:
            # warm-up, not timed: imports the SDKs (azure-mgmt-network alone takes seconds) and
            # fills azure-identity's token cache, which a long-running scan has done long before
            run(standin, dict(tenant, subscriptions=tenant["subscriptions"][:1]), ca, 8)
            for workers in (1, 8):
                standin.requests.clear()
                seconds, n = run(standin, tenant, ca, workers)
                what = f"{count} subscriptions of every other type" if subscriptions else f"{count} storage accounts"
                print(
                    f"azure scan: {what} ({n} resources), {latency_ms:g} ms per ARM call, "
                    f"{workers} worker(s): {seconds:.2f} s, {len(standin.requests)} HTTPS requests",
                    flush=True,
                )
        finally:
            standin.stop()


if __name__ == "__main__":
    main()
