"""Small helpers turning SDK values into plain JSON values."""

from __future__ import annotations

from enum import Enum


def enum_str(v) -> str | None:
    """An SDK enum member (or plain string) as its string value; None stays None."""
    if v is None:
        return None
    if isinstance(v, Enum):
        return str(v.value)
    return str(v)


def flag(v, when_null):
    """A boolean as a plain bool; `when_null` (what Azure applies, or an unknown marker) for null."""
    return when_null if v is None else bool(v)


def resource_group(resource_id: str) -> str:
    parts = resource_id.strip("/").split("/")
    for i, p in enumerate(parts[:-1]):
        if p.lower() == "resourcegroups":
            return parts[i + 1]
    raise ValueError(f"no resource group in {resource_id!r}")


def tags(t) -> dict:
    """Azure tag names are case-insensitive: `Data_Class` is `data_class` (values kept)."""
    return {str(k).lower(): str(v) for k, v in (t or {}).items()}


def arm(model) -> dict:
    """An SDK model as ARM's JSON (camelCase names, nested `properties`), whichever generation
    of the SDK made it: the newer Mapping models hold that JSON; msrest models serialise to it."""
    if model is None:
        return {}
    if isinstance(model, dict):
        return model
    if hasattr(model, "keys") and hasattr(model, "as_dict"):  # azure-mgmt-*  typespec models (Mapping)
        return model.as_dict()
    return model.serialize(keep_readonly=True)


def dig(doc, path: str, default=None):
    """doc['a']['b']… for 'a.b…'; `default` where a step is missing or null."""
    node = doc
    for part in path.split("."):
        if not isinstance(node, dict) or node.get(part) is None:
            return default
        node = node[part]
    return node
