"""`enamel demo`: scans a bundled example practice, no cloud account needed.

Each part returns a Collection; later sources add their parts here (a Pulumi plan of
infra/, a moto-backed live AWS account, local PACS servers, ...)."""
from __future__ import annotations

from enamel_hipaa.core import paths
from enamel_hipaa.sources import Collection
from enamel_hipaa.sources.resources_file import read
from enamel_hipaa.core.model import CollectionError


def practice_part(ruleset, console) -> Collection:
    """Bright Smile Dental: a small practice's AWS archive, part hardened, part not."""
    return read(str(paths.demo_dir() / "practice.yaml"), ruleset.type_schemas)


def attestation_part(ruleset, console) -> Collection:
    """Bright Smile's attestation register and the vendor roles a live IAM scan finds
    (the cross-check matches them against the register's BAAs)."""
    from enamel_hipaa.sources.attestation import collect as collect_register
    from enamel_hipaa.sources.config import AttestationSource
    out = collect_register(AttestationSource(path=str(paths.demo_dir() / "attestation.yaml")))
    out.extend(read(str(paths.demo_dir() / "vendor_access.yaml"), ruleset.type_schemas))
    return out


def onprem_part(ruleset, console) -> Collection:
    """The example site's PACS, proxy and workstations, and live probes of local servers."""
    from enamel_hipaa.workflows.demo.onprem import PARTS as ONPREM_PARTS
    out = Collection()
    for part in ONPREM_PARTS:
        out.extend(part(ruleset, console))
    return out


def live_aws_part(ruleset, console) -> Collection:
    """The same kind of practice, live: a local moto server scanned by the AWS collector."""
    from enamel_hipaa.workflows.demo.aws_live import live_aws_part as run
    return run(ruleset, console)


def plan_gate_part(ruleset, console) -> Collection:
    """The Pulumi plan gate, side by side: infra/ as shipped (resources xray-*, audit-*, ...)
    and a deliberately weakened variant (weak-*), both planned offline under mocks."""
    from enamel_hipaa.sources.pulumi.collector import plan_program
    out = Collection()
    infra = paths.infra_dir()
    for program, stack in ((infra, "dev"), (infra / "variants" / "weakened", "demo")):
        if not (program / "__main__.py").is_file():
            out.errors.append(CollectionError("plan", "pulumi", f"{program} not found (a source checkout has it)"))
            continue
        try:
            out.extend(plan_program(str(program), stack))
        except ImportError as e:
            out.errors.append(CollectionError("plan", "pulumi", f"{e.name} is not installed: pip install 'enamel-hipaa[pulumi]'"))
            break
    return out


PARTS = [practice_part, plan_gate_part, live_aws_part, attestation_part, onprem_part]


def collect_demo(ruleset, console) -> Collection:
    total = Collection()
    for part in PARTS:
        total.extend(part(ruleset, console))
    return total
