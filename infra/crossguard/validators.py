"""CrossGuard validators built from Enamel's rules (rules/aws) and evaluated by Enamel's
engine, so `pulumi preview --policy-pack infra/crossguard` enforces exactly what
`enamel scan --pulumi` reports.

One policy per rule. Rules on types a single resource fully describes (KMS keys, trails,
log groups, the password policy, the account public access block) are resource
validations; rules on types that join several resources (a bucket and its encryption,
policy, logging, ... resources; a VPC and its flow logs; a vault and its lock) are stack
validations over every resource of the stack. A value CrossGuard cannot know during
preview is an unknown here, reported as a violation (CrossGuard's own proxy would skip the
policy with an advisory note instead): fail closed.

Importable without the Pulumi CLI; `pulumi_policy` is imported by `policies()` only.
"""

from __future__ import annotations

from enamel_hipaa.core.engine import evaluate, leaf_keys
from enamel_hipaa.core.model import unknown
from enamel_hipaa.sources.pulumi import UNKNOWN_SENTINEL, normalize
from enamel_hipaa.core.ruleset import load_rules

SELF_CONTAINED = {
    "aws.kms_key",
    "aws.cloudtrail_trail",
    "aws.cloudwatch_log_group",
    "aws.iam_account",
    "aws.s3_account",
}
REPORTED = ("fail", "unknown", "error")
# CrossGuard's typed unknown sentinels (pulumi_policy.proxy); the string one is Pulumi's own
_UNKNOWNS = {
    UNKNOWN_SENTINEL,
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
}


def plain(value):
    """CrossGuard props (possibly its unknown-checking proxies) to plain JSON with unknown markers."""
    target = _target(value)
    if isinstance(target, str) and target in _UNKNOWNS:
        return unknown("computed at deploy time")
    if isinstance(target, dict):
        return {k: plain(target[k]) for k in target}
    if isinstance(target, (list, tuple)):
        return [plain(v) for v in target]
    return target


def _target(value):
    """The object behind a pulumi_policy proxy (which raises on reading unknowns)."""
    if type(value).__name__ in ("_DictProxy", "_ListProxy"):
        return value["__target"]
    return value


def record(resource_type: str, props, urn: str, name: str, provider=None, property_dependencies=None) -> dict:
    region = None
    if provider is not None:
        reg = _target(getattr(provider, "props", None) or {}).get("region")
        region = reg if isinstance(reg, str) else None
    deps = {k: [getattr(r, "urn", r) for r in v] for k, v in (property_dependencies or {}).items()}
    return {
        "type": resource_type,
        "urn": urn,
        "name": name,
        "id": None,
        "custom": True,
        "inputs": {},
        "outputs": plain(props),
        "provider": None,
        "parent": None,
        "region": region,
        "deps": deps,
    }


def _violations(rule, records: list[dict], report_violation) -> None:
    urns: dict = {}
    resources = normalize.normalize(records, "plan", urns=urns)
    key = leaf_keys(rule.assertion)[0]
    for f in evaluate([rule], resources, include_skipped=False):
        if f.status in REPORTED:
            prefix = "" if f.status == "fail" else f"{f.status}: "
            ref = (f.resource.type, f.resource.id)
            report_violation(
                f"{prefix}{f.message} [HIPAA {', '.join(rule.hipaa)}]", urns.get(ref + (key,)) or urns.get(ref)
            )


def resource_validator(rule):
    def validate(args, report_violation):
        rec = record(args.resource_type, args.props, args.urn, args.name, args.provider)
        _violations(rule, [rec], report_violation)

    validate.__name__ = f"validate_{rule.id.replace('-', '_')}"
    return validate


def stack_validator(rule):
    def validate(args, report_violation):
        recs = [
            record(r.resource_type, r.props, r.urn, r.name, r.provider, r.property_dependencies) for r in args.resources
        ]
        _violations(rule, recs, report_violation)

    validate.__name__ = f"validate_{rule.id.replace('-', '_')}"
    return validate


def aws_rules():
    return [r for r in load_rules().rules if r.resource.startswith("aws.")]


def policies(rules=None) -> list:
    from pulumi_policy import (
        EnforcementLevel,
        PolicyComplianceFramework,
        ResourceValidationPolicy,
        Severity,
        StackValidationPolicy,
    )

    out = []
    for rule in rules if rules is not None else aws_rules():
        common = dict(
            name=rule.id,
            description=rule.title,
            enforcement_level=EnforcementLevel.ADVISORY
            if rule.severity in ("low", "info")
            else EnforcementLevel.MANDATORY,
            severity=Severity[rule.severity.upper()] if rule.severity != "info" else Severity.LOW,
            framework=PolicyComplianceFramework(name="HIPAA Security Rule", reference=", ".join(rule.hipaa)),
            remediation_steps=rule.remediation.strip(),
        )
        if rule.resource in SELF_CONTAINED:
            out.append(ResourceValidationPolicy(validate=resource_validator(rule), **common))
        else:
            out.append(StackValidationPolicy(validate=stack_validator(rule), **common))
    return out
