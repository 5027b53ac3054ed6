"""Facts the rules need from S3 bucket policies and KMS key policies: plain functions over
the parsed policy document, shared by every source that sees a policy (live AWS, Pulumi).

Output keys follow rules/schema/types/aws.s3_bucket.json (`policy`) and aws.kms_key.json
(`policy`)."""
from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase

# Condition keys that pin an Allow to known callers: with one of them, Principal "*" is
# not public.
LIMITING_KEYS = {"aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:sourcevpc",
                 "aws:sourcevpce", "aws:sourceip", "aws:principalorgid", "aws:principalaccount",
                 "aws:principalarn", "aws:sourceorgid", "aws:principalorgpaths", "aws:userid",
                 "aws:username", "kms:calleraccount", "kms:viaservice"}
# actions that make a principal a key administrator (read-only Describe/List/Get do not)
KMS_ADMIN_MARKERS = ("kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey",
                     "kms:EnableKey", "kms:CreateGrant", "kms:UpdateKeyDescription",
                     "kms:DeleteAlias", "kms:CancelKeyDeletion", "kms:TagResource")
KMS_USE_MARKERS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom",
                   "kms:ReEncryptTo")
ACCOUNT_RE = re.compile(r"^(?:arn:aws[\w-]*:iam::)?(\d{12})(?::|$)")


def _load(doc):
    if doc is None or doc == "":
        return None
    if isinstance(doc, str):
        doc = json.loads(doc)
    return doc


def _list(v) -> list:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _statements(doc) -> list[dict]:
    return [s for s in _list((doc or {}).get("Statement")) if isinstance(s, dict)]


def _principals(stmt) -> tuple[bool, list[str]]:
    """(is_everyone, AWS principal strings) of a statement."""
    p = stmt.get("Principal")
    if p == "*":
        return True, []
    if not isinstance(p, dict):
        return False, []
    aws = [str(x) for x in _list(p.get("AWS"))]
    return "*" in aws, [x for x in aws if x != "*"]


def _covers(patterns, action: str) -> bool:
    a = action.lower()
    return any(fnmatchcase(a, str(p).lower()) for p in patterns)


def _conditions(stmt) -> dict:
    """{operator: {key(lower): [values as str]}}"""
    out = {}
    for op, body in (stmt.get("Condition") or {}).items():
        if isinstance(body, dict):
            out[op] = {k.lower(): [str(v).lower() for v in _list(val)] for k, val in body.items()}
    return out


def _limited(stmt) -> bool:
    return any(k in LIMITING_KEYS for body in _conditions(stmt).values() for k in body)


def _account_of(principal: str) -> str | None:
    m = ACCOUNT_RE.match(principal)
    return m.group(1) if m else None


def _cross_accounts(statements, owner_account: str | None) -> list[str]:
    out = set()
    for s in statements:
        if s.get("Effect") != "Allow":
            continue
        for p in _principals(s)[1]:
            acct = _account_of(p)
            if acct and acct != owner_account:
                out.add(acct)
    return sorted(out)


def _covers_bucket_and_objects(stmt) -> bool:
    res = [str(r) for r in _list(stmt.get("Resource"))]
    if "*" in res:
        return True
    bucket = any(r.startswith("arn:") and "/" not in r.split(":::", 1)[-1] for r in res)
    objects = any(r.endswith("/*") for r in res)
    return bucket and objects


def _version_text(v: str) -> str:
    try:
        f = float(v)
    except ValueError:
        return v
    return f"{f:g}" if "." in f"{f:g}" else f"{f:.1f}"


def bucket_policy_facts(doc, owner_account: str | None) -> dict:
    """Facts of an S3 bucket policy (a JSON string or a parsed document; None = no policy)."""
    doc = _load(doc)
    if not doc:
        return {"present": False, "denies_insecure_transport": False, "min_tls_version": None,
                "allows_public": False, "cross_account_principals": []}
    stmts = _statements(doc)
    denies_http = False
    tls_versions = []
    allows_public = False
    for s in stmts:
        everyone, _ = _principals(s)
        actions = _list(s.get("Action"))
        if s.get("Effect") == "Deny" and everyone and _covers(actions, "s3:GetObject") \
                and _covers(actions, "s3:PutObject") and _covers_bucket_and_objects(s):
            cond = _conditions(s)
            if "false" in cond.get("Bool", {}).get("aws:securetransport", []):
                denies_http = True
            for v in cond.get("NumericLessThan", {}).get("s3:tlsversion", []):
                tls_versions.append(_version_text(v))
        if s.get("Effect") == "Allow" and everyone and not _limited(s):
            allows_public = True
    min_tls = max(tls_versions, key=lambda v: tuple(int(x) for x in v.split(".") if x.isdigit()),
                  default=None)
    return {"present": True, "denies_insecure_transport": denies_http, "min_tls_version": min_tls,
            "allows_public": allows_public,
            "cross_account_principals": _cross_accounts(stmts, owner_account)}


def key_policy_facts(doc, owner_account: str | None = None) -> dict:
    """Facts of a KMS key policy: who administers the key, who uses it, and who does both.
    `owner_account` (optional) lets cross-account principals be named."""
    doc = _load(doc) or {}
    stmts = _statements(doc)
    admins, users = set(), set()
    allows_public = False
    for s in stmts:
        if s.get("Effect") != "Allow":
            continue
        everyone, principals = _principals(s)
        if everyone:
            principals = principals + ["*"]
            if not _limited(s):
                allows_public = True
        actions = _list(s.get("Action"))
        if any(_covers(actions, a) for a in KMS_ADMIN_MARKERS):
            admins.update(principals)
        if any(_covers(actions, a) for a in KMS_USE_MARKERS):
            users.update(principals)
    return {"admins": sorted(admins), "users": sorted(users),
            "admin_user_overlap": sorted(admins & users), "allows_public": allows_public,
            "cross_account_principals": _cross_accounts(stmts, owner_account) if owner_account else []}


def trust_policy_facts(doc, owner_account: str | None) -> dict:
    """Who may assume a role (aws.iam_role), from its trust policy (JSON, URL-encoded JSON or parsed)."""
    from urllib.parse import unquote
    if isinstance(doc, str):
        doc = json.loads(unquote(doc))
    accounts, services = set(), set()
    ext_id = mfa = True
    any_external = False
    for s in _statements(doc or {}):
        if s.get("Effect") != "Allow":
            continue
        p = s.get("Principal") or {}
        p = {"AWS": "*"} if p == "*" else p
        services.update(str(x) for x in _list(p.get("Service")))
        cond = _conditions(s)
        keys = {k for body in cond.values() for k in body}
        for who in _list(p.get("AWS")):
            acct = "*" if who == "*" else _account_of(str(who))
            if acct and acct != owner_account:
                accounts.add(acct)
                any_external = True
                ext_id = ext_id and "sts:externalid" in keys
                mfa = mfa and "aws:multifactorauthpresent" in keys
    return {"trusted_accounts": sorted(accounts), "trusted_services": sorted(services),
            "requires_external_id": any_external and ext_id, "requires_mfa": any_external and mfa}
