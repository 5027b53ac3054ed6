"""Source `--cloudformation FILE`: a CloudFormation template (YAML or JSON) normalised into
Enamel's resource types through the same per-type derivations as the Pulumi plan gate.
loader.py parses (line numbers and short-form intrinsics kept), template.py and resolves intrinsics; aws.py
converts each resource type. Each Resource's id is its logical id, and its findings point at
the template line that declares it (SARIF)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from enamel_hipaa.sources import Collection, iac
from enamel_hipaa.sources.cloudformation import aws, template
from enamel_hipaa.sources.checkov import relpath


def _join_target(raw, res: dict, bucket_names: dict) -> str | None:
    """The logical id a join property names: a Ref / Fn::GetAtt of a template resource, or the
    very expression a bucket's BucketName is written with."""
    if isinstance(raw, dict) and len(raw) == 1:
        ((fn, arg),) = raw.items()
        if fn == "Ref" and arg in res:
            return str(arg)
        if fn == "Fn::GetAtt":
            name = arg.split(".", 1)[0] if isinstance(arg, str) else (arg[0] if isinstance(arg, list) and arg else None)
            if name in res:
                return str(name)
    key = json.dumps(raw, sort_keys=True, default=str)
    return bucket_names.get(key)


def collect_cloudformation(path: str) -> Collection:
    tpl, lines = template.decode(path)
    resolver = template.Resolver(tpl)
    res = tpl["Resources"]
    bucket_names = {
        json.dumps(r["Properties"]["BucketName"], sort_keys=True, default=str): str(logical)
        for logical, r in res.items()
        if isinstance(r, dict)
        and r.get("Type") == "AWS::S3::Bucket"
        and isinstance(r.get("Properties"), dict)
        and isinstance(r["Properties"].get("BucketName"), dict)
    }
    resolved, joins, locations, unsupported = {}, {}, {}, Counter()
    for logical, r in res.items():
        if not isinstance(r, dict):
            continue
        ctype = str(r.get("Type"))
        cond = r.get("Condition")
        if cond is not None and resolver.condition(cond) is False:
            continue  # not created with these parameters
        if ctype not in aws.TYPES:
            unsupported[ctype] += 1
            continue
        raw = r.get("Properties") if isinstance(r.get("Properties"), dict) else {}
        props = resolver.value(raw)
        resolved[str(logical)] = (ctype, props if isinstance(props, dict) else {})
        for prop, field in aws.JOINS.get(ctype, ()):
            target = _join_target(raw.get(prop), res, bucket_names)
            if target is not None:
                joins.setdefault(str(logical), {})[field] = target
        span = lines.get(logical)
        if span:  # relative to the working directory when inside it (what SARIF viewers expect)
            locations[str(logical)] = {"path": relpath(str(path)), "line": span[0], "end_line": span[1]}
    resources = iac.normalise(aws.records(resolved, joins), account=None, region=None, locations=locations)
    return iac.collection(resources, f"cloudformation:{Path(path).name}", unsupported)


def collect(config, ctx=None) -> Collection:
    """`config`: a sources.config.CloudFormationSource."""
    return iac.collect_files(config.paths, collect_cloudformation)
