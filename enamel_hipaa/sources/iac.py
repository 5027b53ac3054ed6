"""Shared by the Terraform-plan and CloudFormation sources: planned-resource records through
the same per-type derivations the Pulumi plan gate uses, each Resource identified by the
address (Terraform) or logical id (CloudFormation) it came from, and the resource types that
were seen but not understood, counted per source (report `unsupported_types`)."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from enamel_hipaa.core.model import Resource
from enamel_hipaa.sources import Collection
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


def collection(resources: list[Resource], label: str, unsupported: Counter) -> Collection:
    out = Collection(resources=resources, sources=[label])
    # read by core.report.build (`unsupported_types`)
    out.unsupported_types.update({label: dict(sorted(unsupported.items()))} if unsupported else {})
    return out


_CFN_MARK = re.compile(r"^(AWSTemplateFormatVersion\s*:|\s+Type\s*:\s*['\"]?AWS::)", re.M)


def route(paths) -> tuple[list[str], list[str], list[str]]:
    """`--iac` paths split into (Terraform plan JSON files, CloudFormation templates, the rest
    for checkov). Plans and templates go through Enamel's own normalisers and rules; checkov
    keeps raw HCL, directories and anything else."""
    plans, templates, rest = [], [], []
    for p in map(str, paths):
        kind = _sniff(Path(p))
        (plans if kind == "plan" else templates if kind == "cfn" else rest).append(p)
    return plans, templates, rest


def _sniff(path: Path) -> str | None:
    if not path.is_file() or path.suffix.lower() not in (".json", ".yaml", ".yml", ".template"):
        return None
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            head = fh.read(1 << 20)
    except OSError:
        return None
    if path.suffix.lower() == ".json" or head.lstrip().startswith("{"):
        try:
            doc = json.loads(head)
        except ValueError:
            return None
        if isinstance(doc, dict) and ("planned_values" in doc or "resource_changes" in doc) and "format_version" in doc:
            return "plan"
        if (
            isinstance(doc, dict)
            and isinstance(doc.get("Resources"), dict)
            and (
                "AWSTemplateFormatVersion" in doc
                or any(
                    isinstance(r, dict) and str(r.get("Type", "")).startswith("AWS::")
                    for r in doc["Resources"].values()
                )
            )
        ):
            return "cfn"
        return None
    return "cfn" if _CFN_MARK.search(head) and re.search(r"^Resources\s*:", head, re.M) else None
