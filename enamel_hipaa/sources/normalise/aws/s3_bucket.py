"""aws.s3_bucket: the one derivation of a bucket's Enamel properties, from the S3 API's own
responses. The live collector feeds it what boto3 returns; the Pulumi plan converts the
program's inputs to these shapes (sources/pulumi/s3.py); Terraform plans and CloudFormation
templates are to do the same.

Input contract: `api` maps an S3 operation name to its response, shaped as boto3 returns it
(PascalCase keys, no ResponseMetadata):

  GetBucketEncryption              {"ServerSideEncryptionConfiguration": {"Rules": [
                                     {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm",
                                      "KMSMasterKeyID"?}, "BucketKeyEnabled"?}]}}
  GetBucketVersioning              {"Status"?: "Enabled"|"Suspended", "MFADelete"?: "Enabled"|"Disabled"}
  GetPublicAccessBlock             {"PublicAccessBlockConfiguration": {"BlockPublicAcls", ...}}
  GetBucketOwnershipControls       {"OwnershipControls": {"Rules": [{"ObjectOwnership"}]}}
  GetBucketAcl                     {"Grants": [{"Grantee": {"URI"?}, "Permission"}]}
  GetBucketPolicy                  {"Policy": "<policy JSON text>"}
  GetBucketLogging                 {"LoggingEnabled"?: {"TargetBucket", "TargetPrefix"}}
  GetObjectLockConfiguration       {"ObjectLockConfiguration": {"ObjectLockEnabled"?, "Rule"?:
                                     {"DefaultRetention": {"Mode", "Days"? | "Years"?}}}}
  GetBucketLifecycleConfiguration  {"Rules": [{"Status", "Transitions"?, "NoncurrentVersionTransitions"?, ...}]}
  GetBucketReplication             {"ReplicationConfiguration": {"Rules": [{"Status", "Destination":
                                     {"Bucket", "Account"?, "StorageClass"?, "EncryptionConfiguration"?}}]}}
  GetBucketTagging                 {"TagSet": [{"Key", "Value"}]}

Each response may instead be NOT_FOUND (None: AWS answered that the configuration does not
exist, which has a documented meaning) or a marker ({"$error": why} when the read failed,
{"$unknown": why} when a plan cannot know it): the property becomes that marker. Any value
inside a response may be a marker too. A response may be left out (not read) only where it
cannot matter: GetBucketAcl when ownership is BucketOwnerEnforced (`needs_acl`), Object Lock
and replication when versioning was never enabled (`needs_lock_and_replication`, since both
require it); anywhere else a missing response is an $error."""

from __future__ import annotations

from enamel_hipaa.sources.normalise.aws import policy as awspolicy
from enamel_hipaa.sources.normalise.aws.kms_key import aws_managed_key_ref
from enamel_hipaa.sources.normalise.values import NOT_FOUND, g, is_marker, need, not_read, parsed, prop

OPERATIONS = (
    "GetBucketEncryption",
    "GetBucketVersioning",
    "GetPublicAccessBlock",
    "GetBucketOwnershipControls",
    "GetBucketAcl",
    "GetBucketPolicy",
    "GetBucketLogging",
    "GetObjectLockConfiguration",
    "GetBucketLifecycleConfiguration",
    "GetBucketReplication",
    "GetBucketTagging",
)
# the error codes with which each read says "not configured" (-> NOT_FOUND)
NOT_FOUND_CODES = {
    "GetBucketEncryption": "ServerSideEncryptionConfigurationNotFoundError",
    "GetPublicAccessBlock": "NoSuchPublicAccessBlockConfiguration",
    "GetBucketOwnershipControls": "OwnershipControlsNotFoundError",
    "GetBucketPolicy": "NoSuchBucketPolicy",
    "GetBucketLifecycleConfiguration": "NoSuchLifecycleConfiguration",
    "GetObjectLockConfiguration": "ObjectLockConfigurationNotFoundError",
    "GetBucketReplication": "ReplicationConfigurationNotFoundError",
    "GetBucketTagging": "NoSuchTagSet",
}
PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
ARCHIVE_CLASSES = {"GLACIER", "GLACIER_IR", "DEEP_ARCHIVE", "INTELLIGENT_TIERING"}
PAB_KEYS = (
    ("BlockPublicAcls", "block_public_acls"),
    ("IgnorePublicAcls", "ignore_public_acls"),
    ("BlockPublicPolicy", "block_public_policy"),
    ("RestrictPublicBuckets", "restrict_public_buckets"),
)
NO_SSE = {"sse_algorithm": "none", "kms_key_id": None, "kms_key_managed_by": "none", "bucket_key_enabled": False}
NO_LOCK = {"enabled": False, "mode": None, "retention_days": None}
NO_REPLICATION = {"enabled": False, "destinations": []}
NO_LIFECYCLE = {"enabled": False, "archive_transition": False, "rules": 0}
_ABSENT = object()


def needs_acl(ownership_response) -> bool:
    """Whether GetBucketAcl can matter: not when BucketOwnerEnforced disables ACLs. A failed
    ownership read proves nothing: the ACL is read (and judged on its own)."""
    return prop(_ownership, ownership_response) != {"object_ownership": "BucketOwnerEnforced"}


def needs_lock_and_replication(versioning_response) -> bool:
    """Whether Object Lock / replication reads can matter: both need versioning enabled, so
    a bucket whose versioning was never enabled (GetBucketVersioning answers no Status) has
    neither. Suspended versioning was enabled once: both are read. A failed versioning read:
    not read, and both properties become that read's $error (see `properties`)."""
    v = prop(_versioning, versioning_response)
    return not is_marker(v) and v["status"] != "Disabled"


def properties(api: dict, account: str | None, region_of=lambda bucket_arn: None) -> dict:
    """Enamel's aws.s3_bucket properties (all but `arn`) from `api` (see the module doc).
    `region_of(bucket ARN)` names the region of a replication destination (None: unknown)."""

    def get(op):
        return api.get(op, _ABSENT)

    def required(op):
        r = get(op)
        return not_read(op) if r is _ABSENT else r

    ownership = prop(_ownership, required("GetBucketOwnershipControls"))
    versioning = prop(_versioning, required("GetBucketVersioning"))
    props = {
        "tags": prop(tags, required("GetBucketTagging")),
        "encryption": prop(_encryption, required("GetBucketEncryption")),
        "versioning": versioning,
        "public_access_block": prop(public_access_block, required("GetPublicAccessBlock")),
        "ownership": ownership,
    }
    if ownership == {"object_ownership": "BucketOwnerEnforced"} and get("GetBucketAcl") is _ABSENT:
        # ACLs are disabled: AWS ignores every grant (the live scan skips the read). A source
        # that does declare grants (a plan asking for public-read) is judged on them: AWS
        # would refuse that ACL, and the intent to publish is what the gate must catch.
        props["acl"] = {"public_grants": []}
    else:
        props["acl"] = prop(_acl, required("GetBucketAcl"))
    props["policy"] = prop(_policy, required("GetBucketPolicy"), account)
    props["logging"] = prop(_logging, required("GetBucketLogging"))
    props["lifecycle"] = prop(_lifecycle, required("GetBucketLifecycleConfiguration"))
    for key, op, build, off in (
        ("object_lock", "GetObjectLockConfiguration", _object_lock, NO_LOCK),
        ("replication", "GetBucketReplication", _replication, NO_REPLICATION),
    ):
        resp = get(op)
        if resp is _ABSENT and is_marker(versioning):
            props[key] = versioning  # cannot tell whether it exists
        elif resp is _ABSENT and versioning["status"] == "Disabled":
            props[key] = dict(off)
        elif resp is _ABSENT:
            props[key] = not_read(op)
        else:
            props[key] = prop(build, resp, account, region_of) if key == "replication" else prop(build, resp)
    return props


def tags(resp):
    if resp is NOT_FOUND:
        return {}
    out = {}
    for t in need(need(resp).get("TagSet")) or []:
        k, v = need(t.get("Key")), need(t.get("Value"))
        if isinstance(k, str):
            out[k] = "" if v is None else str(v)
    return out


def _encryption(resp):
    if resp is NOT_FOUND:
        return dict(NO_SSE)
    rules = need(g(need(resp), "ServerSideEncryptionConfiguration", "Rules")) or []
    if not rules:
        return dict(NO_SSE)
    rule = need(rules[0]) or {}
    default = need(rule.get("ApplyServerSideEncryptionByDefault")) or {}
    alg = need(default.get("SSEAlgorithm")) or "none"
    key = default.get("KMSMasterKeyID")
    if str(alg).startswith("aws:kms"):
        managed = key if is_marker(key) else ("aws" if not key or aws_managed_key_ref(key) else "customer")
    else:
        managed = "aws" if alg == "AES256" else "none"  # SSE-S3 keys are owned and managed by AWS
    return {
        "sse_algorithm": alg,
        "kms_key_id": key,
        "kms_key_managed_by": managed,
        "bucket_key_enabled": bool(need(rule.get("BucketKeyEnabled", False))),
    }


def _versioning(resp):
    if resp is NOT_FOUND:
        return {"status": "Disabled", "mfa_delete": False}
    resp = need(resp)
    return {"status": need(resp.get("Status")) or "Disabled", "mfa_delete": need(resp.get("MFADelete")) == "Enabled"}


def public_access_block(resp) -> dict:
    """The four flags of a GetPublicAccessBlock response (bucket or account); NOT_FOUND: all off."""
    if resp is NOT_FOUND:
        return {k: False for _, k in PAB_KEYS}
    cfg = need(need(resp).get("PublicAccessBlockConfiguration")) or {}
    return {k: bool(need(cfg.get(src, False))) for src, k in PAB_KEYS}


def _ownership(resp):
    if resp is NOT_FOUND:
        return {"object_ownership": "ObjectWriter"}  # no controls: the pre-2023 behaviour
    return {"object_ownership": need(g(need(resp), "OwnershipControls", "Rules", 0, "ObjectOwnership"))}


def _acl(resp):
    if resp is NOT_FOUND:
        return {"public_grants": []}
    grants = need(need(resp).get("Grants")) or []
    return {
        "public_grants": sorted(
            {need(gr.get("Permission")) for gr in grants if need(g(gr, "Grantee", "URI")) in PUBLIC_GROUPS}
        )
    }


def _policy(resp, account):
    doc = None if resp is NOT_FOUND else need(resp).get("Policy")
    return parsed(awspolicy.bucket_policy_facts, doc, account)


def _logging(resp):
    le = None if resp is NOT_FOUND else need(need(resp).get("LoggingEnabled"))
    if not le:
        return {"enabled": False, "target_bucket": None}
    return {"enabled": True, "target_bucket": need(le.get("TargetBucket"))}


def _lifecycle(resp):
    if resp is NOT_FOUND:
        return dict(NO_LIFECYCLE)
    rules = need(need(resp).get("Rules")) or []
    enabled = [r for r in rules if need(r.get("Status")) == "Enabled"]
    moves = [t for r in enabled for k in ("Transitions", "NoncurrentVersionTransitions") for t in need(r.get(k)) or []]
    return {
        "enabled": bool(enabled),
        "archive_transition": any(need(t.get("StorageClass")) in ARCHIVE_CLASSES for t in moves),
        "rules": len(rules),
    }


def _object_lock(resp):
    if resp is NOT_FOUND:
        return dict(NO_LOCK)
    cfg = need(need(resp).get("ObjectLockConfiguration")) or {}
    ret = need(g(cfg, "Rule", "DefaultRetention")) or {}
    days, years = need(ret.get("Days")), need(ret.get("Years"))
    if not days and years:  # Days is 1 or more when set (some emulators answer 0 for unset)
        days = int(years) * 365
    return {
        "enabled": need(cfg.get("ObjectLockEnabled")) == "Enabled",
        "mode": need(ret.get("Mode")),
        "retention_days": days or None,
    }


def _replication(resp, account, region_of):
    if resp is NOT_FOUND:
        return dict(NO_REPLICATION)
    dests = []
    for r in need(g(need(resp), "ReplicationConfiguration", "Rules")) or []:
        if need(r.get("Status")) != "Enabled":
            continue
        d = need(r.get("Destination")) or {}
        bucket = need(d.get("Bucket"))
        dests.append(
            {
                "bucket": bucket,
                "account": d.get("Account") or account,  # the owner's when unset
                "region": region_of(bucket) if isinstance(bucket, str) else None,
                "kms_key_id": g(d, "EncryptionConfiguration", "ReplicaKmsKeyID"),
                "storage_class": d.get("StorageClass"),
            }
        )
    return {"enabled": bool(dests), "destinations": dests}


__all__ = [
    "OPERATIONS",
    "NOT_FOUND",
    "NOT_FOUND_CODES",
    "needs_acl",
    "needs_lock_and_replication",
    "properties",
    "public_access_block",
    "tags",
]
