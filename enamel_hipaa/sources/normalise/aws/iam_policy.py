"""aws.iam_policy: what an identity policy document (customer-managed, AWS-managed or
inline) grants, as the admin / full-access / KMS rules read it.

Administrative access, as Enamel defines it: an Allow statement on every resource
(`Resource: "*"`, or any `NotResource`) whose actions include every action (`*`, `*:*`,
or an `Allow` + `NotAction`, which grants all but a few), or all of IAM (`iam:*`, which lets
the holder grant itself anything) or all of KMS (`kms:*`, which lets the holder decrypt
every PHI key and schedule its deletion). Conditions are not read: a conditioned
administrator grant is still an administrator grant (Prowler's and AWS Config's checks
ignore conditions too). A document Enamel cannot parse raises ValueError (the caller
records an error value, never a pass)."""

from __future__ import annotations

import fnmatch
from urllib.parse import unquote

from enamel_hipaa.sources.normalise.aws.policy import load_document, statements

ADMIN_ACTIONS = ("*", "*:*", "iam:*", "kms:*")
BLOCKED_KMS_ACTIONS = ("kms:Decrypt", "kms:ReEncryptFrom")  # AWS Config's default blockedActionsPatterns
_ALL_KEYS = ("*", "arn:aws:kms:*", "arn:aws:kms:*:*:key/*", "arn:aws:kms:*:*:*")


def _list(v) -> list[str]:
    if v is None:
        return []
    return [str(x) for x in (v if isinstance(v, (list, tuple)) else [v])]


def parse(doc):
    """A policy document as AWS returns it (a dict, JSON text, or URL-encoded JSON text
    from IAM's GetAccountAuthorizationDetails / GetPolicyVersion) -> dict."""
    if isinstance(doc, str) and doc.lstrip().startswith("%7B"):
        doc = unquote(doc)
    parsed = load_document(doc)
    if parsed is None:
        raise ValueError("policy document is empty")
    return parsed


def policy_facts(doc) -> dict:
    d = parse(doc)
    admin, full, kms_all = [], set(), False
    for s in statements(d):
        if s.get("Effect") != "Allow":
            continue
        actions = [a.lower() for a in _list(s.get("Action"))]
        resources = _list(s.get("Resource"))
        every_resource = "*" in resources or "NotResource" in s
        if "NotAction" in s:
            if every_resource:
                admin.append("NotAction")
            continue
        if every_resource:
            admin.extend(a for a in ADMIN_ACTIONS if a in actions)
        full.update(a.split(":", 1)[0] for a in actions if a.endswith(":*") and a != "*:*")
        if "*" in actions or "*:*" in actions:
            full.add("*")
        on_all_keys = "NotResource" in s or any(r in _ALL_KEYS for r in resources)
        if on_all_keys and any(fnmatch.fnmatchcase(b.lower(), a) for a in actions for b in BLOCKED_KMS_ACTIONS):
            kms_all = True
    return {
        "admin": bool(admin),
        "admin_grants": sorted(set(admin)),
        "full_access_services": sorted(full),
        "kms_decrypt_all_keys": kms_all,
    }


def policy_props(arn: str, kind: str, document, attached_to: dict) -> dict:
    """kind: customer | aws | inline; attached_to: {"users": [...], "groups": [...], "roles": [...]}."""
    users, groups, roles = (sorted(attached_to.get(k, [])) for k in ("users", "groups", "roles"))
    return {
        "arn": arn,
        "kind": kind,
        "attached": bool(users or groups or roles),
        "attached_users": users,
        "attached_groups": groups,
        "attached_roles": roles,
        **policy_facts(document),
    }
