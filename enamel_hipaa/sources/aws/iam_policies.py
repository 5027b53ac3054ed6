"""IAM identity policies (aws.iam_policy, global): customer-managed policies, the AWS-managed
policies attached to someone, and every inline policy of a user, group or role, with what
each grants (normalise/aws/iam_policy.py). One paginated GetAccountAuthorizationDetails
reads principals, their attachments and the customer policies' documents; the attached
AWS-managed policies' documents take one GetPolicyVersion each."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, describe_failure, paginate, resource
from enamel_hipaa.sources.normalise.aws.iam_policy import policy_props

SERVICE = "iam"
GLOBAL = True
TYPES = ("aws.iam_policy",)
ACTIONS = ("iam:GetAccountAuthorizationDetails", "iam:ListPolicies", "iam:GetPolicyVersion")
CONDITIONAL = {"iam:GetPolicyVersion": "only when an AWS-managed policy is attached to someone"}
_KINDS = (
    ("UserDetailList", "users", "UserName", "UserPolicyList"),
    ("GroupDetailList", "groups", "GroupName", "GroupPolicyList"),
    ("RoleDetailList", "roles", "RoleName", "RolePolicyList"),
)


def collect(aws, region, regions) -> Out:
    out = Out()
    iam = aws.client("iam")
    try:
        details = authorization_details(iam)
        aws_managed = list(paginate(iam, "list_policies", "Policies", Scope="AWS", OnlyAttached=True))
    except Exception as exc:  # noqa: BLE001 - no listing: every policy is unknown, never clean
        out.fail(SERVICE, None, aws.account, TYPES, exc)
        return out
    attached: dict[str, dict] = {}
    for list_key, kind, name_key, inline_key in _KINDS:
        for p in details[list_key]:
            if kind == "roles" and str(p.get("Path", "/")).startswith("/aws-service-role/"):
                continue  # service-linked roles: AWS's to manage
            for a in p.get("AttachedManagedPolicies") or []:
                attached.setdefault(a["PolicyArn"], {}).setdefault(kind, []).append(p[name_key])
            for ip in p.get(inline_key) or []:
                arn = f"{p['Arn']}/inline/{ip['PolicyName']}"
                out.resources.append(
                    _policy(
                        aws,
                        arn,
                        f"{p[name_key]}/{ip['PolicyName']}",
                        "inline",
                        lambda ip=ip: ip["PolicyDocument"],
                        {kind: [p[name_key]]},
                    )
                )
    for p in details["Policies"]:
        doc = next((v.get("Document") for v in p.get("PolicyVersionList") or [] if v.get("IsDefaultVersion")), None)
        name = p.get("PolicyName") or p["Arn"].rsplit("/", 1)[-1]  # the ARN ends with the name
        out.resources.append(_policy(aws, p["Arn"], name, "customer", lambda doc=doc: doc, attached.get(p["Arn"], {})))
    for p in aws_managed:
        out.resources.append(
            _policy(
                aws,
                p["Arn"],
                p.get("PolicyName") or p["Arn"].rsplit("/", 1)[-1],
                "aws",
                lambda p=p: iam.get_policy_version(PolicyArn=p["Arn"], VersionId=p["DefaultVersionId"])[
                    "PolicyVersion"
                ]["Document"],
                attached.get(p["Arn"], {}),
            )
        )
    return out


def authorization_details(iam) -> dict:
    """Every page of GetAccountAuthorizationDetails, merged (customer policies only: AWS's
    own are read above, attached ones only)."""
    merged = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
    pages = iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["User", "Group", "Role", "LocalManagedPolicy"]
    )
    for page in pages:
        for k in merged:
            merged[k].extend(page.get(k) or [])
    return merged


def _policy(aws, arn, name, kind, document, attached_to):
    try:
        props = policy_props(arn, kind, document(), attached_to)
    except Exception as exc:  # noqa: BLE001 - unreadable or unparsable: this policy errors, never passes
        return resource(aws, "aws.iam_policy", arn, name, {"arn": arn, "kind": kind}, None, error=describe_failure(exc))
    return resource(aws, "aws.iam_policy", arn, name, props, None)
