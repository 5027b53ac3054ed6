"""S3 buckets (aws.s3_bucket) and the account-level public access block (aws.s3_account).

Calls per bucket are kept low: tags come from one Resource Groups Tagging API listing per
region, bucket regions from ListBuckets, and calls that cannot matter are skipped (no ACL
read when ACLs are disabled by BucketOwnerEnforced; no Object Lock or replication read when
versioning was never enabled, since both require it)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from enamel_hipaa.sources.normalise.aws import policy as awspolicy
from enamel_hipaa.core.model import error_value
from enamel_hipaa.sources.aws.base import Out, describe_failure, error_code, is_error, listed, paginate, read, resource

SERVICE = "s3"
GLOBAL = True
TYPES = ("aws.s3_bucket", "aws.s3_account")
ACTIONS = (
    "s3:ListAllMyBuckets", "s3:GetBucketLocation", "tag:GetResources",
    "s3:GetEncryptionConfiguration", "s3:GetBucketVersioning", "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketPublicAccessBlock", "s3:GetBucketOwnershipControls", "s3:GetBucketAcl",
    "s3:GetBucketPolicy", "s3:GetBucketLogging", "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration", "s3:GetAccountPublicAccessBlock",
)
# called only when ListBuckets does not say where a bucket lives
CONDITIONAL = {"s3:GetBucketLocation": "ListBuckets without BucketRegion"}
BUCKET_WORKERS = 8
PUBLIC_GROUPS = ("http://acs.amazonaws.com/groups/global/AllUsers",
                 "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
ARCHIVE_CLASSES = {"GLACIER", "GLACIER_IR", "DEEP_ARCHIVE", "INTELLIGENT_TIERING"}
PAB_KEYS = (("BlockPublicAcls", "block_public_acls"), ("IgnorePublicAcls", "ignore_public_acls"),
            ("BlockPublicPolicy", "block_public_policy"), ("RestrictPublicBuckets", "restrict_public_buckets"))
NO_PAB = {k: False for _, k in PAB_KEYS}


def collect(aws, region, regions) -> Out:
    out = Out()
    _account(aws, out)
    buckets = listed(out, aws, SERVICE, None, ("aws.s3_bucket",), lambda: _buckets(aws, regions))
    if buckets is None:
        return out
    where = dict(buckets)
    tags = _tags(aws, sorted({r for _, r in buckets if r}))
    with ThreadPoolExecutor(max_workers=BUCKET_WORKERS) as pool:
        out.resources.extend(pool.map(lambda b: _bucket(aws, b[0], b[1], tags, where), buckets))
    return out


def _account(aws, out: Out) -> None:
    s3c = aws.client("s3control")
    try:
        cfg = s3c.get_public_access_block(AccountId=aws.account)["PublicAccessBlockConfiguration"]
        pab = {k: bool(cfg.get(src, False)) for src, k in PAB_KEYS}
    except Exception as exc:  # noqa: BLE001 - only "not configured" means all four off
        if error_code(exc) != "NoSuchPublicAccessBlockConfiguration":
            out.fail(SERVICE, None, aws.account, ("aws.s3_account",), exc)
            return
        pab = dict(NO_PAB)
    out.resources.append(resource(aws, "aws.s3_account", f"s3:{aws.account}", aws.account,
                                  {"public_access_block": pab}, None))


def _buckets(aws, regions) -> list[tuple[str, str | None]]:
    """[(name, region)] of every bucket in the account."""
    s3 = aws.client("s3")
    listed = list(paginate(s3, "list_buckets", "Buckets"))
    where = {b["Name"]: b.get("BucketRegion") for b in listed}
    missing = [n for n, r in where.items() if not r]
    if missing:  # older endpoints: one filtered listing per scanned region, then per bucket
        for r in regions:
            try:
                for b in paginate(s3, "list_buckets", "Buckets", BucketRegion=r):
                    if b["Name"] in where and not where[b["Name"]]:
                        where[b["Name"]] = r
            except Exception:  # noqa: BLE001 - filter unsupported: fall back below
                break
        for n in [n for n, r in where.items() if not r]:
            loc = read(lambda n=n: s3.get_bucket_location(Bucket=n).get("LocationConstraint"))
            where[n] = None if is_error(loc) else (loc or "us-east-1")
    return sorted(where.items())


def _tags(aws, regions) -> dict:
    """bucket ARN -> tags, or {"$error"} per region when the listing failed."""
    out: dict = {}
    for r in regions:
        rgt = aws.client("resourcegroupstaggingapi", r)
        try:
            for item in paginate(rgt, "get_resources", "ResourceTagMappingList", ResourceTypeFilters=["s3"]):
                out[item["ResourceARN"]] = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
        except Exception as exc:  # noqa: BLE001
            out[("$error", r)] = error_value(describe_failure(exc))
    return out


def _bucket(aws, name: str, region: str | None, tags: dict, where: dict):
    s3 = aws.client("s3", region)
    arn = f"arn:aws:s3:::{name}"
    tag_err = tags.get(("$error", region))
    props = {"arn": arn, "tags": tags.get(arn, tag_err or {}),
             "encryption": read(lambda: _encryption(aws, s3, name),
                                absent={"ServerSideEncryptionConfigurationNotFoundError": _NO_SSE}),
             "versioning": read(lambda: _versioning(s3, name))}
    props["public_access_block"] = read(lambda: _pab(s3.get_public_access_block(Bucket=name)),
                                        absent={"NoSuchPublicAccessBlockConfiguration": dict(NO_PAB)})
    props["ownership"] = read(lambda: {"object_ownership": s3.get_bucket_ownership_controls(Bucket=name)
                                       ["OwnershipControls"]["Rules"][0]["ObjectOwnership"]},
                              absent={"OwnershipControlsNotFoundError": {"object_ownership": "ObjectWriter"}})
    enforced = props["ownership"] == {"object_ownership": "BucketOwnerEnforced"}
    props["acl"] = {"public_grants": []} if enforced else read(lambda: _acl(s3, name))
    props["policy"] = read(lambda: awspolicy.bucket_policy_facts(s3.get_bucket_policy(Bucket=name)["Policy"],
                                                                 aws.account),
                           absent={"NoSuchBucketPolicy": awspolicy.bucket_policy_facts(None, aws.account)})
    props["logging"] = read(lambda: _logging(s3, name))
    props["lifecycle"] = read(lambda: _lifecycle(s3, name),
                              absent={"NoSuchLifecycleConfiguration": {"enabled": False, "archive_transition": False,
                                                                       "rules": 0}})
    v = props["versioning"]
    no_repl = {"enabled": False, "destinations": []}
    if is_error(v):  # cannot tell whether lock or replication exist
        props["object_lock"] = props["replication"] = v
    elif v["status"] != "Enabled":
        # Object Lock and replication both need versioning Enabled, and neither lets it be
        # suspended afterwards: nothing to read
        props["object_lock"], props["replication"] = dict(_NO_LOCK), no_repl
    else:
        props["object_lock"] = read(lambda: _object_lock(s3, name),
                                    absent={"ObjectLockConfigurationNotFoundError": dict(_NO_LOCK)})
        props["replication"] = read(lambda: _replication(s3, name, aws, where),
                                    absent={"ReplicationConfigurationNotFoundError": no_repl})
    return resource(aws, "aws.s3_bucket", arn, name, props, region)


_NO_SSE = {"sse_algorithm": "none", "kms_key_id": None, "kms_key_managed_by": "none", "bucket_key_enabled": False}
_NO_LOCK = {"enabled": False, "mode": None, "retention_days": None}


def _encryption(aws, s3, name):
    rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    if not rules:
        return dict(_NO_SSE)
    rule = rules[0]
    d = rule.get("ApplyServerSideEncryptionByDefault", {})
    alg = d.get("SSEAlgorithm", "none")
    key = d.get("KMSMasterKeyID")
    if alg.startswith("aws:kms"):
        managed = "aws" if not key or "alias/aws/" in key else "customer"
    else:
        managed = "aws" if alg == "AES256" else "none"
    return {"sse_algorithm": alg, "kms_key_id": key, "kms_key_managed_by": managed,
            "bucket_key_enabled": bool(rule.get("BucketKeyEnabled", False))}


def _versioning(s3, name):
    r = s3.get_bucket_versioning(Bucket=name)
    return {"status": r.get("Status") or "Disabled", "mfa_delete": r.get("MFADelete") == "Enabled"}


def _pab(r):
    cfg = r["PublicAccessBlockConfiguration"]
    return {k: bool(cfg.get(src, False)) for src, k in PAB_KEYS}


def _acl(s3, name):
    grants = s3.get_bucket_acl(Bucket=name).get("Grants", [])
    return {"public_grants": sorted({g["Permission"] for g in grants
                                     if g.get("Grantee", {}).get("URI") in PUBLIC_GROUPS})}


def _logging(s3, name):
    le = s3.get_bucket_logging(Bucket=name).get("LoggingEnabled")
    return {"enabled": bool(le), "target_bucket": (le or {}).get("TargetBucket")}


def _lifecycle(s3, name):
    rules = s3.get_bucket_lifecycle_configuration(Bucket=name).get("Rules", [])
    enabled = [r for r in rules if r.get("Status") == "Enabled"]
    archive = any(t.get("StorageClass") in ARCHIVE_CLASSES
                  for r in enabled for t in r.get("Transitions", []) + r.get("NoncurrentVersionTransitions", []))
    return {"enabled": bool(enabled), "archive_transition": archive, "rules": len(rules)}


def _object_lock(s3, name):
    cfg = s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]
    enabled = cfg.get("ObjectLockEnabled") == "Enabled"
    ret = (cfg.get("Rule") or {}).get("DefaultRetention") or {}
    days = ret.get("Days")
    if days is None and ret.get("Years") is not None:
        days = int(ret["Years"]) * 365
    return {"enabled": enabled, "mode": ret.get("Mode"), "retention_days": days}


def _replication(s3, name, aws, where):
    cfg = s3.get_bucket_replication(Bucket=name)["ReplicationConfiguration"]
    dests = []
    for r in cfg.get("Rules", []):
        if r.get("Status") != "Enabled":
            continue
        d = r.get("Destination", {})
        dests.append({"bucket": d.get("Bucket"), "account": d.get("Account") or aws.account,
                      "region": where.get(str(d.get("Bucket", "")).split(":::")[-1]),
                      "kms_key_id": (d.get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID"),
                      "storage_class": d.get("StorageClass")})
    return {"enabled": bool(dests), "destinations": dests}
