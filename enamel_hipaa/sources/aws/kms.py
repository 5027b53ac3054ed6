"""KMS keys (aws.kms_key): manager, state, rotation, tags, aliases and key policy facts."""

from __future__ import annotations

from enamel_hipaa.sources.aws.base import Out, describe_failure, paginate, read, resource
from enamel_hipaa.sources.aws import publicness
from enamel_hipaa.sources.normalise.aws import kms_key
from enamel_hipaa.sources.normalise.aws import policy as awspolicy

SERVICE = "kms"
GLOBAL = False
TYPES = ("aws.kms_key",)
ACTIONS = (
    "kms:ListKeys",
    "kms:ListAliases",
    "kms:DescribeKey",
    "kms:GetKeyRotationStatus",
    "kms:GetKeyPolicy",
    "kms:ListResourceTags",
    "access-analyzer:ListAnalyzers",
    "access-analyzer:ListFindings",
)
CONDITIONAL = {a: publicness.CONDITIONAL[a] for a in ACTIONS if a.startswith("access-analyzer:")}


def collect(aws, region, regions) -> Out:
    out = Out()
    kms = aws.client("kms", region)
    try:
        keys = [k["KeyId"] for k in paginate(kms, "list_keys", "Keys")]
        aliases: dict[str, list[str]] = {}
        for a in paginate(kms, "list_aliases", "Aliases"):
            if a.get("TargetKeyId"):
                aliases.setdefault(a["TargetKeyId"], []).append(a["AliasName"])
    except Exception as exc:  # noqa: BLE001
        out.fail(SERVICE, region, aws.account, TYPES, exc)
        return out
    for key_id in keys:
        try:
            meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        except Exception as exc:  # noqa: BLE001 - one key unreadable: that key is `error`
            out.resources.append(
                resource(
                    aws,
                    "aws.kms_key",
                    f"arn:aws:kms:{region}:{aws.account}:key/{key_id}",
                    key_id,
                    {},
                    region,
                    error=describe_failure(exc),
                )
            )
            continue
        out.resources.append(_key(aws, kms, meta, sorted(aliases.get(key_id, [])), region))
    return out


def _key(aws, kms, meta, aliases, region):
    key_id, arn = meta["KeyId"], meta["Arn"]
    reads = {}
    if meta.get("KeyManager") == "CUSTOMER":  # AWS-managed keys: nothing of theirs is the practice's to set
        reads["tags"] = read(lambda: {"Tags": list(paginate(kms, "list_resource_tags", "Tags", KeyId=key_id))})
        if kms_key.rotation_applies(meta):
            reads["rotation"] = read(lambda: kms.get_key_rotation_status(KeyId=key_id))
        reads["policy"] = read(lambda: kms.get_key_policy(KeyId=key_id, PolicyName="default"))
    props = kms_key.properties(meta, aliases, account=aws.account, **reads)
    policy = props.get("policy")
    if isinstance(policy, dict) and awspolicy.is_undecided(policy.get("allows_public")):
        policy["allows_public"] = publicness.decide_key(aws, region, arn)  # AWS decides, never a guess
    return resource(aws, "aws.kms_key", arn, aliases[0] if aliases else key_id, props, region)
