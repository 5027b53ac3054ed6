"""The account-, key-, log- and backup-level aws.* types from their Pulumi resources."""

from __future__ import annotations

from collections import defaultdict

from enamel_hipaa.core.model import Resource, unknown
from enamel_hipaa.sources.normalise.aws import cloudtrail_trail, kms_key, log_group, s3_bucket
from enamel_hipaa.sources.normalise.aws import policy as awspolicy
from enamel_hipaa.sources.normalise.values import g
from enamel_hipaa.sources.pulumi.plan import (
    Plan,
    _index,
    _prop,
    _tags,
    contains_sentinel,
    is_marker,
    need,
    policy_facts,
)
from enamel_hipaa.sources.pulumi.s3 import _public_access_block, api_spelling
from enamel_hipaa.sources.normalise.aws.backup_plan import frequency_hours


def kms_keys(plan: Plan) -> list[Resource]:
    keys = plan.by_type.get("aws:kms/key:Key", [])
    idx = _index(keys, "keyId", "arn")
    aliases: dict[str, list[str]] = defaultdict(list)
    for a in plan.by_type.get("aws:kms/alias:Alias", []):
        target = plan.ref(a, "targetKeyId", idx)
        if isinstance(target, dict) and "urn" in target and isinstance(a["props"].get("name"), str):
            aliases[target["urn"]].append(a["props"]["name"])
    out = []
    for rec in keys:
        p = rec["props"]
        doc = p.get("policy") or awspolicy.default_key_policy(plan.account or "000000000000")
        enabled = p.get("isEnabled", True)
        meta = {
            "Arn": p.get("arn"),
            "KeyManager": "CUSTOMER",
            "Origin": "AWS_KMS",
            "KeyState": p.get("keyState")  # PendingDeletion: a Terraform plan destroys the key
            or (enabled if is_marker(enabled) else ("Enabled" if enabled is True else "Disabled")),
            "KeySpec": p.get("customerMasterKeySpec") or p.get("keySpec") or "SYMMETRIC_DEFAULT",
        }
        tags = _tags(p)
        props = kms_key.properties(
            meta,
            aliases[rec["urn"]],
            rotation={"KeyRotationEnabled": p.get("enableKeyRotation", False)},
            policy=_prop(_key_policy, doc),
            account=plan.account,
            tags=tags if is_marker(tags) else {"Tags": [{"TagKey": k, "TagValue": v} for k, v in tags.items()]},
            deletion={"PendingWindowInDays": p.get("deletionWindowInDays", 30)},
        )
        rid = p["arn"] if isinstance(p.get("arn"), str) else rec.get("id") or rec["name"]
        name = props["aliases"][0] if props["aliases"] else (rec.get("id") or rec["name"])
        out.append(plan.resource("aws.kms_key", rec, rid, name, props))
    return out


def _key_policy(doc):
    """A planned key policy as GetKeyPolicy answers (unknown while it holds deploy-time values)."""
    need(doc)
    try:
        if contains_sentinel(awspolicy.load_document(doc)):
            return unknown("policy contains values computed at deploy time")
    except ValueError:
        pass  # unreadable: the normaliser reports it
    return {"Policy": doc}


def trails(plan: Plan) -> list[Resource]:
    out = []
    for rec in plan.by_type.get("aws:cloudtrail/trail:Trail", []):
        p = rec["props"]
        trail = {
            "TrailARN": p.get("arn"),
            "IsMultiRegionTrail": p.get("isMultiRegionTrail", False),
            "LogFileValidationEnabled": p.get("enableLogFileValidation", False),
            "KmsKeyId": p.get("kmsKeyId"),
            "S3BucketName": p.get("s3BucketName"),
            "CloudWatchLogsLogGroupArn": p.get("cloudWatchLogsGroupArn"),
        }
        selectors = {
            "EventSelectors": api_spelling(p.get("eventSelectors") or []),
            "AdvancedEventSelectors": api_spelling(p.get("advancedEventSelectors") or []),
        }
        props = cloudtrail_trail.properties(trail, {"IsLogging": p.get("enableLogging", True)}, selectors)
        out.append(plan.named("aws.cloudtrail_trail", rec, props))
    return out


def log_groups(plan: Plan) -> list[Resource]:
    out = []
    for rec in plan.by_type.get("aws:cloudwatch/logGroup:LogGroup", []):
        p = rec["props"]
        group = {
            "logGroupName": p.get("name"),
            "arn": p.get("arn"),
            "kmsKeyId": p.get("kmsKeyId"),
            "retentionInDays": p.get("retentionInDays"),
        }
        out.append(plan.named("aws.cloudwatch_log_group", rec, log_group.properties(group)))
    return out


def iam_account(plan: Plan) -> list[Resource]:
    out = []
    for rec in plan.by_type.get("aws:iam/accountPasswordPolicy:AccountPasswordPolicy", []):
        p = rec["props"]
        props = {
            "password_policy": {
                "present": True,
                "minimum_length": p.get("minimumPasswordLength", 6),
                "require_symbols": p.get("requireSymbols", False),
                "require_numbers": p.get("requireNumbers", False),
                "require_uppercase": p.get("requireUppercaseCharacters", False),
                "require_lowercase": p.get("requireLowercaseCharacters", False),
                "reuse_prevention": p.get("passwordReusePrevention"),
                "max_age_days": p.get("maxPasswordAge"),
            }
        }
        # named after the Pulumi resource that declares it, so two programs stay apart
        out.append(plan.resource("aws.iam_account", rec, plan.account or "account", rec["name"], props, global_=True))
    return out


def s3_account(plan: Plan) -> list[Resource]:
    out = []
    for rec in plan.by_type.get("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", []):
        out.append(
            plan.resource(
                "aws.s3_account",
                rec,
                plan.account or "account",
                rec["name"],
                {"public_access_block": _prop(s3_bucket.public_access_block, _public_access_block(rec["props"], None))},
                global_=True,
            )
        )
    return out


def ec2_regions(plan: Plan) -> list[Resource]:
    by_region: dict[str, dict] = {}
    first: dict[str, dict] = {}
    for ctype, fill in (
        (
            "aws:ebs/encryptionByDefault:EncryptionByDefault",
            lambda p: {"ebs_encryption_by_default": p.get("enabled", True)},
        ),
        ("aws:ebs/defaultKmsKey:DefaultKmsKey", lambda p: {"ebs_default_kms_key_id": p.get("keyArn")}),
        ("aws:guardduty/detector:Detector", lambda p: {"guardduty_enabled": p.get("enable", True)}),
    ):
        for rec in plan.by_type.get(ctype, []):
            region = plan.region_of(rec)
            filled = fill(rec["props"])
            by_region.setdefault(region, {}).update(filled)
            first.setdefault(region, rec)
            for key in filled:  # which Pulumi resource declared each property
                plan.urns[("aws.ec2_region", f"{plan.account}:{region}", key)] = rec["urn"]
    out = []
    for region, props in by_region.items():
        if "ebs_encryption_by_default" in props and "ebs_default_kms_key_id" not in props:
            # no DefaultKmsKey declared: AWS encrypts with its managed key, which live
            # GetEbsDefaultKmsKeyId reports as alias/aws/ebs (and live reads no key when off)
            on = props["ebs_encryption_by_default"]
            props["ebs_default_kms_key_id"] = on if is_marker(on) else ("alias/aws/ebs" if on else None)
        rec = first[region]
        plan.urns[("aws.ec2_region", f"{plan.account}:{region}")] = rec["urn"]
        owner = (rec.get("parent") or rec["urn"]).rsplit("::", 1)[-1]  # the component, so two programs stay apart
        out.append(
            Resource(
                type="aws.ec2_region",
                id=f"{plan.account}:{region}",
                name=f"{region} ({owner})",
                source=plan.source,
                properties=props,
                account=plan.account,
                region=region,
            )
        )
    return out


def backup(plan: Plan) -> list[Resource]:
    vaults = plan.by_type.get("aws:backup/vault:Vault", [])
    vidx = _index(vaults, "name")
    locks = {}
    for lk in plan.by_type.get("aws:backup/vaultLockConfiguration:VaultLockConfiguration", []):
        t = plan.ref(lk, "backupVaultName", vidx)
        if isinstance(t, dict) and "urn" in t:
            locks[t["urn"]] = lk["props"]
    out = []
    for rec in vaults:
        p, lk = rec["props"], locks.get(rec["urn"])
        props = {
            "arn": p.get("arn"),
            "kms_key_id": p.get("kmsKeyArn"),
            "locked": lk is not None,
            "min_retention_days": (lk or {}).get("minRetentionDays"),
            "max_retention_days": (lk or {}).get("maxRetentionDays"),
        }
        out.append(plan.named("aws.backup_vault", rec, props))
    plans = plan.by_type.get("aws:backup/plan:Plan", [])
    pidx = _index(plans)
    selected = defaultdict(list)
    for sel in plan.by_type.get("aws:backup/selection:Selection", []):
        t = plan.ref(sel, "planId", pidx)
        if isinstance(t, dict) and "urn" in t:
            selected[t["urn"]].append(sel["props"].get("resources") or [])
    for rec in plans:
        p = rec["props"]
        home = plan.region_of(rec)

        def rules(p=p, home=home):
            out_rules = []
            for r in need(p.get("rules")) or []:
                copies = need(r.get("copyActions")) or []
                other = any(
                    isinstance(c.get("destinationVaultArn"), str) and c["destinationVaultArn"].split(":")[3] != home
                    for c in copies
                )
                out_rules.append(
                    {
                        "name": r.get("ruleName"),
                        "schedule": r.get("schedule"),
                        "frequency_hours": frequency_hours(r.get("schedule"))
                        if isinstance(r.get("schedule"), str)
                        else None,
                        "delete_after_days": g(r, "lifecycle", "deleteAfter"),
                        "target_vault": r.get("targetVaultName"),
                        "copy_to_other_region": other,
                    }
                )
            return out_rules

        def resources(urn=rec["urn"]):
            return sorted({need(a) for lst in selected[urn] for a in need(lst)})

        props = {"arn": p.get("arn"), "rules": _prop(rules), "selected_resources": _prop(resources)}
        out.append(plan.named("aws.backup_plan", rec, props))
    return out


def iam_roles(plan: Plan) -> list[Resource]:
    out = []
    for rec in plan.by_type.get("aws:iam/role:Role", []):
        p = rec["props"]
        facts = _prop(policy_facts, p.get("assumeRolePolicy"), awspolicy.trust_policy_facts, plan.account)
        props = {"arn": p.get("arn"), "tags": _tags(p)}
        for k in ("trusted_accounts", "trusted_services", "requires_external_id", "requires_mfa"):
            props[k] = facts if is_marker(facts) else facts[k]
        out.append(plan.named("aws.iam_role", rec, props))
    return out
