"""aws.kms_key: the one derivation of a KMS key's Enamel properties, from the KMS API's own
responses (the live collector's boto3 answers; a plan's inputs converted to these shapes).

Input contract (boto3's shapes, PascalCase, no ResponseMetadata):
  meta       DescribeKey's KeyMetadata: {"Arn", "KeyManager", "KeyState", "KeySpec" |
             "CustomerMasterKeySpec", "Origin", "PendingDeletionWindowInDays"?}
  aliases    the AliasName of every ListAliases entry whose TargetKeyId is this key
  rotation   GetKeyRotationStatus: {"KeyRotationEnabled"}
  policy     GetKeyPolicy (PolicyName "default"): {"Policy": "<JSON text>"}
  tags       ListResourceTags: {"Tags": [{"TagKey", "TagValue"}]}
  deletion   the ScheduleKeyDeletion request a template declares for the key,
             {"PendingWindowInDays"}; None for a live key (AWS reports the window only
             while the key is pending deletion, in KeyMetadata)
Any of these (or a value inside) may be a marker ({"$error"}/{"$unknown"}); rotation,
policy and tags are read only for customer-managed keys (rotation only for symmetric keys
with AWS-made material: the others cannot rotate), and may be None otherwise."""

from __future__ import annotations

import re

from enamel_hipaa.sources.normalise.aws import policy as awspolicy
from enamel_hipaa.sources.normalise.values import is_marker, need, parsed, prop

# a reference to an AWS-managed key by its alias: "alias/aws/s3" or its ARN form
_AWS_ALIAS = re.compile(r"^(?:arn:aws[a-z-]*:kms:[a-z0-9-]*:\d{0,12}:)?alias/aws/")


def aws_managed_key_ref(key) -> bool:
    """Whether a KMS key reference names an AWS-managed key (its alias, bare or as an ARN)."""
    return isinstance(key, str) and bool(_AWS_ALIAS.match(key))


def rotation_applies(meta: dict) -> bool:
    """Only symmetric keys with AWS-made key material rotate (GetKeyRotationStatus)."""
    spec = meta.get("KeySpec") or meta.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    return spec == "SYMMETRIC_DEFAULT" and meta.get("Origin", "AWS_KMS") == "AWS_KMS"


def properties(
    meta: dict, aliases, rotation=None, policy=None, tags=None, deletion=None, account: str | None = None
) -> dict:
    customer = meta.get("KeyManager", "CUSTOMER") == "CUSTOMER"
    window = meta.get("PendingDeletionWindowInDays")
    if window is None and deletion is not None:
        window = deletion if is_marker(deletion) else deletion.get("PendingWindowInDays")
    props = {
        "arn": meta.get("Arn"),
        "key_manager": meta.get("KeyManager", "CUSTOMER"),
        "key_state": meta.get("KeyState"),
        "key_spec": meta.get("KeySpec") or meta.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT",
        "aliases": sorted(aliases),
        "deletion_window_days": window,
    }
    if not customer:
        props.update(tags={}, rotation_enabled=True)  # AWS-managed keys rotate yearly, by AWS
        return props
    props["tags"] = prop(_tags, tags)
    props["rotation_enabled"] = (
        prop(lambda: bool(need(need(rotation).get("KeyRotationEnabled")))) if rotation_applies(meta) else False
    )
    props["policy"] = prop(lambda: parsed(awspolicy.key_policy_facts, need(policy).get("Policy"), account))
    return props


def _tags(resp) -> dict:
    out = {}
    for t in need(need(resp).get("Tags")) or []:
        k, v = need(t.get("TagKey")), need(t.get("TagValue"))
        if isinstance(k, str) and isinstance(v, str):
            out[k] = v
    return out
