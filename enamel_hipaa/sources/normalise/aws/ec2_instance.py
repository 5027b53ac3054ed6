"""aws.ec2_instance from EC2's DescribeInstances shape plus what Systems Manager reports.

`ssm_managed`, `patch_compliant`, `association_compliant` are None for an instance SSM does
not manage (compliance is unknown there, not clean), or an $error value when SSM could not
be read."""

from __future__ import annotations

import re

_REASON_DATE = re.compile(r"\((\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})")


def stopped_since(instance: dict) -> str | None:
    """When a stopped instance stopped, from StateTransitionReason ('User initiated (2026-01-02 03:04:05 GMT)')."""
    if (instance.get("State") or {}).get("Name") != "stopped":
        return None
    m = _REASON_DATE.search(str(instance.get("StateTransitionReason") or ""))
    return f"{m.group(1)}T{m.group(2)}Z" if m else None


def _iso(v):
    if v is None:
        return None
    return v.isoformat() if hasattr(v, "isoformat") else str(v)


def instance_props(arn: str, i: dict, tags: dict, ssm) -> dict:
    """`ssm`: {instance id: {"online": bool, "patch": status|None, "association": status|None}}, or an $error."""
    meta = i.get("MetadataOptions") or {}
    iid = i["InstanceId"]
    if isinstance(ssm, dict) and "$error" in ssm:
        managed = patch = assoc = ssm
    else:
        info = ssm.get(iid)
        managed = bool(info and info["online"])
        patch = None if info is None or info.get("patch") is None else info["patch"] == "COMPLIANT"
        assoc = None if info is None or info.get("association") is None else info["association"] == "COMPLIANT"
    return {
        "arn": arn,
        "tags": tags,
        "state": (i.get("State") or {}).get("Name"),
        "launch_time": _iso(i.get("LaunchTime")),
        "stopped_since": stopped_since(i),
        "has_public_ip": bool(i.get("PublicIpAddress"))
        or any((n.get("Association") or {}).get("PublicIp") for n in i.get("NetworkInterfaces") or []),
        "imdsv2_required": meta.get("HttpTokens") == "required" or meta.get("HttpEndpoint") == "disabled",
        "instance_profile": bool(i.get("IamInstanceProfile")),
        "vpc_id": i.get("VpcId"),
        "ssm_managed": managed,
        "patch_compliant": patch,
        "association_compliant": assoc,
    }
