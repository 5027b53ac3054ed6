"""AWS answers checked for the shape the collectors rely on, in one place.

botocore turns a 200 answer with an empty, truncated or garbled body into `{}` (plus
ResponseMetadata). Read naively, `{}` looks like "not configured" or "nothing exists": an
empty GetBucketAcl would make a public-read bucket pass, an empty ListBuckets would remove
every bucket finding. So every successful answer of an operation listed here must carry the
keys below; when one is missing, the call raises `MalformedAnswer` from botocore's
`after-call` event. Collectors already turn a failed call into `$error` for the properties
it feeds (`base.read`) and a failed listing into a collection error that marks the scan
incomplete (`base.listed`), so a malformed answer can never read as an empty one.

Keys that AWS omits when their list is empty are not required (Grants, CreateVolumePermissions).
Operations whose legitimate "not configured" answer is an empty body (GetBucketVersioning,
GetBucketLogging, GetBucketLocation for us-east-1, GetEventSelectors without selectors) are
not listed: their empty answer cannot be told from a lost one by shape alone.

Also here: `install_deadline`, a total deadline per request (botocore's read timeout is per
socket read, so a server that drips a byte every few seconds would never time out).
"""

from __future__ import annotations

import threading

# (botocore service name, operation name) -> keys a successful answer must have
REQUIRED: dict[tuple[str, str], tuple[str, ...]] = {
    ("sts", "GetCallerIdentity"): ("Account",),
    # S3 (a missing configuration is an error code, never an empty 200)
    ("s3", "ListBuckets"): ("Buckets",),
    ("s3", "GetBucketAcl"): ("Owner",),  # Grants may be omitted when there are none
    ("s3", "GetBucketEncryption"): ("ServerSideEncryptionConfiguration",),
    ("s3", "GetObjectLockConfiguration"): ("ObjectLockConfiguration",),
    ("s3", "GetPublicAccessBlock"): ("PublicAccessBlockConfiguration",),
    ("s3", "GetBucketOwnershipControls"): ("OwnershipControls",),
    ("s3", "GetBucketPolicy"): ("Policy",),
    ("s3", "GetBucketPolicyStatus"): ("PolicyStatus",),
    ("s3", "GetBucketLifecycleConfiguration"): ("Rules",),
    ("s3", "GetBucketReplication"): ("ReplicationConfiguration",),
    ("s3", "GetBucketTagging"): ("TagSet",),
    ("s3control", "GetPublicAccessBlock"): ("PublicAccessBlockConfiguration",),
    # KMS
    ("kms", "ListKeys"): ("Keys",),
    ("kms", "ListAliases"): ("Aliases",),
    ("kms", "DescribeKey"): ("KeyMetadata",),
    ("kms", "GetKeyRotationStatus"): ("KeyRotationEnabled",),
    ("kms", "GetKeyPolicy"): ("Policy",),
    ("kms", "ListResourceTags"): ("Tags",),
    # IAM
    ("iam", "ListRoles"): ("Roles",),
    ("iam", "ListRoleTags"): ("Tags",),
    ("iam", "GetAccountSummary"): ("SummaryMap",),
    ("iam", "GetAccountPasswordPolicy"): ("PasswordPolicy",),
    ("iam", "GetCredentialReport"): ("Content",),
    ("iam", "GenerateCredentialReport"): ("State",),
    # EC2 / VPC
    ("ec2", "DescribeRegions"): ("Regions",),
    ("ec2", "DescribeSecurityGroups"): ("SecurityGroups",),
    ("ec2", "DescribeVolumes"): ("Volumes",),
    ("ec2", "DescribeSnapshots"): ("Snapshots",),
    ("ec2", "DescribeImages"): ("Images",),
    ("ec2", "DescribeVpcs"): ("Vpcs",),
    ("ec2", "DescribeFlowLogs"): ("FlowLogs",),
    ("ec2", "DescribeInternetGateways"): ("InternetGateways",),
    ("ec2", "DescribeRouteTables"): ("RouteTables",),
    ("ec2", "DescribeVpcEndpoints"): ("VpcEndpoints",),
    ("ec2", "GetEbsEncryptionByDefault"): ("EbsEncryptionByDefault",),
    ("ec2", "GetEbsDefaultKmsKeyId"): ("KmsKeyId",),
    # others
    ("rds", "DescribeDBInstances"): ("DBInstances",),
    ("logs", "DescribeLogGroups"): ("logGroups",),
    ("cloudtrail", "DescribeTrails"): ("trailList",),
    ("cloudtrail", "GetTrailStatus"): ("IsLogging",),
    ("elbv2", "DescribeLoadBalancers"): ("LoadBalancers",),
    ("elbv2", "DescribeListeners"): ("Listeners",),
    ("elbv2", "DescribeSSLPolicies"): ("SslPolicies",),
    ("elbv2", "DescribeListenerCertificates"): ("Certificates",),
    ("backup", "ListBackupVaults"): ("BackupVaultList",),
    ("backup", "ListBackupPlans"): ("BackupPlansList",),
    ("backup", "GetBackupPlan"): ("BackupPlan",),
    ("backup", "ListBackupSelections"): ("BackupSelectionsList",),
    ("backup", "GetBackupSelection"): ("BackupSelection",),
    ("backup", "ListRestoreTestingPlans"): ("RestoreTestingPlans",),
    ("backup", "ListRestoreTestingSelections"): ("RestoreTestingSelections",),
    ("backup", "GetRestoreTestingSelection"): ("RestoreTestingSelection",),
    ("backup", "ListRestoreJobs"): ("RestoreJobs",),
    ("guardduty", "ListDetectors"): ("DetectorIds",),
    ("guardduty", "GetDetector"): ("Status",),
    ("resourcegroupstaggingapi", "GetResources"): ("ResourceTagMappingList",),
}

DEFAULT_DEADLINE = 60.0  # seconds for one request, body included (retries each get their own)


class MalformedAnswer(Exception):
    """A successful answer without a key the collector relies on (empty, truncated or garbled body)."""


def missing_keys(service: str, operation: str, parsed) -> list[str]:
    need = REQUIRED.get((service, operation))
    if not need:
        return []
    if not isinstance(parsed, dict):
        return list(need)
    return [k for k in need if k not in parsed]


def check_answer(http_response=None, parsed=None, model=None, **_):
    """botocore `after-call` handler: raise MalformedAnswer for a 2xx answer that lacks a
    required key (error answers are left to botocore, which raises ClientError)."""
    status = getattr(http_response, "status_code", 200)
    if model is None or status >= 300 or (isinstance(parsed, dict) and "Error" in parsed):
        return
    service = model.service_model.service_name
    missing = missing_keys(service, model.name, parsed)
    if missing:
        raise MalformedAnswer(
            f"{model.name}: malformed answer (HTTP {status} without "
            f"{', '.join(missing)}): treated as a failed call, not as 'not configured'"
        )


def install(client, deadline: float | None = DEFAULT_DEADLINE) -> None:
    """Attach the shape check (and the per-request deadline) to one client."""
    client.meta.events.register("after-call", check_answer)
    if deadline:
        install_deadline(client, deadline)


def install_deadline(client, seconds: float) -> None:
    """Send every request of `client` in a helper thread and give up after `seconds` in
    total (connect, headers and the whole body). The late request is abandoned (its own
    socket timeouts end it); the call fails as a read timeout, which botocore may retry."""
    http = client._endpoint.http_session  # the transport botocore would use itself

    def send(request, **_):
        box: dict = {}

        def run():
            try:
                box["response"] = http.send(request)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                box["error"] = exc

        t = threading.Thread(target=run, name="aws-request", daemon=True)
        t.start()
        t.join(seconds)
        if t.is_alive():
            from botocore.exceptions import ReadTimeoutError

            raise ReadTimeoutError(endpoint_url=f"{request.url.split('?')[0]} (no complete answer within {seconds:g}s)")
        if "error" in box:
            raise box["error"]
        return box["response"]

    client.meta.events.register_first("before-send", send)
