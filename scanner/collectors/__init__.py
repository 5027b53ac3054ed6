"""The explicit registry of sources. Each entry names a module with

    add_arguments(group)              -> adds its `enamel scan/collect` options
    wanted(args) -> bool              -> whether the user asked for this source
    collect(args, ctx) -> Collection  -> normalised resources + collection errors

Modules are imported when the CLI builds its parser; heavy SDKs (boto3, azure, pulumi)
are imported inside `collect`, never at import time.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from ..model import CollectionError, Resource

# name -> module path. Order is the order options appear in --help.
REGISTRY: dict[str, str] = {
    "file": "scanner.collectors.resources_file",
    "attestation": "scanner.collectors.attestation",
    "iac": "scanner.collectors.checkov",
    "onprem": "scanner.collectors.onprem",
    "aws": "scanner.collectors.aws",
    "pulumi": "scanner.collectors.pulumi",
    "azure": "scanner.collectors.azure",
}


@dataclass
class Collection:
    resources: list[Resource] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    findings: list = field(default_factory=list)  # findings mapped from another tool (checkov)

    def extend(self, other: "Collection") -> None:
        self.resources.extend(other.resources)
        self.errors.extend(other.errors)
        self.sources.extend(other.sources)
        self.findings.extend(other.findings)


def modules():
    return {name: importlib.import_module(path) for name, path in REGISTRY.items()}
