"""S3 buckets (aws.s3_bucket) and the account-level public access block (aws.s3_account).

Calls per bucket are kept low: tags come from one Resource Groups Tagging API listing per
region, bucket regions from ListBuckets, and calls that cannot matter are skipped (no ACL
read when ACLs are disabled by BucketOwnerEnforced; no Object Lock or replication read when
versioning was never enabled, since both require it)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from enamel_hipaa.core.model import error_value, unknown
from enamel_hipaa.sources.aws import publicness, s3_moot
from enamel_hipaa.sources.aws.base import Out, describe_failure, error_code, is_error, listed, paginate, read, resource
from enamel_hipaa.sources.normalise.aws import policy as awspolicy
from enamel_hipaa.sources.normalise.aws import s3_bucket

SERVICE = "s3"
GLOBAL = True
TYPES = ("aws.s3_bucket", "aws.s3_account")
ACTIONS = (
    "s3:ListAllMyBuckets",
    "s3:GetBucketLocation",
    "tag:GetResources",
    "s3:GetEncryptionConfiguration",
    "s3:GetBucketVersioning",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketOwnershipControls",
    "s3:GetBucketAcl",
    "s3:GetBucketPolicy",
    "s3:GetBucketLogging",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:GetAccountPublicAccessBlock",
    *publicness.ACTIONS,
)
# called only when ListBuckets does not say where a bucket lives
CONDITIONAL = {"s3:GetBucketLocation": "ListBuckets without BucketRegion", **publicness.CONDITIONAL}
BUCKET_WORKERS = 8


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
        resp = s3c.get_public_access_block(AccountId=aws.account)
    except Exception as exc:  # noqa: BLE001 - only "not configured" means all four off
        if error_code(exc) != "NoSuchPublicAccessBlockConfiguration":
            out.fail(SERVICE, None, aws.account, ("aws.s3_account",), exc)
            return
        resp = s3_bucket.NOT_FOUND
    pab = s3_bucket.public_access_block(resp)
    out.resources.append(
        resource(aws, "aws.s3_account", f"s3:{aws.account}", aws.account, {"public_access_block": pab}, None)
    )


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


def api_response(op: str, fn):
    """One S3 read in the API's shape for the normaliser: the response, NOT_FOUND when AWS
    says the configuration does not exist, or {"$error": why} (fail closed)."""
    try:
        resp = fn()
    except Exception as exc:  # noqa: BLE001 - every failure becomes an $error value
        code = error_code(exc)
        if code is not None and code == s3_bucket.NOT_FOUND_CODES.get(op):  # only AWS's own "no such configuration"
            return s3_bucket.NOT_FOUND
        return error_value(describe_failure(exc))
    return {k: v for k, v in resp.items() if k != "ResponseMetadata"}


def _bucket(aws, name: str, region: str | None, tags: dict, where: dict):
    s3 = aws.client("s3", region)
    plan = aws.s3_plan or s3_moot.Plan()  # an Aws built without one: skip only what another answer makes moot
    arn = f"arn:aws:s3:::{name}"
    found = tags.get(arn, tags.get(("$error", region)) or {})
    api = {
        "GetBucketTagging": found if is_error(found) else {"TagSet": [{"Key": k, "Value": v} for k, v in found.items()]}
    }
    moot = plan.moot_for(found)  # reads only PHI-scoped rules use, on a bucket declared not PHI
    for op, call in (
        ("GetBucketEncryption", s3.get_bucket_encryption),
        ("GetBucketVersioning", s3.get_bucket_versioning),
        ("GetPublicAccessBlock", s3.get_public_access_block),
        ("GetBucketOwnershipControls", s3.get_bucket_ownership_controls),
        ("GetBucketPolicy", s3.get_bucket_policy),
        ("GetBucketLogging", s3.get_bucket_logging),
        ("GetBucketLifecycleConfiguration", s3.get_bucket_lifecycle_configuration),
    ):
        if op in moot:
            api[op] = _skipped(plan, op, s3_moot.WHY_NOT_PHI)
            continue
        api[op] = api_response(op, lambda call=call: call(Bucket=name))
    # calls that cannot matter are skipped (see s3_moot and s3_bucket.needs_*)
    if s3_bucket.needs_acl(api["GetBucketOwnershipControls"]):
        api["GetBucketAcl"] = api_response("GetBucketAcl", lambda: s3.get_bucket_acl(Bucket=name))
    else:
        plan.skip("GetBucketAcl", s3_moot.WHY_OWNER_ENFORCED)
    if s3_bucket.needs_lock_and_replication(api["GetBucketVersioning"]):
        if "GetObjectLockConfiguration" in moot:
            api["GetObjectLockConfiguration"] = _skipped(plan, "GetObjectLockConfiguration", s3_moot.WHY_NOT_PHI)
        else:
            api["GetObjectLockConfiguration"] = api_response(
                "GetObjectLockConfiguration", lambda: s3.get_object_lock_configuration(Bucket=name)
            )
        api["GetBucketReplication"] = api_response(
            "GetBucketReplication", lambda: s3.get_bucket_replication(Bucket=name)
        )
    elif not is_error(api["GetBucketVersioning"]):
        plan.skip("GetObjectLockConfiguration", s3_moot.WHY_NEVER_VERSIONED)
        plan.skip("GetBucketReplication", s3_moot.WHY_NEVER_VERSIONED)
    props = {
        "arn": arn,
        **s3_bucket.properties(api, aws.account, region_of=lambda b: where.get(str(b).split(":::")[-1])),
    }
    policy = props["policy"]
    if isinstance(policy, dict) and awspolicy.is_undecided(policy.get("allows_public")):
        policy["allows_public"] = publicness.decide_bucket(aws, s3, name, region)  # AWS decides, never a guess
    return resource(aws, "aws.s3_bucket", arn, name, props, region)


def _skipped(plan, op: str, why: str) -> dict:
    plan.skip(op, why)
    return unknown(f"{op} not read: {why}")
