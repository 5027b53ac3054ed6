"""IAM (global): users and root from the credential report, the password policy and account
summary (aws.iam_account), and role trust policies (aws.iam_role)."""

from __future__ import annotations

import csv
import io
import time

from enamel_hipaa.sources.normalise.aws import policy as awspolicy
from enamel_hipaa.sources.normalise.aws.iam_user import user_props, when as _when
from enamel_hipaa.sources.aws.base import CallFailed, Out, error_code, paginate, read, resource

SERVICE = "iam"
GLOBAL = True
TYPES = ("aws.iam_user", "aws.iam_account", "aws.iam_role")
ACTIONS = (
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "iam:GetAccountPasswordPolicy",
    "iam:GetAccountSummary",
    "iam:ListRoles",
    "iam:ListRoleTags",
    "iam:ListVirtualMFADevices",
)
CONDITIONAL = {}
REPORT_WAIT_S = 30
NO_POLICY = {
    "present": False,
    "minimum_length": None,
    "require_symbols": False,
    "require_numbers": False,
    "require_uppercase": False,
    "require_lowercase": False,
    "reuse_prevention": None,
    "max_age_days": None,
}


def collect(aws, region, regions) -> Out:
    out = Out()
    iam = aws.client("iam")
    try:
        rows = credential_report(iam)
    except Exception as exc:  # noqa: BLE001 - no report: users and root are unknown, not clean
        out.fail(SERVICE, None, aws.account, ("aws.iam_user",), exc)
        rows = None
    for row in rows or []:
        if row["user"] != "<root_account>":
            out.resources.append(resource(aws, "aws.iam_user", row["arn"], row["user"], user_props(row), None))
    out.resources.append(_account(aws, iam, rows))
    _roles(aws, iam, out)
    return out


def credential_report(iam) -> list[dict]:
    deadline = time.monotonic() + REPORT_WAIT_S
    while True:
        state = iam.generate_credential_report().get("State")
        if state == "COMPLETE":
            break
        try:
            return _parse(iam.get_credential_report()["Content"])
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) not in ("ReportInProgress", "ReportNotPresent", "ReportExpired"):
                raise
        if time.monotonic() > deadline:
            raise CallFailed(f"credential report not ready after {REPORT_WAIT_S}s")
        time.sleep(1)
    return _parse(iam.get_credential_report()["Content"])


def _parse(content) -> list[dict]:
    text = content.decode() if isinstance(content, bytes) else content
    return list(csv.DictReader(io.StringIO(text)))


def _account(aws, iam, rows):
    policy = read(
        lambda: _policy(iam.get_account_password_policy()["PasswordPolicy"]), absent={"NoSuchEntity": dict(NO_POLICY)}
    )
    summary = read(lambda: iam.get_account_summary()["SummaryMap"])
    root_row = next((r for r in rows or [] if r["user"] == "<root_account>"), None)
    if isinstance(summary, dict) and "$error" in summary:
        root = summary
    else:
        root = {
            "mfa_enabled": bool(summary.get("AccountMFAEnabled")),
            "access_keys_active": bool(summary.get("AccountAccessKeysPresent")),
            "password_last_used": _when(root_row.get("password_last_used")) if root_row else None,
            "hardware_mfa": read(lambda: root_hardware_mfa(iam, bool(summary.get("AccountMFAEnabled")))),
        }
    return resource(
        aws, "aws.iam_account", f"iam:{aws.account}", aws.account, {"password_policy": policy, "root": root}, None
    )


def _policy(p: dict) -> dict:
    return {
        "present": True,
        "minimum_length": p.get("MinimumPasswordLength"),
        "require_symbols": bool(p.get("RequireSymbols")),
        "require_numbers": bool(p.get("RequireNumbers")),
        "require_uppercase": bool(p.get("RequireUppercaseCharacters")),
        "require_lowercase": bool(p.get("RequireLowercaseCharacters")),
        "reuse_prevention": p.get("PasswordReusePrevention"),
        "max_age_days": p.get("MaxPasswordAge"),
    }


def _roles(aws, iam, out: Out) -> None:
    try:
        roles = list(paginate(iam, "list_roles", "Roles"))
    except Exception as exc:  # noqa: BLE001
        out.fail(SERVICE, None, aws.account, ("aws.iam_role",), exc)
        return
    for r in roles:
        if r.get("Path", "/").startswith("/aws-service-role/"):
            continue  # AWS-managed service-linked roles: not the practice's to change
        props = {
            "arn": r["Arn"],
            **awspolicy.trust_policy_facts(r.get("AssumeRolePolicyDocument"), aws.account),
            "tags": read(
                lambda r=r: {
                    t["Key"]: t["Value"] for t in paginate(iam, "list_role_tags", "Tags", RoleName=r["RoleName"])
                }
            ),
        }
        out.resources.append(resource(aws, "aws.iam_role", r["Arn"], r["RoleName"], props, None))


def root_hardware_mfa(iam, mfa_enabled: bool) -> bool:
    """Root MFA is hardware when it is on and no virtual MFA device is assigned to root
    (AWS names root's virtual device ...:mfa/root-account-mfa-device; the API tells no more)."""
    if not mfa_enabled:
        return False
    devices = paginate(iam, "list_virtual_mfa_devices", "VirtualMFADevices", AssignmentStatus="Assigned")
    return not any(
        str(d.get("SerialNumber", "")).endswith(":mfa/root-account-mfa-device")
        or str(d.get("User", {}).get("Arn", "")).endswith(":root")
        for d in devices
    )
