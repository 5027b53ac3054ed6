"""Shared by the Terraform-plan and CloudFormation sources: planned-resource records through
the same per-type derivations the Pulumi plan gate uses, each Resource identified by the
address (Terraform) or logical id (CloudFormation) it came from, and the resource types that
were seen but not understood, counted per source (report `unsupported_types`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from enamel_hipaa.core.model import Resource
from enamel_hipaa.sources import Collection
from enamel_hipaa.sources.checkov import relpath
from enamel_hipaa.sources.pulumi.normalize import BUILDERS
from enamel_hipaa.sources.pulumi.plan import Plan


class AddressedPlan(Plan):
    """A Plan whose Resources take the record's address as id (names repeat across modules)."""

    def __init__(self, records, source, account, region, locations: dict | None = None):
        super().__init__(records, source, account, region)
        self.locations = locations or {}

    def resource(self, rtype, rec, rid, name, props, global_=False) -> Resource:
        r = super().resource(rtype, rec, rid, name, props, global_)
        addr = rec["urn"]
        loc = self.locations.get(addr)  # SARIF: a finding points at its resource's origin (file, line)
        return replace(r, id=addr, origin=loc) if loc else replace(r, id=addr)


def normalise(
    records: list[dict], *, account: str | None, region: str | None, locations: dict | None = None
) -> list[Resource]:
    plan = AddressedPlan(records, "plan", account, region, locations)
    out: list[Resource] = []
    for build in BUILDERS:
        out.extend(build(plan))
    return out


def collect_files(paths, collect_one) -> Collection:
    """Every file of a Terraform-plan or CloudFormation source. Addresses and logical ids are
    unique only within one file, so when a source holds several files each id is qualified with
    the file's path (`templates/a.yaml#AuditTrail`): two resources never share an id, so a waiver
    or a baseline entry can never match a resource of another file."""
    out = Collection()
    for path in paths:
        part = collect_one(path)
        if len(paths) > 1:
            part.resources = [replace(r, id=f"{relpath(str(path))}#{r.id}") for r in part.resources]
        out.extend(part)
    return out


def collection(resources: list[Resource], label: str, unsupported: Counter) -> Collection:
    out = Collection(resources=resources, sources=[label])
    # read by core.report.build (`unsupported_types`)
    out.unsupported_types.update({label: dict(sorted(unsupported.items()))} if unsupported else {})
    return out
