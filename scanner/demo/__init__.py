"""`enamel demo`: scans a bundled example practice, no cloud account needed.

Each part returns a Collection; later sources add their parts here (a Pulumi plan of
infra/, a moto-backed live AWS account, local PACS servers, ...)."""
from __future__ import annotations

from .. import paths
from ..collectors import Collection
from ..collectors.resources_file import read
from ..model import CollectionError


def practice_part(ruleset, console) -> Collection:
    """Bright Smile Dental: a small practice's AWS archive, part hardened, part not."""
    return read(str(paths.demo_dir() / "practice.yaml"), ruleset.type_schemas)


def plan_gate_part(ruleset, console) -> Collection:
    """The Pulumi plan gate, side by side: infra/ as shipped (resources xray-*, audit-*, ...)
    and a deliberately weakened variant (weak-*), both planned offline under mocks."""
    from ..collectors.pulumi import plan_program
    out = Collection()
    infra = paths.infra_dir()
    for program, stack in ((infra, "dev"), (infra / "variants" / "weakened", "demo")):
        if not (program / "__main__.py").is_file():
            out.errors.append(CollectionError("plan", "pulumi", f"{program} not found (a source checkout has it)"))
            continue
        try:
            out.extend(plan_program(str(program), stack))
        except ImportError as e:
            out.errors.append(CollectionError("plan", "pulumi", f"{e.name} is not installed: pip install 'enamel[pulumi]'"))
            break
    return out


PARTS = [practice_part, plan_gate_part]


def collect_demo(ruleset, console) -> Collection:
    total = Collection()
    for part in PARTS:
        total.extend(part(ruleset, console))
    return total
