"""`enamel attest init`: a commented starter attestation register built from what a scan
found (outside accounts with access, buckets holding PHI), so a practice starts from facts.
The starter is validated like any register before it is written, atomically; an existing
file is only replaced with --force."""
from __future__ import annotations

from pathlib import Path

from enamel_hipaa.workflows import crosscheck
from enamel_hipaa.core import yamlsrc
from enamel_hipaa.sources import Collection
from enamel_hipaa.sources.attestation import check_register
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.outputs import atomic_write
from enamel_hipaa.outputs.templating import env
from enamel_hipaa.core.report import now_iso

TEMPLATE = "attestation-starter.yaml.j2"


def starter_text(collection: Collection, tenant: str | None, file_name: str) -> str:
    parties = crosscheck.external_parties(collection)
    vendors = [{"name": f"vendor using AWS account {p.account_id}", "account": p.account_id, "seen_in": p.seen_in}
               for p in parties if p.marker is None and p.kind == "aws_account"]
    systems = [{"name": name, "seen_in": seen} for name, seen in sorted(crosscheck.phi_buckets(collection).items())]
    return env(False).get_template(TEMPLATE).render(
        generated_at=now_iso(), sources=list(dict.fromkeys(collection.sources)), file_name=file_name,
        tenant=tenant or "My dental practice", vendors=vendors, systems=systems,
        unreadable=[p for p in parties if p.marker is not None]).rstrip("\n") + "\n"


def write_starter(output: str, collection: Collection, tenant: str | None, force: bool) -> Path:
    path = Path(output)
    if path.exists() and not force:
        raise InputError(output, "already exists (use --force to replace it)")
    text = starter_text(collection, tenant, path.name)
    data, lines = yamlsrc.loads(text, output)
    check_register(output, data, lines)  # the starter must be a valid register
    atomic_write(path, text)
    return path
