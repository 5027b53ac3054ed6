"""Amazon Macie (aws.macie_region, aws.macie_bucket): Macie enabled in every scanned region,
and every bucket of the region covered by a scheduled sensitive-data discovery job (explicit
bucket lists or bucket criteria). Which buckets must be covered is decided by the rule's
PHI scope (the bucket's data-class tags, core/datascope.py), so the bucket resources carry
their tags. Per region: GetMacieSession, ListClassificationJobs (only when Macie is on),
ListBuckets and one Resource Groups Tagging API listing: no call per bucket.

Macie answers "not enabled" with an AccessDeniedException whose message says so (moto: a
ResourceNotFoundException); any other failure is an $error, never "disabled" or "covered"."""

from __future__ import annotations

from enamel_hipaa.core.model import error_value
from enamel_hipaa.sources.aws.base import CallFailed, Out, describe_failure, error_code, paginate, read, resource
from enamel_hipaa.sources.normalise.aws.macie import bucket_coverage, session_props

SERVICE = "macie2"
GLOBAL = False
TYPES = ("aws.macie_region", "aws.macie_bucket")
ACTIONS = ("macie2:GetMacieSession", "macie2:ListClassificationJobs", "s3:ListAllMyBuckets", "tag:GetResources")
CONDITIONAL = {"macie2:ListClassificationJobs": "only where Macie is enabled"}


def collect(aws, region, regions) -> Out:
    out = Out()
    macie = aws.client("macie2", region)
    try:
        session = macie.get_macie_session()
    except Exception as exc:  # noqa: BLE001
        session = None if _not_enabled(exc) else error_value(describe_failure(exc))
    props = session_props(session)
    out.resources.append(resource(aws, "aws.macie_region", f"macie:{aws.account}:{region}", region, props, region))
    if props["enabled"] is True:
        jobs = read(lambda: list(paginate(macie, "list_classification_jobs", "items")))
    else:
        jobs = [] if props["enabled"] is False else props["enabled"]
    buckets = read(lambda: _buckets(aws, region))
    if isinstance(buckets, dict):  # the bucket listing failed: every bucket rule of the region errors
        out.fail(SERVICE, region, aws.account, ("aws.macie_bucket",), CallFailed(buckets["$error"]))
        return out
    tags = read(lambda: _tags(aws, region))
    for name in buckets:
        btags = tags if isinstance(tags, dict) and "$error" in tags else tags.get(f"arn:aws:s3:::{name}", {})
        out.resources.append(
            resource(
                aws,
                "aws.macie_bucket",
                f"macie:{aws.account}:{region}:{name}",
                name,
                bucket_coverage(name, aws.account, btags, props["enabled"], jobs),
                region,
            )
        )
    return out


def _not_enabled(exc) -> bool:
    code = error_code(exc)
    return code == "ResourceNotFoundException" or (
        code == "AccessDeniedException" and "not enabled" in describe_failure(exc).lower()
    )


def _buckets(aws, region) -> list[str]:
    """The names of the account's buckets in `region` (ListBuckets filtered by BucketRegion:
    one call per region, none per bucket)."""
    s3 = aws.client("s3", region)
    return sorted(b["Name"] for b in paginate(s3, "list_buckets", "Buckets", BucketRegion=region))


def _tags(aws, region) -> dict:
    rgt = aws.client("resourcegroupstaggingapi", region)
    return {
        item["ResourceARN"]: {t["Key"]: t["Value"] for t in item.get("Tags", [])}
        for item in paginate(rgt, "get_resources", "ResourceTagMappingList", ResourceTypeFilters=["s3"])
    }
