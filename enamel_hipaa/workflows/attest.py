"""`enamel attest init`: a commented starter attestation register built from what a scan
found (outside accounts with access, buckets holding PHI), so a practice starts from facts.
The starter is validated like any register before it is written, atomically; an existing
file is only replaced with --force."""

from __future__ import annotations

import re
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
V2_SECTIONS = "attestation-v2-sections.yaml.j2"
_VERSION_1 = re.compile(r"^version:[ \t]*1[ \t]*(#.*)?$", re.M)


def starter_text(collection: Collection, tenant: str | None, file_name: str) -> str:
    parties = crosscheck.external_parties(collection)
    regions = {f"{r.type}/{r.id}": r.region for r in collection.resources if r.region}
    vendors = [
        {
            "name": f"vendor using AWS account {p.account_id}",
            "account": p.account_id,
            "seen_in": p.seen_in,
            "regions": sorted({regions[w.split(" ")[0]] for w in p.seen_in if w.split(" ")[0] in regions}),
        }
        for p in parties
        if p.marker is None and p.kind == "aws_account"
    ]
    systems = [{"name": name, "seen_in": seen} for name, seen in sorted(crosscheck.phi_buckets(collection).items())]
    return (
        env(False)
        .get_template(TEMPLATE)
        .render(
            generated_at=now_iso(),
            sources=list(dict.fromkeys(collection.sources)),
            file_name=file_name,
            tenant=tenant or "My dental practice",
            vendors=vendors,
            systems=systems,
            unreadable=[p for p in parties if p.marker is not None],
        )
        .rstrip("\n")
        + "\n"
    )


def write_starter(output: str, collection: Collection, tenant: str | None, force: bool) -> Path:
    path = Path(output)
    if path.exists() and not force:
        raise InputError(output, "already exists (use --force to replace it)")
    text = starter_text(collection, tenant, path.name)
    data, lines = yamlsrc.loads(text, output)
    check_register(output, data, lines)  # the starter must be a valid register
    atomic_write(path, text)
    return path


def migrated_text(path: str, text: str) -> str | None:
    """A version-1 register's text as version 2: `version: 2` and the format-2 sections
    appended with "not recorded" values (so their rules fail until filled in); comments and
    everything else kept. None when the register is already version 2."""
    data, lines = yamlsrc.loads(text, path)
    check_register(path, data, lines)
    if data.get("version") == 2:
        return None
    if "\nvendors:" not in "\n" + text or not _VERSION_1.search(text):
        raise InputError(path, "cannot migrate: no top-level `version: 1` line", line=1)
    tail = env(False).get_template(V2_SECTIONS).render(systems=[])
    out = _VERSION_1.sub("version: 2", text, count=1).rstrip("\n") + "\n\n" + tail.rstrip("\n") + "\n"
    new, new_lines = yamlsrc.loads(out, path)
    check_register(path, new, new_lines)  # the migrated register must be valid
    return out


def migrate_file(path: str, output: str | None = None) -> Path | None:
    """`enamel attest migrate REGISTER [-o OUT]`: write the version-2 register (in place when
    no output is given), atomically; None when it is already version 2."""
    src = Path(path)
    if not src.is_file():
        raise InputError(path, "file not found")
    text = migrated_text(path, src.read_text(encoding="utf-8"))
    if text is None:
        return None
    dest = Path(output) if output else src
    atomic_write(dest, text)
    return dest
