"""Source `--terraform-plan FILE`: the JSON of `terraform show -json plan.tfplan` (OpenTofu
alike) normalised into Enamel's resource types through the same per-type derivations as the
Pulumi plan gate. One small module per provider converts Terraform's attributes (aws.py,
azure.py); planjson.py reads the plan (instances, unknown and sensitive values, references).

Each Resource's id is its Terraform address, module path and index included. The plan JSON
carries no source positions, so findings are not pinned to a .tf line.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from enamel_hipaa.sources import Collection
from enamel_hipaa.sources import iac
from enamel_hipaa.sources.terraform import aws, azure, planjson


def collect_terraform_plan(path: str) -> Collection:
    data = planjson.load(path)
    insts, facts = planjson.instances(data)
    unsupported = Counter(i.type for i in insts if i.type not in aws.TYPES and i.type not in azure.TYPES)
    resources = iac.normalise(
        aws.records(insts, facts["region"], facts["timestamp"]), account=facts["account"], region=facts["region"]
    )
    resources.extend(azure.resources(insts))
    return iac.collection(resources, f"terraform:{Path(path).name}", unsupported)


def collect(config, ctx=None) -> Collection:
    """`config`: a sources.config.TerraformPlanSource."""
    return iac.collect_files(config.paths, collect_terraform_plan)
