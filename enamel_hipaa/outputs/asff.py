"""AWS Security Hub export: the report's findings as ASFF, sent with BatchImportFindings
(100 per call, the API's limit). Compliance status, fail closed: pass -> PASSED, fail ->
FAILED, unknown -> WARNING, error -> NOT_AVAILABLE; a waived failure is FAILED with workflow
SUPPRESSED. Checks out of scope (skip) are not sent."""

from __future__ import annotations

from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.report import finding_key

SCHEMA_VERSION = "2018-10-08"
BATCH = 100
LABEL = {"critical": "CRITICAL", "high": "HIGH", "medium": "MEDIUM", "low": "LOW", "info": "INFORMATIONAL"}
COMPLIANCE = {"pass": "PASSED", "fail": "FAILED", "waived": "FAILED", "unknown": "WARNING", "error": "NOT_AVAILABLE"}
TYPES = ["Software and Configuration Checks/Industry and Regulatory Standards/HIPAA Controls"]
RESOURCE_TYPES = {
    "aws.s3_bucket": "AwsS3Bucket",
    "aws.kms_key": "AwsKmsKey",
    "aws.cloudtrail_trail": "AwsCloudTrailTrail",
    "aws.iam_role": "AwsIamRole",
    "aws.iam_user": "AwsIamUser",
    "aws.ec2_security_group": "AwsEc2SecurityGroup",
    "aws.rds_instance": "AwsRdsDbInstance",
}


def product_arn(account: str, region: str) -> str:
    """The account's own 'default' product: every account may import findings there."""
    return f"arn:aws:securityhub:{region}:{account}:product/{account}/default"


def to_asff(f: dict, report: dict, account: str, region: str) -> dict:
    r, scan = f["resource"], report["scan"]
    now = scan["finished_at"]
    res = {
        "Type": RESOURCE_TYPES.get(r.get("type", ""), "Other"),
        "Id": str(r.get("id"))[:512],
        "Partition": "aws",
        "Region": r.get("region") or region,
    }
    if r.get("name"):
        res["Tags"] = {"Name": str(r["name"])[:256]}
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": f"enamel/{finding_key(f)}",
        "ProductArn": product_arn(account, region),
        "GeneratorId": f"enamel/{f['rule_id']}",
        "AwsAccountId": r.get("account") or account,
        "Types": TYPES,
        "CreatedAt": now,
        "UpdatedAt": now,
        "Severity": {"Label": LABEL[f["severity"]]},
        "Title": f["title"][:256],
        "Description": (f["message"] or f["title"])[:1024],
        "Remediation": {"Recommendation": {"Text": f["remediation"][:512]}},
        "ProductFields": {
            "enamel/status": f["status"],
            "enamel/scan": scan["id"],
            **({"enamel/tenant": scan["tenant"][:1024]} if scan.get("tenant") else {}),
        },
        "Resources": [res],
        "Compliance": {
            "Status": COMPLIANCE[f["status"]],
            "RelatedRequirements": [f"HIPAA {c}" for c in f["hipaa"]][:32],
        },
        "Workflow": {"Status": "SUPPRESSED" if f["status"] == "waived" else "NEW"},
        "RecordState": "ACTIVE",
    }


def asff_findings(report: dict, account: str, region: str) -> list[dict]:
    return [to_asff(f, report, account, region) for f in report["findings"] if f["status"] != "skip"]


def export_asff(report: dict, session, account: str | None = None, region: str | None = None) -> dict:
    """Send every finding to Security Hub in `region` of `account` (default: the session's
    caller and region). -> {"sent": n, "imported": n, "failed": [{"Id", "ErrorCode", "ErrorMessage"}]}."""
    region = region or session.region_name
    if not region:
        raise InputError("command line", "Security Hub export needs a region (--region or AWS_REGION)")
    if account is None:
        account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    client = session.client("securityhub", region_name=region)
    items = asff_findings(report, account, region)
    imported, failed = 0, []
    for i in range(0, len(items), BATCH):
        out = client.batch_import_findings(Findings=items[i : i + BATCH])
        imported += out.get("SuccessCount", 0)
        failed.extend(out.get("FailedFindings", []))
    return {"sent": len(items), "imported": imported, "failed": failed}
