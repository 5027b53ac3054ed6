"""aws.s3_bucket from a bucket and its separate sub-resources, joined by bucket id (or by
the property dependency on the bucket's URN when the id is not known yet). A sub-resource
that cannot be joined makes its property unknown on every bucket that lacks one."""
from __future__ import annotations

from collections import defaultdict

from enamel_hipaa.sources.normalise.aws import policy as awspolicy
from enamel_hipaa.core.model import Resource, unknown
from enamel_hipaa.sources.pulumi.plan import Plan, _index, _prop, _tags, g, is_marker, need, policy_facts

ARCHIVE_CLASSES = {"GLACIER", "GLACIER_IR", "DEEP_ARCHIVE", "INTELLIGENT_TIERING"}
PUBLIC_GRANTEES = ("http://acs.amazonaws.com/groups/global/AllUsers",
                   "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
CANNED_PUBLIC = {"public-read": ["READ"], "public-read-write": ["READ", "WRITE"], "authenticated-read": ["READ"]}
BUCKET_SUBS = {  # canonical sub-resource type -> the bucket property it fills
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "encryption",
    "aws:s3/bucketVersioning:BucketVersioning": "versioning",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "public_access_block",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "ownership",
    "aws:s3/bucketAcl:BucketAcl": "acl",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:s3/bucketLogging:BucketLogging": "logging",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": "object_lock",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "lifecycle",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": "replication",
}
BUCKET = "aws:s3/bucket:Bucket"


def _encryption(sub, bucket):
    if sub is None:
        inline = need(bucket.get("serverSideEncryptionConfiguration"))  # the bucket's deprecated inline form
        if not inline:
            return {"sse_algorithm": "AES256", "kms_key_id": None, "kms_key_managed_by": "none",
                    "bucket_key_enabled": False}
        sub = {"rules": [need(inline.get("rule"))]}
    rule = need(g(need(sub.get("rules")), 0)) or {}
    default = need(g(rule, "applyServerSideEncryptionByDefault")) or {}
    alg = need(default.get("sseAlgorithm"))
    key = default.get("kmsMasterKeyId")
    if alg == "AES256":
        managed = "none"
    elif is_marker(key):
        managed = key
    else:
        managed = "aws" if key is None or str(key).startswith("alias/aws/") else "customer"
    return {"sse_algorithm": alg, "kms_key_id": key, "kms_key_managed_by": managed,
            "bucket_key_enabled": bool(need(rule.get("bucketKeyEnabled", False)))}


def _versioning(sub, bucket):
    if sub is None:
        inline = bucket.get("versioning")
        if isinstance(inline, dict) and "enabled" in inline:
            return {"status": "Enabled" if need(inline["enabled"]) else "Suspended",
                    "mfa_delete": bool(need(inline.get("mfaDelete", False)))}
        locked = need(bucket.get("objectLockEnabled", False))
        return {"status": "Enabled" if locked else "Disabled", "mfa_delete": False}
    conf = need(sub.get("versioningConfiguration")) or {}
    return {"status": need(conf.get("status", "Disabled")), "mfa_delete": need(conf.get("mfaDelete", "Disabled")) == "Enabled"}


def _object_lock(sub, bucket):
    enabled = bool(need(bucket.get("objectLockEnabled", False)))
    if sub is None:
        return {"enabled": enabled, "mode": None, "retention_days": None}
    enabled = enabled or need(sub.get("objectLockEnabled", "Enabled")) == "Enabled"
    ret = need(g(sub, "rule", "defaultRetention")) or {}
    days, years = need(ret.get("days")), need(ret.get("years"))
    return {"enabled": enabled, "mode": need(ret.get("mode")),
            "retention_days": days if days is not None else (years * 365 if years is not None else None)}


def _public_access_block(sub, _):
    keys = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")
    names = ("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets")
    return {n: bool(need(sub.get(k, False))) if sub else False for n, k in zip(names, keys)}


def _ownership(sub, _):
    if sub is None:
        return {"object_ownership": "BucketOwnerEnforced"}  # the default for new buckets since April 2023
    return {"object_ownership": need(g(sub, "rule", "objectOwnership"))}


def _acl(sub, bucket):
    grants: list[str] = []
    canned = (sub or {}).get("acl") or bucket.get("acl")
    grants.extend(CANNED_PUBLIC.get(need(canned), []) if canned else [])
    for gr in need(g(sub or {}, "accessControlPolicy", "grants", default=[])) or []:
        if need(g(gr, "grantee", "uri")) in PUBLIC_GRANTEES:
            perm = need(gr.get("permission"))
            if perm not in grants:
                grants.append(perm)
    return {"public_grants": grants}


def _logging(sub, bucket):
    if sub is None:
        sub = need(bucket.get("logging"))  # the bucket's deprecated inline form
    if not sub:
        return {"enabled": False, "target_bucket": None}
    return {"enabled": True, "target_bucket": need(sub.get("targetBucket"))}


def _lifecycle(sub, _):
    if sub is None:
        return {"enabled": False, "archive_transition": False, "rules": 0}
    rules = need(sub.get("rules")) or []
    enabled = [r for r in rules if need(r.get("status")) == "Enabled"]
    archive = any(need(t.get("storageClass")) in ARCHIVE_CLASSES
                  for r in enabled for t in (need(r.get("transitions")) or []))
    return {"enabled": bool(enabled), "archive_transition": archive, "rules": len(rules)}


class Buckets:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.buckets = plan.by_type.get(BUCKET, [])
        self.index = _index(self.buckets, "bucket", "arn")
        self.subs: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
        self.unjoined: dict[str, dict] = {}
        for ctype, prop in BUCKET_SUBS.items():
            for sub in plan.by_type.get(ctype, []):
                target = plan.ref(sub, "bucket", self.index)
                if target is None:
                    continue  # a bucket this program does not manage
                if is_marker(target):
                    self.unjoined[prop] = unknown(f"a {ctype.rsplit(':', 1)[-1]} for a bucket not known until deploy")
                    continue
                self.subs[target["urn"]][prop].append(sub["props"])

    def region_of_arn(self, arn):
        rec = self.index.get(arn) if isinstance(arn, str) else None
        return self.plan.region_of(rec) if rec else None

    def _replication(self, subs, _):
        if not subs:
            return {"enabled": False, "destinations": []}
        dests, enabled = [], False
        for sub in subs:
            for rule in need(sub.get("rules")) or []:
                if need(rule.get("status")) != "Enabled":
                    continue
                enabled = True
                d = need(rule.get("destination")) or {}
                arn = need(d.get("bucket"))
                dests.append({"bucket": arn, "account": d.get("account") or self.plan.account,  # live: owner when unset
                              "region": self.region_of_arn(arn),
                              "kms_key_id": g(d, "encryptionConfiguration", "replicaKmsKeyId"),
                              "storage_class": d.get("storageClass")})
        return {"enabled": enabled, "destinations": dests}

    def resources(self) -> list[Resource]:
        plan, out = self.plan, []
        for rec in self.buckets:
            p = rec["props"]
            name = p.get("bucket") if isinstance(p.get("bucket"), str) else (rec.get("id") or rec["name"])
            subs = self.subs[rec["urn"]]
            arn = p.get("arn")
            if not isinstance(arn, str) and not is_marker(arn):
                known_name = isinstance(p.get("bucket"), str) or rec.get("id")
                arn = f"arn:aws:s3:::{name}" if known_name else unknown("bucket name not known until deploy")
            props = {"arn": arn, "tags": _tags(p)}
            for prop, build in (("encryption", _encryption), ("versioning", _versioning),
                                ("object_lock", _object_lock), ("public_access_block", _public_access_block),
                                ("ownership", _ownership), ("acl", _acl), ("logging", _logging),
                                ("lifecycle", _lifecycle)):
                found = subs.get(prop, [])
                if not found and prop in self.unjoined:
                    props[prop] = self.unjoined[prop]
                    continue
                props[prop] = _prop(build, found[-1] if found else None, p)
            if not subs.get("policy") and "policy" in self.unjoined:
                props["policy"] = self.unjoined["policy"]
            else:
                doc = subs["policy"][-1].get("policy") if subs.get("policy") else p.get("policy")
                props["policy"] = _prop(policy_facts, doc, awspolicy.bucket_policy_facts, plan.account)
            if not subs.get("replication") and "replication" in self.unjoined:
                props["replication"] = self.unjoined["replication"]
            else:
                props["replication"] = _prop(self._replication, subs.get("replication", []), p)
            out.append(plan.resource("aws.s3_bucket", rec, name, name, props))
        return out
