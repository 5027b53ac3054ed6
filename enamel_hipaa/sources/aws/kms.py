"""KMS keys (aws.kms_key): manager, state, rotation, tags, aliases and key policy facts."""
from __future__ import annotations

from enamel_hipaa.sources.normalise.aws import policy as awspolicy
from enamel_hipaa.sources.aws.base import Out, describe_failure, paginate, read, resource

SERVICE = "kms"
GLOBAL = False
TYPES = ("aws.kms_key",)
ACTIONS = ("kms:ListKeys", "kms:ListAliases", "kms:DescribeKey", "kms:GetKeyRotationStatus",
           "kms:GetKeyPolicy", "kms:ListResourceTags")
CONDITIONAL = {}


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
            out.resources.append(resource(aws, "aws.kms_key", f"arn:aws:kms:{region}:{aws.account}:key/{key_id}",
                                          key_id, {}, region, error=describe_failure(exc)))
            continue
        out.resources.append(_key(aws, kms, meta, sorted(aliases.get(key_id, [])), region))
    return out


def _key(aws, kms, meta, aliases, region):
    key_id, arn = meta["KeyId"], meta["Arn"]
    customer = meta.get("KeyManager") == "CUSTOMER"
    spec = meta.get("KeySpec") or meta.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    props = {"arn": arn, "key_manager": meta.get("KeyManager", "CUSTOMER"), "key_state": meta.get("KeyState"),
             "key_spec": spec, "aliases": aliases,
             "deletion_window_days": meta.get("PendingDeletionWindowInDays")}
    if customer:
        props["tags"] = read(lambda: {t["TagKey"]: t["TagValue"]
                                      for t in paginate(kms, "list_resource_tags", "Tags", KeyId=key_id)})
        props["rotation_enabled"] = read(lambda: bool(kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"])) \
            if spec == "SYMMETRIC_DEFAULT" and meta.get("Origin", "AWS_KMS") == "AWS_KMS" else False
        props["policy"] = read(lambda: awspolicy.key_policy_facts(
            kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"], aws.account))
    else:
        props["tags"] = {}
        props["rotation_enabled"] = True  # AWS-managed keys rotate yearly, by AWS
    return resource(aws, "aws.kms_key", arn, aliases[0] if aliases else key_id, props, region)
