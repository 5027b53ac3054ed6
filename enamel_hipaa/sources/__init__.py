"""The explicit registry of sources. Each entry maps a source kind (the `kind` of its
config dataclass in `sources.config`) to a module with

    collect(config, ctx) -> Collection  -> normalised resources + collection errors

Heavy SDKs (boto3, azure, pulumi) are imported inside `collect`, never at import time.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from enamel_hipaa.core.model import CollectionError, Resource

# name -> module path. Order is the order options appear in --help.
REGISTRY: dict[str, str] = {
    "file": "enamel_hipaa.sources.resources_file",
    "attestation": "enamel_hipaa.sources.attestation",
    "iac": "enamel_hipaa.sources.checkov",
    "terraform": "enamel_hipaa.sources.terraform",
    "cloudformation": "enamel_hipaa.sources.cloudformation",
    "onprem": "enamel_hipaa.sources.onprem",
    "aws": "enamel_hipaa.sources.aws",
    "pulumi": "enamel_hipaa.sources.pulumi.collector",
    "azure": "enamel_hipaa.sources.azure",
}


@dataclass
class Collection:
    resources: list[Resource] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    findings: list = field(default_factory=list)  # findings mapped from another tool (checkov)
    # per source label: resource types seen but not understood, with counts (report `unsupported_types`)
    unsupported_types: dict = field(default_factory=dict)
    # what a reader must know about how far to trust the scan, none of it an error (report `notices`)
    notices: list = field(default_factory=list)  # [{source, message}]

    def extend(self, other: "Collection") -> None:
        self.resources.extend(other.resources)
        self.errors.extend(other.errors)
        self.sources.extend(other.sources)
        self.findings.extend(other.findings)
        self.notices.extend(n for n in getattr(other, "notices", None) or [] if n not in self.notices)
        for label, counts in (getattr(other, "unsupported_types", None) or {}).items():
            mine = self.unsupported_types.setdefault(label, {})
            for t, n in counts.items():
                mine[t] = mine.get(t, 0) + n


def modules():
    return {name: importlib.import_module(path) for name, path in REGISTRY.items()}


def collect_source(config, ctx=None) -> Collection:
    """Run the collector of one source config (its `kind` picks the module)."""
    return importlib.import_module(REGISTRY[config.kind]).collect(config, ctx)
