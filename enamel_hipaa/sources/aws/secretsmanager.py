"""Secrets Manager secrets (aws.secret): rotation and customer-managed key, from ListSecrets
alone (metadata only: the scan never reads a secret value)."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, listed, paginate, resource, tag_dict
from enamel_hipaa.sources.normalise.aws.secret import secret_props

SERVICE = "secretsmanager"
GLOBAL = False
TYPES = ("aws.secret",)
ACTIONS = ("secretsmanager:ListSecrets",)
CONDITIONAL = {}


def collect(aws, region, regions) -> Out:
    out = Out()
    sm = aws.client("secretsmanager", region)
    for s in listed(out, aws, SERVICE, region, TYPES, lambda: paginate(sm, "list_secrets", "SecretList")) or []:
        out.resources.append(
            resource(
                aws, "aws.secret", s["ARN"], s.get("Name") or s["ARN"], secret_props(s, tag_dict(s.get("Tags"))), region
            )
        )
    return out
