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
    try:
        records, account = mockrun.run(proj)
    except mockrun.ProgramFailed as e:
        return program_failed(f"pulumi:{proj.name}/{proj.stack} (mocks)", str(e))
    resources = normalize.normalize(records, "plan", account=account, region=proj.config.get("aws:region"))
    label = f"pulumi:{proj.name}/{proj.stack} (mocks)"
    return Collection(resources=resources, sources=[label], unsupported_types=_unsupported(label, records))


def _unsupported(label: str, records) -> dict:
    from enamel_hipaa.sources.pulumi.coverage import unsupported

    counts = unsupported(records)
    return {label: dict(sorted(counts.items()))} if counts else {}


# the resource types a Pulumi program can produce: a program that fails makes every rule on
# them `error` for that program, so a broken program never reads as a clean one
PROGRAM_TYPES = (
    "aws.s3_bucket",
    "aws.kms_key",
    "aws.cloudtrail_trail",
    "aws.cloudwatch_log_group",
    "aws.iam_account",
    "aws.s3_account",
    "aws.ec2_region",
    "aws.ec2_security_group",
    "aws.vpc",
    "aws.backup_vault",
    "aws.backup_plan",
    "aws.iam_role",
    "aws.ebs_volume",
    "aws.rds_instance",
    "aws.elbv2_listener",
    "aws.iam_user",
    "azure.storage_account",
    "azure.key_vault",
)


def program_failed(label: str, message: str) -> Collection:
    """The Collection of a program that failed: one error per type it could have planned."""
    from enamel_hipaa.core.model import CollectionError

    line = message.splitlines()[0] if message else "the Pulumi program failed"
    return Collection(
        sources=[label],
        errors=[CollectionError(source="plan", service=label, message=line, resource_type=t) for t in PROGRAM_TYPES],
    )


def from_preview(path: str) -> Collection:
    from enamel_hipaa.sources.pulumi import exports, normalize
    from enamel_hipaa.core import inputs

    records = exports.read_preview(path)
    config = inputs.load_json(path).get("config") or {}
    config = config if isinstance(config, dict) else {}
    region = config.get("aws:region") if isinstance(config.get("aws:region"), str) else None
    label = f"pulumi-preview:{Path(path).name}"
    return Collection(
        resources=_normalised(path, lambda: normalize.normalize(records, "plan", region=region)),
        sources=[label],
        unsupported_types=_unsupported(label, records),
    )


def _normalised(path: str, fn):
    """A preview or state file whose records have unexpected types (a list where an object
    should be, ...) is bad input naming the file (exit 2), not an internal error."""
    from enamel_hipaa.core.errors import InputError

    try:
        return fn()
    except (TypeError, AttributeError, KeyError, ValueError, IndexError) as exc:
        raise InputError(
            path, f"unexpected structure in a resource record ({type(exc).__name__}: {str(exc)[:120]})"
        ) from None


def from_state(path: str) -> Collection:
    from enamel_hipaa.sources.pulumi import exports, normalize

    records = exports.read_state(path)
    label = f"pulumi-state:{Path(path).name}"
    return Collection(
        resources=_normalised(path, lambda: normalize.normalize(records, "state")),
        sources=[label],
        unsupported_types=_unsupported(label, records),
    )


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
