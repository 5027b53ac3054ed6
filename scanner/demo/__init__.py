"""`enamel demo`: scans a bundled example practice, no cloud account needed.

Each part returns a Collection; later sources add their parts here (a Pulumi plan of
infra/, a moto-backed live AWS account, local PACS servers, ...)."""
from __future__ import annotations

from .. import paths
from ..collectors import Collection
from ..collectors.resources_file import read


def practice_part(ruleset, console) -> Collection:
    """Bright Smile Dental: a small practice's AWS archive, part hardened, part not."""
    return read(str(paths.demo_dir() / "practice.yaml"), ruleset.type_schemas)


def live_aws_part(ruleset, console) -> Collection:
    """The same kind of practice, live: a local moto server scanned by the AWS collector."""
    from .aws_live import live_aws_part as run
    return run(ruleset, console)


PARTS = [practice_part, live_aws_part]


def collect_demo(ruleset, console) -> Collection:
    total = Collection()
    for part in PARTS:
        total.extend(part(ruleset, console))
    return total
