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
            out.errors.append(
                CollectionError("plan", "pulumi", f"{e.name} is not installed: pip install 'enamel-hipaa[pulumi]'")
            )
            break
    return out


PARTS = [practice_part, plan_gate_part, live_aws_part, attestation_part, onprem_part]


def _skip_reason(part) -> str | None:
    """Why a part cannot run with this installation (an extra or a source checkout missing)."""
    from enamel_hipaa.core.extras import EXTRA_MODULES, install_command, missing_modules

    need = {
        plan_gate_part: ("Pulumi plan gate", "pulumi"),
        live_aws_part: ("live AWS scan (moto)", "demo"),
        onprem_part: ("on-prem PACS", "onprem"),
    }.get(part)
    if need is None:
        return None
    what, extra = need
    missing = missing_modules(EXTRA_MODULES[extra] + (("flask",) if extra == "demo" else ()))
    if missing:
        return f"{what} skipped: needs the '{extra}' extra ({install_command(extra)})"
    if part is plan_gate_part and not (paths.infra_dir() / "__main__.py").is_file():
        return f"{what} skipped: its Pulumi program (infra/) ships with the source checkout, not the wheel"
    return None


def demo_plan() -> tuple[list, list[str]]:
    """(parts that can run here, one note per part skipped). A skipped part is not an error:
    the demo stays a complete scan of what it did run, and says what it left out."""
    run, skipped = [], []
    for part in PARTS:
        why = _skip_reason(part)
        (skipped.append(why) if why else run.append(part))
    return run, skipped


def collect_demo(ruleset, console, skipped: list | None = None) -> Collection:
    """Every runnable part; each skipped part's note goes to `skipped` (if given) and the console."""
    parts, notes = demo_plan()
    for note in notes:
        if console is not None:
            console.print(f"[dim]demo: {note}[/dim]", highlight=False)
    if skipped is not None:
        skipped.extend(notes)
    total = Collection()
    for part in parts:
        total.extend(part(ruleset, console))
    return total
