"""aws.s3_bucket from a bucket and its separate sub-resources, joined by bucket id (or by
the property dependency on the bucket's URN when the id is not known yet). A sub-resource
that cannot be joined makes its property unknown on every bucket that lacks one.

The program's inputs are converted to the S3 API's answers (`api_responses`) and the one
derivation in sources/normalise/aws/s3_bucket.py makes the properties, as for a live
bucket. What the program does not declare answers as AWS does for a new bucket (SSE-S3,
BucketOwnerEnforced, no versioning, ...)."""

from __future__ import annotations

from collections import defaultdict

from enamel_hipaa.core.model import Resource, unknown
from enamel_hipaa.sources.normalise.aws import policy as awspolicy
from enamel_hipaa.sources.normalise.aws import s3_bucket
from enamel_hipaa.sources.normalise.values import g
from enamel_hipaa.sources.pulumi.plan import Plan, _index, _prop, _tags, contains_sentinel, is_marker, need

PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
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


_SPELLING = {
    "kmsMasterKeyId": "KMSMasterKeyID",
    "sseAlgorithm": "SSEAlgorithm",
    "replicaKmsKeyId": "ReplicaKmsKeyID",
    "id": "ID",
    "mfaDelete": "MFADelete",
    "uri": "URI",
}
SSE_S3 = {
    "ServerSideEncryptionConfiguration": {
        "Rules": [  # AWS encrypts every new bucket (January 2023)
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}
        ]
    }
}
OWNER_ENFORCED = {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}  # since April 2023
PROP_OPS = {
    "encryption": "GetBucketEncryption",
    "versioning": "GetBucketVersioning",
    "public_access_block": "GetPublicAccessBlock",
    "ownership": "GetBucketOwnershipControls",
    "acl": "GetBucketAcl",
    "policy": "GetBucketPolicy",
    "logging": "GetBucketLogging",
    "object_lock": "GetObjectLockConfiguration",
    "lifecycle": "GetBucketLifecycleConfiguration",
    "replication": "GetBucketReplication",
}


def api_spelling(v):
    """Pulumi's camelCase inputs in the S3 API's PascalCase (markers kept as they are)."""
    if is_marker(v):
        return v
    if isinstance(v, dict):
        return {_SPELLING.get(k, k[:1].upper() + k[1:]): api_spelling(x) for k, x in v.items()}
    if isinstance(v, list):
        return [api_spelling(x) for x in v]
    return v


def _without_bucket(sub: dict) -> dict:
    return {k: v for k, v in sub.items() if k not in ("bucket", "expectedBucketOwner", "region", "urn", "id")}


def _encryption(sub, bucket):
    if sub is None:
        inline = need(bucket.get("serverSideEncryptionConfiguration"))  # the bucket's deprecated inline form
        if not inline:
            return SSE_S3
        sub = {"rules": [inline.get("rule")]}
    return {"ServerSideEncryptionConfiguration": {"Rules": api_spelling(sub.get("rules"))}}


def _versioning(sub, bucket):
    if sub is None:
        inline = bucket.get("versioning")
        if isinstance(inline, dict) and "enabled" in inline:
            return {
                "Status": "Enabled" if need(inline["enabled"]) else "Suspended",
                "MFADelete": "Enabled" if need(inline.get("mfaDelete", False)) else "Disabled",
            }
        return {"Status": "Enabled"} if need(bucket.get("objectLockEnabled", False)) else {}
    return api_spelling(need(sub.get("versioningConfiguration")) or {})


def _public_access_block(sub, _):
    return (
        s3_bucket.NOT_FOUND if sub is None else {"PublicAccessBlockConfiguration": api_spelling(_without_bucket(sub))}
    )


def _ownership(sub, _):
    return OWNER_ENFORCED if sub is None else {"OwnershipControls": {"Rules": [api_spelling(sub.get("rule"))]}}


def _acl(sub, bucket):
    canned = need((sub or {}).get("acl") or bucket.get("acl"))
    grants = [
        {"Grantee": {"URI": PUBLIC_GRANTEES[1 if canned == "authenticated-read" else 0]}, "Permission": p}
        for p in CANNED_PUBLIC.get(canned, [])
    ]
    grants += api_spelling(need(g(sub or {}, "accessControlPolicy", "grants", default=[])) or [])
    return {"Grants": grants}


def _policy(sub, bucket):
    doc = need(sub.get("policy") if sub is not None else bucket.get("policy"))
    if doc in (None, ""):
        return s3_bucket.NOT_FOUND
    try:
        if contains_sentinel(awspolicy.load_document(doc)):
            return unknown("policy contains values computed at deploy time")
    except ValueError:
        pass  # unreadable: the normaliser reports it
    return {"Policy": doc}


def _logging(sub, bucket):
    if sub is None:
        sub = need(bucket.get("logging"))  # the bucket's deprecated inline form
    return {"LoggingEnabled": api_spelling(_without_bucket(sub))} if sub else {}


def _object_lock(sub, bucket):
    locked = need(bucket.get("objectLockEnabled", False))
    if sub is None:
        return {"ObjectLockConfiguration": {"ObjectLockEnabled": "Enabled"}} if locked else s3_bucket.NOT_FOUND
    cfg = {"ObjectLockEnabled": "Enabled" if locked else need(sub.get("objectLockEnabled", "Enabled"))}
    if sub.get("rule") is not None:
        cfg["Rule"] = api_spelling(sub["rule"])
    return {"ObjectLockConfiguration": cfg}


def _lifecycle(sub, _):
    return s3_bucket.NOT_FOUND if sub is None else {"Rules": api_spelling(sub.get("rules"))}


def _replication(subs, _):
    if not subs:
        return s3_bucket.NOT_FOUND
    return {
        "ReplicationConfiguration": {"Rules": [r for sub in subs for r in api_spelling(need(sub.get("rules")) or [])]}
    }


BUILDS = {
    "encryption": _encryption,
    "versioning": _versioning,
    "public_access_block": _public_access_block,
    "ownership": _ownership,
    "acl": _acl,
    "policy": _policy,
    "logging": _logging,
    "object_lock": _object_lock,
    "lifecycle": _lifecycle,
}


def api_responses(bucket: dict, subs: dict, unjoined: dict) -> dict:
    """The S3 API's answers for a planned bucket (s3_bucket's input contract) from the
    bucket's props and its joined sub-resources' props ({property: [props, ...]})."""
    tags = _tags(bucket)
    api = {
        "GetBucketTagging": tags if is_marker(tags) else {"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
    }
    for key, op in PROP_OPS.items():
        found = subs.get(key, [])
        if not found and key in unjoined:
            api[op] = unjoined[key]
        elif key == "replication":
            api[op] = _prop(_replication, found, bucket)
        else:
            api[op] = _prop(BUILDS[key], found[-1] if found else None, bucket)
    return api


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
            props = {
                "arn": arn,
                **s3_bucket.properties(
                    api_responses(p, subs, self.unjoined), plan.account, region_of=self.region_of_arn
                ),
            }
            out.append(plan.resource("aws.s3_bucket", rec, name, name, props))
        return out
