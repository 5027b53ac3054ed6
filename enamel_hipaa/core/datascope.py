"""Scope that fails closed (issue 14): a resource is in a PHI rule's scope unless it is
declared NOT to hold PHI, and a role is treated as assumed by people unless declared otherwise.

`annotate` adds two derived properties before rules are evaluated:
- `data_scope`: "phi" (a PHI value, an unrecognised value, or no data-class tag at all),
  "not_phi" (a declared non-PHI value), or unknown (tags unreadable);
- `access_scope`: "human" unless the `access` tag says the role is used by machines, or only
  AWS services (no account) may assume it.

The tag keys and values are parameters (global `params:` of a --params file, per tenant),
declared by the tagging rules; defaults below (README "Data-class scope")."""

from __future__ import annotations

from enamel_hipaa.core.model import ERROR_KEY, UNKNOWN_KEY, unknown

SCOPED_TYPES = ("aws.s3_bucket", "aws.vpc", "azure.storage_account", "aws.iam_role", "aws.macie_bucket")
DEFAULTS = {
    "data_class_tag_keys": ["data_class", "DataClassification", "Confidentiality", "Sensitivity"],
    "phi_values": ["phi", "ephi", "confidential", "restricted"],
    "non_phi_values": ["public", "non-phi", "internal", "logs"],
    "non_human_access_values": ["service", "machine", "automation", "workload", "ci"],
}


def settings(params: dict | None) -> dict:
    glob = (params or {}).get("params") or {}
    return {k: [str(x).lower() for x in glob.get(k, v)] for k, v in DEFAULTS.items()}


def _tags(props: dict):
    t = props.get("tags")
    if t is None:
        return {}
    if isinstance(t, dict) and (UNKNOWN_KEY in t or ERROR_KEY in t):
        return None
    return t if isinstance(t, dict) else None


def data_scope(props: dict, s: dict):
    tags = _tags(props)
    if tags is None:
        return unknown("tags could not be read: data class unknown")
    keys = {k.lower() for k in s["data_class_tag_keys"]}
    values = [v for k, v in tags.items() if str(k).lower() in keys]
    for v in values:
        if not isinstance(v, str):
            return unknown("data-class tag value could not be read")
    low = [v.strip().lower() for v in values]
    if low and all(v in s["non_phi_values"] for v in low):
        return "not_phi"
    return "phi"  # a PHI value, an unrecognised one, or no data-class tag: in scope


def access_scope(props: dict, s: dict):
    tags = _tags(props)
    if tags is None:
        return unknown("tags could not be read: role use unknown")
    accounts, services = props.get("trusted_accounts"), props.get("trusted_services")
    if accounts == [] and isinstance(services, list) and services:
        return "not_human"  # only AWS services may assume it
    v = tags.get("access")
    if v is not None and not isinstance(v, str):
        return unknown("access tag value could not be read")
    return "not_human" if v and v.strip().lower() in s["non_human_access_values"] else "human"


def annotate(rtype: str, props: dict, s: dict) -> dict:
    if rtype not in SCOPED_TYPES:
        return props
    out = dict(props)
    out["data_scope"] = data_scope(props, s)
    if rtype == "aws.iam_role":
        out["access_scope"] = access_scope(props, s)
    return out
