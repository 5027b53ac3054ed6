"""Planned-resource records -> Resources of the shared aws.* types (rules/schema/types).

Pulumi type tokens are matched without their v6 "V2" suffix (aws:s3/bucketV2:BucketV2 and
pulumi-aws v7's aws:s3/bucket:Bucket read alike). S3 buckets are joined with their
separate encryption / versioning / public access block / ownership / ACL / policy /
logging / object lock / lifecycle / replication resources by bucket id (or, when the id is
not known yet, by the property dependency on the bucket's URN). A property built from a
value Pulumi could not know is itself {"$unknown": ...}; a sub-resource that cannot be
joined makes that property unknown on every bucket that lacks one, never a pass.

What the program does not declare gets AWS's documented default for a new resource
(SSE-S3 encryption, BucketOwnerEnforced, versioning off, no logging, ...), written out
explicitly so rules can fail on it.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict

from .. import awspolicy
from ..model import ERROR_KEY, UNKNOWN_KEY, Resource, error_value, unknown
from . import UNKNOWN_SENTINEL

ARCHIVE_CLASSES = {"GLACIER", "GLACIER_IR", "DEEP_ARCHIVE", "INTELLIGENT_TIERING"}
PUBLIC_GRANTEES = ("http://acs.amazonaws.com/groups/global/AllUsers",
                   "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
CANNED_PUBLIC = {"public-read": ["READ"], "public-read-write": ["READ", "WRITE"], "authenticated-read": ["READ"]}
BUCKET_SUBS = {  # canonical sub-resource type -> the bucket property it fills
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "encryption",
    "aws:s3/bucketVersioning:BucketVersioning": "versioning",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "public_access_block",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "ownership",
    "aws:s3/bucketAcl:BucketAcl": "acl",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:s3/bucketLogging:BucketLogging": "logging",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": "object_lock",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "lifecycle",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": "replication",
}
BUCKET = "aws:s3/bucket:Bucket"
_ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):")


class _Unknown(Exception):
    """A value needed to build a property is a marker: the property becomes that marker."""
    def __init__(self, marker: dict):
        self.marker = marker


def is_marker(v) -> bool:
    return type(v) is dict and (UNKNOWN_KEY in v or ERROR_KEY in v)


def need(v):
    if is_marker(v):
        raise _Unknown(v)
    return v


def canonical(token: str) -> str:
    parts = token.split(":")
    if len(parts) != 3:
        return token
    pkg, mod, cls = parts
    if mod.endswith("V2"):
        mod = mod[:-2]
    if cls.endswith("V2"):
        cls = cls[:-2]
    return f"{pkg}:{mod}:{cls}"


def _num(v):
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, dict):
        return {k: _num(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_num(x) for x in v]
    return v


def _secret(v) -> bool:
    return type(v) is dict and v.get(UNKNOWN_KEY) == "secret"


def merged(rec: dict) -> dict:
    """Outputs over inputs, except where the output is computed-unknown (a preview of a
    create) but the input is known. A secret on either side stays a secret."""
    out = dict(rec["inputs"])
    for k, v in rec["outputs"].items():
        if _secret(v) or not (is_marker(v) and k in out and not is_marker(out[k])):
            out[k] = v
    return _num(out)


def g(d, *path, default=None):
    """Nested get; a marker met on the way is returned as is."""
    for p in path:
        if is_marker(d):
            return d
        if isinstance(d, dict):
            d = d.get(p)
        elif isinstance(d, list) and isinstance(p, int):
            d = d[p] if len(d) > p else None
        else:
            return default
        if d is None:
            return default
    return d


def _prop(build, *args):
    try:
        return build(*args)
    except _Unknown as u:
        return u.marker


def _contains_sentinel(doc) -> bool:
    if isinstance(doc, str):
        return UNKNOWN_SENTINEL in doc
    if isinstance(doc, dict):
        return any(_contains_sentinel(v) for v in doc.values())
    if isinstance(doc, list):
        return any(_contains_sentinel(v) for v in doc)
    return False


def policy_facts(doc, facts, *args) -> dict:
    need(doc)
    try:
        parsed = awspolicy.load_document(doc)
    except ValueError as e:
        return error_value(str(e))
    if _contains_sentinel(parsed):
        return unknown("policy contains values computed at deploy time")
    try:
        return facts(parsed, *args)
    except (ValueError, TypeError, AttributeError) as e:
        return error_value(f"policy could not be read: {e}")


class Plan:
    """The records of one plan, indexed for joins."""

    def __init__(self, records: list[dict], source: str, account: str | None, region: str | None):
        self.source = source
        self.records = [dict(r, ctype=canonical(r["type"]), props=merged(r)) for r in records]
        self.by_urn = {r["urn"]: r for r in self.records}
        self.by_type: dict[str, list[dict]] = defaultdict(list)
        for r in self.records:
            self.by_type[r["ctype"]].append(r)
        providers = {}
        for r in self.records:
            if r["ctype"].startswith("pulumi:providers:aws"):
                reg = r["props"].get("region")
                providers[f"{r['urn']}::{r['id']}"] = reg if isinstance(reg, str) else None
                if region is None and r["name"].startswith("default") and isinstance(reg, str):
                    region = reg
        self.region = region or "us-east-1"
        self.providers = providers
        self.urns: dict[tuple[str, str], str] = {}  # (type, id) -> URN of the record it came from
        self.account = account or self._account_from_arns()

    def _account_from_arns(self) -> str | None:
        for r in self.records:
            m = _ARN_ACCOUNT.match(str(r["props"].get("arn") or ""))
            if m:
                return m.group(1)
        return None

    def region_of(self, rec: dict) -> str:
        if rec.get("region"):
            return rec["region"]
        reg = rec["props"].get("region")
        if isinstance(reg, str):
            return reg
        return self.providers.get(rec.get("provider") or "") or self.region

    def ref(self, rec: dict, prop: str, index: dict):
        """The record `rec.prop` points at through `index` (value -> record), by value or
        by property dependency. None when it points at nothing in the plan; a marker when
        the value is unknown and no dependency says where it points."""
        v = rec["props"].get(prop)
        if isinstance(v, str) and v in index:
            return index[v]
        for urn in rec.get("deps", {}).get(prop, []):
            if urn in index:
                return index[urn]
        if is_marker(v):
            return v
        return None

    def named(self, rtype: str, rec: dict, props: dict) -> Resource:
        """A resource identified by its ARN and named by its `name` (Pulumi's when unset)."""
        p = rec["props"]
        return self.resource(rtype, rec, p.get("arn") or rec["id"], p.get("name") or rec["name"], props)

    def resource(self, rtype: str, rec: dict, rid: str, name: str, props: dict, global_: bool = False) -> Resource:
        self.urns[(rtype, str(rid))] = rec["urn"]
        return Resource(type=rtype, id=str(rid), name=str(name), source=self.source, properties=props,
                        account=self.account, region=None if global_ else self.region_of(rec))


def _index(recs: list[dict], *props: str) -> dict:
    idx = {}
    for r in recs:
        idx[r["urn"]] = r
        if r.get("id"):
            idx[r["id"]] = r
        for p in props:
            v = r["props"].get(p)
            if isinstance(v, str):
                idx[v] = r
    return idx


def _tags(p: dict):
    tags = p.get("tags")
    if is_marker(tags):
        return tags
    return {k: v for k, v in (tags or {}).items() if isinstance(v, str)}


# ---------------------------------------------------------------------------------------
# S3 buckets

def _encryption(sub, bucket):
    if sub is None:
        inline = need(bucket.get("serverSideEncryptionConfiguration"))  # the bucket's deprecated inline form
        if not inline:
            return {"sse_algorithm": "AES256", "kms_key_id": None, "kms_key_managed_by": "none",
                    "bucket_key_enabled": False}
        sub = {"rules": [need(inline.get("rule"))]}
    rule = need(g(need(sub.get("rules")), 0)) or {}
    default = need(g(rule, "applyServerSideEncryptionByDefault")) or {}
    alg = need(default.get("sseAlgorithm"))
    key = default.get("kmsMasterKeyId")
    if alg == "AES256":
        managed = "none"
    elif is_marker(key):
        managed = key
    else:
        managed = "aws" if key is None or str(key).startswith("alias/aws/") else "customer"
    return {"sse_algorithm": alg, "kms_key_id": key, "kms_key_managed_by": managed,
            "bucket_key_enabled": bool(need(rule.get("bucketKeyEnabled", False)))}


def _versioning(sub, bucket):
    if sub is None:
        inline = bucket.get("versioning")
        if isinstance(inline, dict) and "enabled" in inline:
            return {"status": "Enabled" if need(inline["enabled"]) else "Suspended",
                    "mfa_delete": bool(need(inline.get("mfaDelete", False)))}
        locked = need(bucket.get("objectLockEnabled", False))
        return {"status": "Enabled" if locked else "Disabled", "mfa_delete": False}
    conf = need(sub.get("versioningConfiguration")) or {}
    return {"status": need(conf.get("status", "Disabled")), "mfa_delete": need(conf.get("mfaDelete", "Disabled")) == "Enabled"}


def _object_lock(sub, bucket):
    enabled = bool(need(bucket.get("objectLockEnabled", False)))
    if sub is None:
        return {"enabled": enabled, "mode": None, "retention_days": None}
    enabled = enabled or need(sub.get("objectLockEnabled", "Enabled")) == "Enabled"
    ret = need(g(sub, "rule", "defaultRetention")) or {}
    days, years = need(ret.get("days")), need(ret.get("years"))
    return {"enabled": enabled, "mode": need(ret.get("mode")),
            "retention_days": days if days is not None else (years * 365 if years is not None else None)}


def _public_access_block(sub, _):
    keys = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")
    names = ("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets")
    return {n: bool(need(sub.get(k, False))) if sub else False for n, k in zip(names, keys)}


def _ownership(sub, _):
    if sub is None:
        return {"object_ownership": "BucketOwnerEnforced"}  # the default for new buckets since April 2023
    return {"object_ownership": need(g(sub, "rule", "objectOwnership"))}


def _acl(sub, bucket):
    grants: list[str] = []
    canned = (sub or {}).get("acl") or bucket.get("acl")
    grants.extend(CANNED_PUBLIC.get(need(canned), []) if canned else [])
    for gr in need(g(sub or {}, "accessControlPolicy", "grants", default=[])) or []:
        if need(g(gr, "grantee", "uri")) in PUBLIC_GRANTEES:
            perm = need(gr.get("permission"))
            if perm not in grants:
                grants.append(perm)
    return {"public_grants": grants}


def _logging(sub, bucket):
    if sub is None:
        sub = need(bucket.get("logging"))  # the bucket's deprecated inline form
    if not sub:
        return {"enabled": False, "target_bucket": None}
    return {"enabled": True, "target_bucket": need(sub.get("targetBucket"))}


def _lifecycle(sub, _):
    if sub is None:
        return {"enabled": False, "archive_transition": False, "rules": 0}
    rules = need(sub.get("rules")) or []
    enabled = [r for r in rules if need(r.get("status")) == "Enabled"]
    archive = any(need(t.get("storageClass")) in ARCHIVE_CLASSES
                  for r in enabled for t in (need(r.get("transitions")) or []))
    return {"enabled": bool(enabled), "archive_transition": archive, "rules": len(rules)}


class Buckets:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.buckets = plan.by_type.get(BUCKET, [])
        self.index = _index(self.buckets, "bucket", "arn")
        self.subs: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
        self.unjoined: dict[str, dict] = {}
        for ctype, prop in BUCKET_SUBS.items():
            for sub in plan.by_type.get(ctype, []):
                target = plan.ref(sub, "bucket", self.index)
                if target is None:
                    continue  # a bucket this program does not manage
                if is_marker(target):
                    self.unjoined[prop] = unknown(f"a {ctype.rsplit(':', 1)[-1]} for a bucket not known until deploy")
                    continue
                self.subs[target["urn"]][prop].append(sub["props"])

    def region_of_arn(self, arn):
        rec = self.index.get(arn) if isinstance(arn, str) else None
        return self.plan.region_of(rec) if rec else None

    def _replication(self, subs, _):
        if not subs:
            return {"enabled": False, "destinations": []}
        dests, enabled = [], False
        for sub in subs:
            for rule in need(sub.get("rules")) or []:
                if need(rule.get("status")) != "Enabled":
                    continue
                enabled = True
                d = need(rule.get("destination")) or {}
                arn = need(d.get("bucket"))
                dests.append({"bucket": arn, "account": d.get("account"), "region": self.region_of_arn(arn),
                              "kms_key_id": g(d, "encryptionConfiguration", "replicaKmsKeyId"),
                              "storage_class": d.get("storageClass")})
        return {"enabled": enabled, "destinations": dests}

    def resources(self) -> list[Resource]:
        plan, out = self.plan, []
        for rec in self.buckets:
            p = rec["props"]
            name = p.get("bucket") if isinstance(p.get("bucket"), str) else (rec.get("id") or rec["name"])
            subs = self.subs[rec["urn"]]
            props = {"arn": p["arn"] if isinstance(p.get("arn"), str) else f"arn:aws:s3:::{name}", "tags": _tags(p)}
            for prop, build in (("encryption", _encryption), ("versioning", _versioning),
                                ("object_lock", _object_lock), ("public_access_block", _public_access_block),
                                ("ownership", _ownership), ("acl", _acl), ("logging", _logging),
                                ("lifecycle", _lifecycle)):
                found = subs.get(prop, [])
                if not found and prop in self.unjoined:
                    props[prop] = self.unjoined[prop]
                    continue
                props[prop] = _prop(build, found[-1] if found else None, p)
            if not subs.get("policy") and "policy" in self.unjoined:
                props["policy"] = self.unjoined["policy"]
            else:
                doc = subs["policy"][-1].get("policy") if subs.get("policy") else p.get("policy")
                props["policy"] = _prop(policy_facts, doc, awspolicy.bucket_policy_facts, plan.account)
            if not subs.get("replication") and "replication" in self.unjoined:
                props["replication"] = self.unjoined["replication"]
            else:
                props["replication"] = _prop(self._replication, subs.get("replication", []), p)
            out.append(plan.resource("aws.s3_bucket", rec, name, name, props))
        return out


# ---------------------------------------------------------------------------------------
# other types

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
            by_region.setdefault(region, {}).update(fill(rec["props"]))
            first.setdefault(region, rec)
    for region, rec in first.items():
        plan.urns[("aws.ec2_region", f"{plan.account}:{region}")] = rec["urn"]
    return [Resource(type="aws.ec2_region", id=f"{plan.account}:{region}", name=f"{region} ({first[region]['name']})",
                     source=plan.source, properties=props, account=plan.account, region=region)
            for region, props in by_region.items()]


def _rule_items(rules, cidr_keys=("cidrBlocks", "ipv6CidrBlocks")) -> list[dict]:
    items = []
    for r in need(rules) or []:
        proto = str(need(r.get("protocol", r.get("ipProtocol", "-1")))).lower()
        proto = "-1" if proto in ("all", "-1") else proto
        lo, hi = need(r.get("fromPort", 0)), need(r.get("toPort", 0))
        rng = {"from": 0, "to": 65535} if proto == "-1" else {"from": int(lo or 0), "to": int(hi or 0)}
        cidrs = [c for k in cidr_keys for c in (need(r.get(k)) or [])]
        for single in ("cidrIpv4", "cidrIpv6"):
            if isinstance(need(r.get(single)), str):
                cidrs.append(r[single])
        base = {"protocol": proto, "port_range": rng, "description": r.get("description")}
        items.extend([dict(base, cidr=need(c)) for c in cidrs] or [base])
    return items


def security_groups(plan: Plan) -> list[Resource]:
    groups = plan.by_type.get("aws:ec2/securityGroup:SecurityGroup", []) + \
        plan.by_type.get("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", [])
    idx = _index(groups)
    extra: dict[str, dict[str, list]] = defaultdict(lambda: {"ingress": [], "egress": []})
    for ctype, direction in (("aws:ec2/securityGroupRule:SecurityGroupRule", None),
                             ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ingress"),
                             ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "egress")):
        for rec in plan.by_type.get(ctype, []):
            target = plan.ref(rec, "securityGroupId", idx)
            if target is None:
                continue
            d = direction or rec["props"].get("type")
            key = target["urn"] if "urn" in target else None
            extra[key or "?"][d if d in ("ingress", "egress") else "ingress"].append(rec["props"])
    out = []
    for rec in groups:
        p = rec["props"]
        props = {"group_id": rec.get("id") or rec["name"], "vpc_id": p.get("vpcId"),
                 "is_default": rec["ctype"].endswith("DefaultSecurityGroup"), "tags": _tags(p)}
        for d in ("ingress", "egress"):
            inline = p.get(d) or []
            props[d] = _prop(lambda: _rule_items(inline) + _rule_items(extra[rec["urn"]][d]))
        out.append(plan.resource("aws.ec2_security_group", rec, props["group_id"], p.get("name") or rec["name"], props))
    return out


def vpcs(plan: Plan) -> list[Resource]:
    vpc_recs = plan.by_type.get("aws:ec2/vpc:Vpc", [])
    idx = _index(vpc_recs)

    def owned(ctype, prop="vpcId"):
        found = defaultdict(list)
        for rec in plan.by_type.get(ctype, []):
            t = plan.ref(rec, prop, idx)
            found["?" if t is None or is_marker(t) else t["urn"]].append(rec)
        return found
    flows, igws = owned("aws:ec2/flowLog:FlowLog"), owned("aws:ec2/internetGateway:InternetGateway")
    attach = owned("aws:ec2/internetGatewayAttachment:InternetGatewayAttachment")
    tables, endpoints = owned("aws:ec2/routeTable:RouteTable"), owned("aws:ec2/vpcEndpoint:VpcEndpoint")
    igw_ids = {r.get("id") for r in plan.by_type.get("aws:ec2/internetGateway:InternetGateway", [])}
    rt_idx = _index(plan.by_type.get("aws:ec2/routeTable:RouteTable", []))
    routes = defaultdict(list)
    for r in plan.by_type.get("aws:ec2/route:Route", []):
        t = plan.ref(r, "routeTableId", rt_idx)
        if isinstance(t, dict) and "urn" in t:
            routes[t["urn"]].append(r["props"])
    assoc = defaultdict(list)
    for a in plan.by_type.get("aws:ec2/routeTableAssociation:RouteTableAssociation", []):
        t = plan.ref(a, "routeTableId", rt_idx)
        if isinstance(t, dict) and "urn" in t:
            assoc[t["urn"]].append(a["props"].get("subnetId"))

    def to_igw(route) -> bool:
        dest = route.get("cidrBlock") or route.get("destinationCidrBlock") or route.get("ipv6CidrBlock") \
            or route.get("destinationIpv6CidrBlock")
        gw = route.get("gatewayId")
        return dest in ("0.0.0.0/0", "::/0") and isinstance(gw, str) and (gw in igw_ids or gw.startswith("igw-"))

    out = []
    for rec in vpc_recs:
        p, urn = rec["props"], rec["urn"]
        flow = flows.get(urn, [])
        public = []
        for t in tables.get(urn, []):
            rts = (t["props"].get("routes") or []) + routes.get(t["urn"], [])
            if any(to_igw(r) for r in rts if isinstance(r, dict)):
                public.extend(s for s in assoc.get(t["urn"], []) if isinstance(s, str))
        s3_eps = [e["props"] for e in endpoints.get(urn, [])
                  if str(e["props"].get("serviceName", "")).endswith(".s3")]
        props = {"arn": p.get("arn"), "tags": _tags(p), "flow_logs_enabled": bool(flow),
                 "flow_logs_destination": (flow[0]["props"].get("logDestination") or flow[0]["props"].get("logGroupName"))
                 if flow else None,
                 "internet_gateway_attached": bool(igws.get(urn) or attach.get(urn)),
                 "public_subnet_routes": sorted(public),
                 "s3_endpoint_policy_allows_all": _prop(_endpoint_allows_all, s3_eps) if s3_eps else None}
        if "?" in flows and not flow:  # a flow log whose VPC is not known until deploy
            props["flow_logs_enabled"] = unknown("a flow log for a VPC not known until deploy")
        out.append(plan.resource("aws.vpc", rec, rec.get("id") or rec["name"], rec["name"], props))
    return out


def _endpoint_allows_all(eps: list[dict]):
    verdicts = [policy_facts(e.get("policy"), awspolicy.vpc_endpoint_policy_facts) if e.get("policy") is not None
                else {"allows_all": True} for e in eps]
    for v in verdicts:
        if is_marker(v):
            return v
    return any(v["allows_all"] for v in verdicts)


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


BUILDERS = (lambda plan: Buckets(plan).resources(), kms_keys, trails, log_groups, iam_account, s3_account,
            ec2_regions, security_groups, vpcs, backup, iam_roles)


def normalize(records: list[dict], source: str, account: str | None = None,
              region: str | None = None, urns: dict | None = None) -> list[Resource]:
    """`urns`, when given, is filled with (type, id) -> the URN each Resource came from."""
    plan = Plan(records, source, account, region)
    out: list[Resource] = []
    for build in BUILDERS:
        out.extend(build(plan))
    if urns is not None:
        urns.update(plan.urns)
    return out
