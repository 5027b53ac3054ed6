"""Publicness decided by AWS where Enamel cannot (issue 16).

A bucket or key policy whose Allow-to-everyone statements carry conditions Enamel's own
analysis does not model (policy.public_verdict -> undecided) is not guessed at: for a bucket,
S3's GetBucketPolicyStatus answers IsPublic (AWS's own evaluation, the one Block Public
Policy uses); for a bucket or a key, an active IAM Access Analyzer (external access,
ACCOUNT or ORGANIZATION) in the resource's region is asked for active findings on it. Public
if either says so. A key with no analyzer in its region stays `unknown`; a failed call is
`$error`; neither is ever a pass. These calls are made only for undecidable policies."""

from __future__ import annotations

import threading

from enamel_hipaa.core.model import error_value, unknown
from enamel_hipaa.sources.aws.base import describe_failure, paginate

ACTIONS = ("s3:GetBucketPolicyStatus", "access-analyzer:ListAnalyzers", "access-analyzer:ListFindings")
CONDITIONAL = {a: "only for a policy whose conditions Enamel does not model" for a in ACTIONS}
NO_ANALYZER = "policy has conditions Enamel does not model and no active IAM Access Analyzer covers the region"


class Analyzers:
    """Active external-access analyzers per region, listed once per region when first needed."""

    def __init__(self, aws):
        self.aws = aws
        self._by_region: dict = {}
        self._lock = threading.Lock()

    def of(self, region: str):
        """[analyzer ARN] for the region, or {"$error"} when the listing failed."""
        with self._lock:
            if region not in self._by_region:
                self._by_region[region] = self._list(region)
            return self._by_region[region]

    def _list(self, region: str):
        client = self.aws.client("accessanalyzer", region)
        try:
            found = list(paginate(client, "list_analyzers", "analyzers"))
        except Exception as exc:  # noqa: BLE001 - an unreadable listing is an error, never "none"
            return error_value(describe_failure(exc))
        return sorted(
            a["arn"] for a in found if a.get("status") == "ACTIVE" and a.get("type") in ("ACCOUNT", "ORGANIZATION")
        )

    def public_finding(self, region: str, resource_arn: str):
        """True/False: an active analyzer has (no) active public finding for the resource;
        None: no active analyzer in the region; {"$error"} when a call failed."""
        arns = self.of(region)
        if isinstance(arns, dict):
            return arns
        if not arns:
            return None
        client = self.aws.client("accessanalyzer", region)
        flt = {"resource": {"eq": [resource_arn]}, "status": {"eq": ["ACTIVE"]}}
        try:
            for arn in arns:
                for f in paginate(client, "list_findings", "findings", analyzerArn=arn, filter=flt):
                    if f.get("isPublic"):
                        return True
        except Exception as exc:  # noqa: BLE001
            return error_value(describe_failure(exc))
        return False


def analyzers(aws) -> Analyzers:
    with aws._lock:
        got = getattr(aws, "_analyzers", None)
        if got is None:
            got = aws._analyzers = Analyzers(aws)
        return got


def decide_bucket(aws, s3, name: str, region: str | None):
    """allows_public for a bucket whose policy Enamel cannot decide."""
    try:
        status = bool(s3.get_bucket_policy_status(Bucket=name)["PolicyStatus"]["IsPublic"])
    except Exception as exc:  # noqa: BLE001
        return error_value(describe_failure(exc))
    if status:
        return True
    finding = analyzers(aws).public_finding(region or aws.home_region, f"arn:aws:s3:::{name}")
    return status if finding is None else finding


def decide_key(aws, region: str, key_arn: str):
    """allows_public for a KMS key whose policy Enamel cannot decide (no analyzer: unknown)."""
    finding = analyzers(aws).public_finding(region, key_arn)
    return unknown(NO_ANALYZER) if finding is None else finding
