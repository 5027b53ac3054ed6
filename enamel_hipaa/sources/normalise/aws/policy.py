"""Facts about IAM policy documents (S3 bucket policies, KMS key policies), shared by every
source that reads AWS policies: the Pulumi plan gate and the live AWS collector read a
policy document the same way, so one rule serves both.

Plain functions over plain JSON (a dict, or the JSON text of one). Unparsable text raises
ValueError; callers turn that into an unknown or error value.
"""

from __future__ import annotations

import fnmatch
import json
import re

# condition keys that limit an Allow to Principal "*" to known callers (not public)
_LIMITING_KEYS = {
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:userid",
    "aws:sourceorgid",
    "aws:principalorgpaths",
    "kms:calleraccount",
    "kms:viaservice",
    "aws:sourceip",
}
# KMS actions: administering a key vs using it to protect data
KMS_ADMIN_ACTIONS = (
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:DeleteAlias",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:DeleteImportedKeyMaterial",
    "kms:ImportKeyMaterial",
)
KMS_USE_ACTIONS = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)
_ACCOUNT_RE = re.compile(r"^(?:arn:aws[a-z-]*:iam::)?(\d{12})(?::|$)")


def load_document(doc) -> dict | None:
    """A policy as a dict (None when there is no policy). Raises ValueError if unparsable."""
    if doc is None or doc == "":
        return None
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except json.JSONDecodeError as e:
            raise ValueError(f"policy is not JSON: {e.msg}") from None
    if not isinstance(doc, dict):
        raise ValueError("policy is not a JSON object")
    return doc


def statements(doc: dict) -> list[dict]:
    st = doc.get("Statement", [])
    st = [st] if isinstance(st, dict) else st
    if not isinstance(st, list):
        raise ValueError("Statement is neither an object nor a list")
    return [s for s in st if isinstance(s, dict)]


def _as_list(v) -> list:
    if v is None:
        return []
    return list(v) if isinstance(v, (list, tuple)) else [v]


def principals(stmt: dict) -> list[str]:
    """AWS and service principals of a statement ("*" for everyone)."""
    p = stmt.get("Principal")
    if p is None:
        return []
    if p == "*":
        return ["*"]
    if isinstance(p, dict):
        out = []
        for kind in ("AWS", "Service", "Federated", "CanonicalUser"):
            out.extend(str(x) for x in _as_list(p.get(kind)))
        return out
    return [str(x) for x in _as_list(p)]


def _conditions(stmt: dict) -> dict[str, dict[str, list]]:
    """{operator: {lower-case key: [values]}}"""
    out: dict[str, dict[str, list]] = {}
    for op, block in (stmt.get("Condition") or {}).items():
        if isinstance(block, dict):
            out[op] = {str(k).lower(): [str(v) for v in _as_list(val)] for k, val in block.items()}
    return out


def _actions_match(stmt: dict, wanted) -> bool:
    pats = [str(a).lower() for a in _as_list(stmt.get("Action"))]
    return any(fnmatch.fnmatchcase(w.lower(), p) for p in pats for w in wanted)


def account_of(principal: str) -> str | None:
    m = _ACCOUNT_RE.match(principal)
    return m.group(1) if m else None


# condition keys that never limit who the caller is (an Allow to "*" with only these is public)
_NON_LIMITING_KEYS = {
    "aws:referer",
    "aws:securetransport",
    "aws:useragent",
    "aws:currenttime",
    "aws:epochtime",
    "aws:requestedregion",
    "s3:prefix",
    "s3:delimiter",
    "s3:max-keys",
    "s3:tlsversion",
    "s3:signatureversion",
    "s3:authtype",
    "s3:x-amz-acl",
    "s3:x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "kms:encryptioncontexttype",
}
# operators whose match on a limiting key pins the caller to the listed values
_EXACT_OPERATORS = {"stringequals", "stringequalsignorecase", "arnequals", "arnlike", "ipaddress", "stringlike"}
UNDECIDED = "policy has conditions Enamel does not model: "


def _statement_verdict(stmt: dict) -> tuple[bool | None, str]:
    """(True public | False not public | None undecidable, why) for an Allow statement that
    names every principal ("*") or uses NotPrincipal."""
    if "NotPrincipal" in stmt:
        return None, "an Allow with NotPrincipal"
    cond = stmt.get("Condition")
    if not cond:
        return True, ""
    if not isinstance(cond, dict):
        return None, "a Condition that is not an object"
    unmodelled = []
    for op, block in cond.items():
        if not isinstance(block, dict):
            return None, f"condition operator {op} without keys"
        low = str(op).lower()
        for key, vals in block.items():
            k = str(key).lower()
            values = [str(v) for v in _as_list(vals)]
            if k in _NON_LIMITING_KEYS and not low.startswith(("forallvalues:", "foranyvalue:")):
                continue  # known not to limit who calls: leaves the verdict to the other keys
            if k in _LIMITING_KEYS and _pins(low, k, values):
                return False, ""  # conditions are ANDed: one that pins the caller limits the statement
            unmodelled.append(f"{op} {key}")
    if unmodelled:
        return None, ", ".join(unmodelled)
    return True, ""


def _pins(op: str, key: str, values: list[str]) -> bool:
    """Whether `op key values` restricts callers to fixed values (no IfExists, no set
    operator, no wildcard or policy variable, no world-wide CIDR)."""
    if op not in _EXACT_OPERATORS or not values:
        return False
    for v in values:
        if "${" in v or (op in ("stringlike", "arnlike") and ("*" in v or "?" in v)):
            return False
        if key == "aws:sourceip" and (op != "ipaddress" or not _narrow_cidr(v)):
            return False
    return True


def _narrow_cidr(v: str) -> bool:
    """A CIDR no wider than /8 (IPv4) or /32 (IPv6): AWS's own bound for a non-public source."""
    import ipaddress

    try:
        net = ipaddress.ip_network(v, strict=False)
    except ValueError:
        return False
    return net.prefixlen >= (8 if net.version == 4 else 32)


def public_verdict(sts: list[dict]) -> tuple[bool | None, str]:
    """(True, "") when an Allow grants every principal without a condition that pins the
    caller, (False, "") when none does, (None, why) when some Allow's conditions are beyond
    Enamel's model: AWS must decide (GetBucketPolicyStatus, IAM Access Analyzer)."""
    undecided = []
    for s in sts:
        if s.get("Effect") != "Allow" or ("*" not in principals(s) and "NotPrincipal" not in s):
            continue
        verdict, why = _statement_verdict(s)
        if verdict is True:
            return True, ""
        if verdict is None:
            undecided.append(why)
    return (None, UNDECIDED + "; ".join(undecided)) if undecided else (False, "")


def _allows_public(sts: list[dict]):
    """allows_public: a boolean, or {"$unknown": UNDECIDED...} for AWS to decide."""
    verdict, why = public_verdict(sts)
    return {"$unknown": why} if verdict is None else verdict


def is_undecided(value) -> bool:
    """Whether an allows_public value is the marker AWS must replace."""
    return isinstance(value, dict) and str(value.get("$unknown", "")).startswith(UNDECIDED)


def _cross_accounts(sts: list[dict], owner_account: str | None) -> list[str]:
    found = []
    for s in sts:
        if s.get("Effect") != "Allow":
            continue
        for p in principals(s):
            acct = account_of(p)
            if acct and acct != owner_account and acct not in found:
                found.append(acct)
    return sorted(found)


def _covers_bucket_and_objects(stmt: dict) -> bool:
    """A Deny protects the archive only if it names the bucket AND its objects (or "*")."""
    res = [str(r) for r in _as_list(stmt.get("Resource"))]
    if "*" in res:
        return True
    bucket = any(r.startswith("arn:") and "/" not in r.split(":::", 1)[-1] for r in res)
    objects = any(r.endswith("/*") for r in res)
    return bucket and objects


def _tls_version(v: str) -> str:
    try:
        return f"{float(v):.1f}"
    except ValueError:
        return v


def bucket_policy_facts(doc, owner_account: str | None) -> dict:
    """The `policy` object of aws.s3_bucket from a bucket policy document (or None).

    denies_insecure_transport: a Deny to everyone on s3 actions with Bool/BoolIfExists
    aws:SecureTransport = false. min_tls_version: the highest NumericLessThan s3:TlsVersion
    in a Deny to everyone (None if none). allows_public: an Allow to Principal * without a
    limiting condition (source account/ARN/VPC/org...). cross_account_principals: 12-digit
    account ids other than owner_account named by an Allow."""
    d = load_document(doc)
    if d is None:
        return {
            "present": False,
            "denies_insecure_transport": False,
            "min_tls_version": None,
            "allows_public": False,
            "cross_account_principals": [],
        }
    sts = statements(d)
    denies, tls = False, None
    for s in sts:
        if (
            s.get("Effect") != "Deny"
            or "*" not in principals(s)
            or not _actions_match(s, ["s3:GetObject", "s3:PutObject"])
            or not _covers_bucket_and_objects(s)
        ):
            continue
        cond = _conditions(s)
        for op in ("Bool", "BoolIfExists"):
            if [v.lower() for v in cond.get(op, {}).get("aws:securetransport", [])] == ["false"]:
                denies = True
        for v in cond.get("NumericLessThan", {}).get("s3:tlsversion", []):
            v = _tls_version(v)
            if tls is None or float(v) > float(tls):
                tls = v
    return {
        "present": True,
        "denies_insecure_transport": denies,
        "min_tls_version": tls,
        "allows_public": _allows_public(sts),
        "cross_account_principals": _cross_accounts(sts, owner_account),
    }


def default_key_policy(account: str) -> dict:
    """The policy AWS attaches to a key created without one: the account root gets kms:*."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }


def key_policy_facts(doc, owner_account: str | None = None) -> dict:
    """The `policy` object of aws.kms_key from a key policy document.

    admins: principals an Allow grants any key-administration action (kms:Put*, kms:Schedule-
    KeyDeletion, kms:*, ...); users: principals granted a data action (kms:Decrypt, Encrypt,
    GenerateDataKey*, ReEncrypt*); admin_user_overlap: principals in both (sorted).
    Principal "*" counts as public unless a condition limits it."""
    d = load_document(doc)
    sts = statements(d) if d else []
    admins: list[str] = []
    users: list[str] = []
    for s in sts:
        if s.get("Effect") != "Allow":
            continue
        ps = [p for p in principals(s) if p != "*"]
        if _actions_match(s, KMS_ADMIN_ACTIONS):
            admins.extend(p for p in ps if p not in admins)
        if _actions_match(s, KMS_USE_ACTIONS):
            users.extend(p for p in ps if p not in users)
    return {
        "admins": sorted(admins),
        "users": sorted(users),
        "admin_user_overlap": sorted(set(admins) & set(users)),
        "allows_public": _allows_public(sts),
        "cross_account_principals": _cross_accounts(sts, owner_account),
    }


def vpc_endpoint_policy_facts(doc) -> dict:
    """Which S3 resources an endpoint policy allows: {"allows_all": bool, "resources": [...]}.
    allows_all when there is no policy (AWS's default is full access) or an Allow names "*"
    or arn:aws:s3:::* as its resource."""
    d = load_document(doc)
    if d is None:
        return {"allows_all": True, "resources": ["*"]}
    res: list[str] = []
    for s in statements(d):
        if s.get("Effect") == "Allow":
            res.extend(str(r) for r in _as_list(s.get("Resource")) if str(r) not in res)
    allows_all = any(r in ("*", "arn:aws:s3:::*", "arn:aws:s3:::*/*") for r in res)
    return {"allows_all": allows_all, "resources": sorted(res)}


def trust_policy_facts(doc, owner_account: str | None) -> dict:
    """Facts of aws.iam_role from its trust (assume-role) policy: trusted_accounts (account
    ids other than owner_account an Allow names), trusted_services, requires_external_id
    (every Allow to an AWS principal conditions on sts:ExternalId), requires_mfa (every Allow
    to an AWS principal requires aws:MultiFactorAuthPresent true or an aws:MultiFactorAuthAge)."""
    d = load_document(doc)
    sts = [s for s in (statements(d) if d else []) if s.get("Effect") == "Allow"]
    services = sorted(
        {
            str(x)
            for s in sts
            for x in _as_list((s.get("Principal") or {}).get("Service"))
            if isinstance(s.get("Principal"), dict)
        }
    )
    aws_stmts = [
        s
        for s in sts
        if s.get("Principal") == "*" or (isinstance(s.get("Principal"), dict) and s["Principal"].get("AWS"))
    ]

    def has(s, key, value=None):
        for block in _conditions(s).values():
            if key in block and (value is None or [v.lower() for v in block[key]] == [value]):
                return True
        return False

    trusted = _cross_accounts(sts, owner_account)
    if any("*" in principals(s) for s in aws_stmts):
        trusted = ["*", *trusted]  # anyone with an AWS account: the worst case, never dropped
    return {
        "trusted_accounts": trusted,
        "trusted_services": services,
        "requires_external_id": bool(aws_stmts) and all(has(s, "sts:externalid") for s in aws_stmts),
        "requires_mfa": bool(aws_stmts)
        and all(has(s, "aws:multifactorauthpresent", "true") or has(s, "aws:multifactorauthage") for s in aws_stmts),
    }
