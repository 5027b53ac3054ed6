"""The account-, key-, log- and backup-level aws.* types from their Pulumi resources."""
from __future__ import annotations

from collections import defaultdict

from enamel_hipaa.sources.normalise.aws import policy as awspolicy
from enamel_hipaa.sources.normalise.aws.backup_plan import frequency_hours
from enamel_hipaa.core.model import Resource
from enamel_hipaa.sources.pulumi.plan import Plan, _index, _prop, _tags, g, is_marker, need, policy_facts
from enamel_hipaa.sources.pulumi.s3 import _public_access_block


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
        props = {
            "arn": p.get("arn"), "tags": _tags(p), "key_manager": "CUSTOMER",
            "key_state": "Enabled" if p.get("isEnabled", True) is True else (
                p["isEnabled"] if is_marker(p["isEnabled"]) else "Disabled"),
            "key_spec": p.get("customerMasterKeySpec") or p.get("keySpec") or "SYMMETRIC_DEFAULT",
            "rotation_enabled": p.get("enableKeyRotation", False),
            "deletion_window_days": p.get("deletionWindowInDays", 30),
            "aliases": sorted(aliases[rec["urn"]]),
            "policy": _prop(policy_facts, doc, awspolicy.key_policy_facts, plan.account),
        }
        rid = p["arn"] if isinstance(p.get("arn"), str) else rec.get("id") or rec["name"]
        name = props["aliases"][0] if props["aliases"] else (rec.get("id") or rec["name"])
        out.append(plan.resource("aws.kms_key", rec, rid, name, props))
    return out


def _data_events(p: dict) -> dict:
    all_buckets, names = False, []

    def take(values):
        nonlocal all_buckets
        for v in need(values) or []:
            v = need(v)
            if v in ("arn:aws:s3", "arn:aws:s3:::"):
                all_buckets = True
            elif v.startswith("arn:aws:s3:::"):
                n = v[len("arn:aws:s3:::"):].split("/")[0]
                if n and n not in names:
                    names.append(n)
    for sel in need(p.get("eventSelectors")) or []:
        for dr in need(sel.get("dataResources")) or []:
            if need(dr.get("type")) == "AWS::S3::Object":
                take(dr.get("values"))
    for sel in need(p.get("advancedEventSelectors")) or []:
        fields = {need(f.get("field")): f for f in need(sel.get("fieldSelectors")) or []}
        if need(g(fields, "resources.type", "equals", default=[])) != ["AWS::S3::Object"]:
            continue
        arns = g(fields, "resources.ARN", "startsWith", default=None)
        if arns is None:
            all_buckets = True
        else:
            take(arns)
    return {"s3_all_buckets": all_buckets, "s3_buckets": names}


def trails(plan: Plan) -> list[Resource]:
    out = []
    for rec in plan.by_type.get("aws:cloudtrail/trail:Trail", []):
        p = rec["props"]
        group = p.get("cloudWatchLogsGroupArn")
        if isinstance(group, str) and group.endswith(":*"):
            group = group[:-2]
        props = {"arn": p.get("arn"), "multi_region": p.get("isMultiRegionTrail", False),
                 "log_file_validation": p.get("enableLogFileValidation", False),
                 "kms_key_id": p.get("kmsKeyId"), "is_logging": p.get("enableLogging", True),
                 "s3_bucket": p.get("s3BucketName"), "cloudwatch_log_group_arn": group,
                 "data_events": _prop(_data_events, p)}
        out.append(plan.named("aws.cloudtrail_trail", rec, props))
    return out


def log_groups(plan: Plan) -> list[Resource]:
    out = []
    for rec in plan.by_type.get("aws:cloudwatch/logGroup:LogGroup", []):
        p = rec["props"]
        days = p.get("retentionInDays")
        props = {"arn": p.get("arn"), "kms_key_id": p.get("kmsKeyId"),
                 "retention_days": days if days else None,
                 "retention_never_expires": days if is_marker(days) else not days}
        out.append(plan.named("aws.cloudwatch_log_group", rec, props))
    return out


def iam_account(plan: Plan) -> list[Resource]:
    out = []
    for rec in plan.by_type.get("aws:iam/accountPasswordPolicy:AccountPasswordPolicy", []):
        p = rec["props"]
        props = {"password_policy": {
            "present": True, "minimum_length": p.get("minimumPasswordLength", 6),
            "require_symbols": p.get("requireSymbols", False), "require_numbers": p.get("requireNumbers", False),
            "require_uppercase": p.get("requireUppercaseCharacters", False),
            "require_lowercase": p.get("requireLowercaseCharacters", False),
            "reuse_prevention": p.get("passwordReusePrevention"), "max_age_days": p.get("maxPasswordAge")}}
        # named after the Pulumi resource that declares it, so two programs stay apart
        out.append(plan.resource("aws.iam_account", rec, plan.account or "account", rec["name"], props, global_=True))
    return out


def s3_account(plan: Plan) -> list[Resource]:
    out = []
    for rec in plan.by_type.get("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", []):
        out.append(plan.resource("aws.s3_account", rec, plan.account or "account", rec["name"],
                                 {"public_access_block": _public_access_block(rec["props"], None)}, global_=True))
    return out


def ec2_regions(plan: Plan) -> list[Resource]:
    by_region: dict[str, dict] = {}
    first: dict[str, dict] = {}
    for ctype, fill in (("aws:ebs/encryptionByDefault:EncryptionByDefault",
                         lambda p: {"ebs_encryption_by_default": p.get("enabled", True)}),
                        ("aws:ebs/defaultKmsKey:DefaultKmsKey", lambda p: {"ebs_default_kms_key_id": p.get("keyArn")}),
                        ("aws:guardduty/detector:Detector", lambda p: {"guardduty_enabled": p.get("enable", True)})):
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
        out.append(Resource(type="aws.ec2_region", id=f"{plan.account}:{region}", name=f"{region} ({owner})",
                            source=plan.source, properties=props, account=plan.account, region=region))
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
        props = {"arn": p.get("arn"), "kms_key_id": p.get("kmsKeyArn"), "locked": lk is not None,
                 "min_retention_days": (lk or {}).get("minRetentionDays"),
                 "max_retention_days": (lk or {}).get("maxRetentionDays")}
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
                other = any(isinstance(c.get("destinationVaultArn"), str)
                            and c["destinationVaultArn"].split(":")[3] != home for c in copies)
                out_rules.append({"name": r.get("ruleName"), "schedule": r.get("schedule"),
                                  "frequency_hours": frequency_hours(r.get("schedule"))
                                  if isinstance(r.get("schedule"), str) else None,
                                  "delete_after_days": g(r, "lifecycle", "deleteAfter"),
                                  "target_vault": r.get("targetVaultName"), "copy_to_other_region": other})
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
