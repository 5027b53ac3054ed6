"""Small value helpers of the CloudFormation converters (resolved template values, where a
value known only at deploy time is a $unknown marker)."""

from __future__ import annotations

import json

from enamel_hipaa.core.model import unknown
from enamel_hipaa.sources.cloudformation.template import is_marker


def _b(v):
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    return v


def _i(v):
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            return v
    return v


def _tags(v):
    if is_marker(v):
        return v
    return {t["Key"]: t["Value"] for t in v or [] if isinstance(t, dict) and isinstance(t.get("Value"), str)}


def _has_marker(v) -> bool:
    if is_marker(v):
        return True
    if isinstance(v, dict):
        return any(_has_marker(x) for x in v.values())
    if isinstance(v, list):
        return any(_has_marker(x) for x in v)
    return False


def _policy(doc):
    if doc is None:
        return None
    if _has_marker(doc):
        return unknown("the policy contains values known only at deploy time")
    return doc if isinstance(doc, str) else json.dumps(doc)


def _get(p, *path):
    for k in path:
        if is_marker(p):
            return p
        p = p.get(k) if isinstance(p, dict) else None
    return p
