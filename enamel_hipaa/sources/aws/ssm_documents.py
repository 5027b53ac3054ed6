"""Systems Manager documents the account owns (aws.ssm_document): shared publicly or not.
ListDocuments (Owner = Self), then one DescribeDocumentPermission per document (a runbook
can embed host names, paths and credentials of the imaging servers)."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, listed, paginate, read, resource

SERVICE = "ssm"
GLOBAL = False
TYPES = ("aws.ssm_document",)
ACTIONS = ("ssm:ListDocuments", "ssm:DescribeDocumentPermission")
CONDITIONAL = {"ssm:DescribeDocumentPermission": "only when the account owns a document"}


def collect(aws, region, regions) -> Out:
    out = Out()
    ssm = aws.client("ssm", region)
    docs = listed(
        out,
        aws,
        SERVICE,
        region,
        TYPES,
        lambda: paginate(ssm, "list_documents", "DocumentIdentifiers", Filters=[{"Key": "Owner", "Values": ["Self"]}]),
    )
    for d in docs or []:
        name = d["Name"]
        perm = read(lambda name=name: ssm.describe_document_permission(Name=name, PermissionType="Share"))
        if isinstance(perm, dict) and "$error" in perm:
            public = shared = perm
        else:
            accounts = list(perm.get("AccountIds") or [])
            public, shared = "all" in [a.lower() for a in accounts], sorted(a for a in accounts if a.lower() != "all")
        arn = f"arn:aws:ssm:{region}:{aws.account}:document/{name}"
        props = {"name": name, "document_type": d.get("DocumentType"), "public": public, "shared_with": shared}
        out.resources.append(resource(aws, "aws.ssm_document", arn, name, props, region))
    return out
