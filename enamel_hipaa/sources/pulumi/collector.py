"""Source `pulumi`: the Pulumi plan gate.

--pulumi DIR            run a Pulumi Python program offline under Pulumi's own mocks
--pulumi-preview FILE   the JSON of `pulumi preview --json`
--pulumi-state FILE     the JSON of `pulumi stack export`

All three are normalised into the aws.* resource types the live AWS collector emits
(enamel_hipaa/sources/pulumi). pulumi itself is imported only when --pulumi is used.
"""
from __future__ import annotations

from pathlib import Path

from enamel_hipaa.sources import Collection


def plan_program(directory: str, stack: str | None = None) -> Collection:
    """Run one program under mocks and normalise what it plans."""
    from enamel_hipaa.sources.pulumi import mockrun, normalize, project
    proj = project.find(directory, stack)
    records, account = mockrun.run(proj)
    resources = normalize.normalize(records, "plan", account=account,
                                    region=proj.config.get("aws:region"))
    return Collection(resources=resources, sources=[f"pulumi:{proj.name}/{proj.stack} (mocks)"])


def from_preview(path: str) -> Collection:
    from enamel_hipaa.sources.pulumi import exports, normalize
    import json
    records = exports.read_preview(path)
    config = json.loads(Path(path).read_text()).get("config") or {}
    region = config.get("aws:region") if isinstance(config.get("aws:region"), str) else None
    return Collection(resources=normalize.normalize(records, "plan", region=region),
                      sources=[f"pulumi-preview:{Path(path).name}"])


def from_state(path: str) -> Collection:
    from enamel_hipaa.sources.pulumi import exports, normalize
    return Collection(resources=normalize.normalize(exports.read_state(path), "state"),
                      sources=[f"pulumi-state:{Path(path).name}"])


def collect(config, ctx=None) -> Collection:
    """`config`: a sources.config.PulumiSource."""
    out = Collection()
    for d in config.programs:
        out.extend(plan_program(d, config.stack))
    for f in config.previews:
        out.extend(from_preview(f))
    for f in config.states:
        out.extend(from_state(f))
    return out
