"""Terraform AWS resources -> the planned-resource records the shared per-type derivations read
(sources/pulumi/plan.py: Pulumi's camelCase inputs and type tokens).

pulumi-aws is generated from the Terraform AWS provider, so a Pulumi input is the camelCase of
the Terraform attribute; the differences are mechanical and listed per type here: a block of
at most one item is an object in Pulumi (`SINGLE`), a repeatable block takes a plural name
(`PLURAL`). The bucket's deprecated inline forms (provider v3: lifecycle_rule, grant,
object_lock_configuration, replication_configuration) become the separate sub-resources the
derivation joins, exactly as in provider v4+.
"""

from __future__ import annotations

import re

from enamel_hipaa.sources.pulumi.plan import is_marker
from enamel_hipaa.sources.terraform.planjson import Instance

# tf type -> (Pulumi type token, SINGLE blocks, PLURAL renames)
_S = frozenset
TYPES: dict[str, tuple[str, frozenset, dict]] = {
    "aws_s3_bucket": (
        "aws:s3/bucket:Bucket",
        _S(
            {
                "server_side_encryption_configuration",
                "rule",
                "apply_server_side_encryption_by_default",
                "versioning",
                "logging",
            }
        ),
        {},
    ),
    "aws_s3_bucket_server_side_encryption_configuration": (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        _S({"apply_server_side_encryption_by_default"}),
        {"rule": "rules"},
    ),
    "aws_s3_bucket_versioning": ("aws:s3/bucketVersioning:BucketVersioning", _S({"versioning_configuration"}), {}),
    "aws_s3_bucket_public_access_block": ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", _S(), {}),
    "aws_s3_bucket_ownership_controls": ("aws:s3/bucketOwnershipControls:BucketOwnershipControls", _S({"rule"}), {}),
    "aws_s3_bucket_acl": (
        "aws:s3/bucketAcl:BucketAcl",
        _S({"access_control_policy", "grantee", "owner"}),
        {"grant": "grants"},
    ),
    "aws_s3_bucket_policy": ("aws:s3/bucketPolicy:BucketPolicy", _S(), {}),
    "aws_s3_bucket_logging": ("aws:s3/bucketLogging:BucketLogging", _S(), {}),
    "aws_s3_bucket_object_lock_configuration": (
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        _S({"rule", "default_retention"}),
        {},
    ),
    "aws_s3_bucket_lifecycle_configuration": (
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        _S({"filter", "expiration", "noncurrent_version_expiration", "abort_incomplete_multipart_upload"}),
        {"rule": "rules", "transition": "transitions", "noncurrent_version_transition": "noncurrentVersionTransitions"},
    ),
    "aws_s3_bucket_replication_configuration": (
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        _S(
            {
                "destination",
                "encryption_configuration",
                "filter",
                "source_selection_criteria",
                "delete_marker_replication",
                "access_control_translation",
                "metrics",
                "replication_time",
            }
        ),
        {"rule": "rules"},
    ),
    "aws_s3_account_public_access_block": ("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", _S(), {}),
    "aws_kms_key": ("aws:kms/key:Key", _S(), {}),
    "aws_kms_alias": ("aws:kms/alias:Alias", _S(), {}),
    "aws_cloudtrail": (
        "aws:cloudtrail/trail:Trail",
        _S(),
        {
            "event_selector": "eventSelectors",
            "data_resource": "dataResources",
            "advanced_event_selector": "advancedEventSelectors",
            "field_selector": "fieldSelectors",
        },
    ),
    "aws_cloudwatch_log_group": ("aws:cloudwatch/logGroup:LogGroup", _S(), {}),
    "aws_security_group": ("aws:ec2/securityGroup:SecurityGroup", _S(), {}),
    "aws_default_security_group": ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", _S(), {}),
    "aws_security_group_rule": ("aws:ec2/securityGroupRule:SecurityGroupRule", _S(), {}),
    "aws_vpc_security_group_ingress_rule": ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", _S(), {}),
    "aws_vpc_security_group_egress_rule": ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", _S(), {}),
    "aws_iam_role": ("aws:iam/role:Role", _S(), {}),
    "aws_iam_user": ("aws:iam/user:User", _S(), {}),
    "aws_iam_user_login_profile": ("aws:iam/userLoginProfile:UserLoginProfile", _S(), {}),
    "aws_iam_access_key": ("aws:iam/accessKey:AccessKey", _S(), {}),
    "aws_iam_account_password_policy": ("aws:iam/accountPasswordPolicy:AccountPasswordPolicy", _S(), {}),
    "aws_ebs_volume": ("aws:ebs/volume:Volume", _S(), {}),
    "aws_ebs_encryption_by_default": ("aws:ebs/encryptionByDefault:EncryptionByDefault", _S(), {}),
    "aws_ebs_default_kms_key": ("aws:ebs/defaultKmsKey:DefaultKmsKey", _S(), {}),
    "aws_guardduty_detector": ("aws:guardduty/detector:Detector", _S(), {}),
    "aws_db_instance": ("aws:rds/instance:Instance", _S(), {}),
    "aws_db_parameter_group": ("aws:rds/parameterGroup:ParameterGroup", _S(), {"parameter": "parameters"}),
    "aws_rds_cluster": ("aws:rds/cluster:Cluster", _S(), {}),
    "aws_rds_cluster_instance": ("aws:rds/clusterInstance:ClusterInstance", _S(), {}),
    "aws_lb": ("aws:lb/loadBalancer:LoadBalancer", _S(), {}),
    "aws_alb": ("aws:lb/loadBalancer:LoadBalancer", _S(), {}),
    "aws_lb_listener": (
        "aws:lb/listener:Listener",
        _S({"redirect", "fixed_response", "forward"}),
        {"default_action": "defaultActions"},
    ),
    "aws_alb_listener": (
        "aws:lb/listener:Listener",
        _S({"redirect", "fixed_response", "forward"}),
        {"default_action": "defaultActions"},
    ),
    "aws_lb_listener_certificate": ("aws:lb/listenerCertificate:ListenerCertificate", _S(), {}),
    "aws_alb_listener_certificate": ("aws:lb/listenerCertificate:ListenerCertificate", _S(), {}),
    "aws_vpc": ("aws:ec2/vpc:Vpc", _S(), {}),
    "aws_flow_log": ("aws:ec2/flowLog:FlowLog", _S(), {}),
    "aws_internet_gateway": ("aws:ec2/internetGateway:InternetGateway", _S(), {}),
    "aws_internet_gateway_attachment": ("aws:ec2/internetGatewayAttachment:InternetGatewayAttachment", _S(), {}),
    "aws_route_table": ("aws:ec2/routeTable:RouteTable", _S(), {"route": "routes"}),
    "aws_route": ("aws:ec2/route:Route", _S(), {}),
    "aws_route_table_association": ("aws:ec2/routeTableAssociation:RouteTableAssociation", _S(), {}),
    "aws_vpc_endpoint": ("aws:ec2/vpcEndpoint:VpcEndpoint", _S(), {}),
    "aws_backup_vault": ("aws:backup/vault:Vault", _S(), {}),
    "aws_backup_vault_lock_configuration": ("aws:backup/vaultLockConfiguration:VaultLockConfiguration", _S(), {}),
    "aws_backup_plan": ("aws:backup/plan:Plan", _S({"lifecycle"}), {"rule": "rules", "copy_action": "copyActions"}),
    "aws_backup_selection": ("aws:backup/selection:Selection", _S(), {}),
}
# attributes that join a resource to another; a configuration reference to a managed
# instance replaces the value by that instance's address (names are not unique)
JOINS = (
    "bucket",
    "security_group_id",
    "target_key_id",
    "user",
    "load_balancer_arn",
    "listener_arn",
    "cluster_identifier",
    "parameter_group_name",
    "vpc_id",
    "route_table_id",
    "backup_vault_name",
    "plan_id",
)
# credentials whose creation date a plan creating them knows (the plan's timestamp)
CREDENTIALS = {"aws_iam_access_key", "aws_iam_user_login_profile"}
# after_unknown attributes whose value AWS takes from account state, never a documented default
ACCOUNT_STATE = {("aws_ebs_volume", "encrypted"), ("aws_ebs_volume", "kms_key_id")}
# provider-computed attributes that are after_unknown only because they are computed (used when
# the plan has no configuration section to tell)
COMPUTED = {
    "aws_s3_bucket": {
        "versioning",
        "logging",
        "server_side_encryption_configuration",
        "policy",
        "acl",
        "grant",
        "object_lock_configuration",
        "lifecycle_rule",
        "replication_configuration",
        "object_lock_enabled",
        "acceleration_status",
        "request_payer",
        "website",
        "cors_rule",
    },
    "aws_kms_key": {"policy"},
    "aws_security_group": {"ingress", "egress"},
    "aws_db_instance": {"backup_retention_period"},
}
NO_CAMEL = frozenset({"tags", "tags_all", "variables", "parameters"})
_WORD = re.compile(r"_([a-z0-9])")


def camel(name: str) -> str:
    return _WORD.sub(lambda m: m.group(1).upper(), name)


def convert(value, single: frozenset, plural: dict, key: str | None = None):
    if is_marker(value):
        return value
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if v is None or v == "":  # the provider writes an unset optional string as ""
                continue
            if k in NO_CAMEL:
                out[k] = v
                continue
            v = convert(v, single, plural, k)
            if k in single and isinstance(v, list):
                if not v:
                    continue
                v = v[0]
            out[plural.get(k) or camel(k)] = v
        return out
    if isinstance(value, list):
        return [convert(v, single, plural, key) for v in value]
    return value


def computed_default(inst: Instance, attr: str) -> bool:
    """An after_unknown attribute that stands for the provider's default, not an unknown value."""
    if (inst.type, attr) in ACCOUNT_STATE:
        return False
    if inst.configured is None:
        return attr in COMPUTED.get(inst.type, ())
    return attr not in inst.configured


def records(insts: list[Instance], region: str | None, timestamp: str | None = None) -> list[dict]:
    """`timestamp`: the plan's (when the credentials it creates are created, near enough)."""
    out = []
    for inst in insts:
        spec = TYPES.get(inst.type)
        if spec is None:
            continue
        token, single, plural = spec
        values = {
            k: v
            for k, v in inst.values.items()
            if not (k in inst.unknown_top and is_marker(v) and computed_default(inst, k))
        }
        for attr in JOINS:
            targets = inst.refs.get(attr)
            if targets and inst.type != "aws_s3_bucket":
                values[attr] = targets[0]
        new = "create" in inst.actions
        if inst.type in CREDENTIALS and new and timestamp:
            values["last_activity"] = timestamp  # created by this apply: never used, created at apply
        if inst.type == "aws_kms_key" and inst.actions == ("delete",):
            values["key_state"] = "PendingDeletion"  # destroying a key schedules its deletion
        extra = _inline_bucket_subs(inst, values) if inst.type == "aws_s3_bucket" else []
        props = convert(values, single, plural)
        if inst.type == "aws_s3_bucket_object_lock_configuration":
            _zero_is_unset(props)
        rid = values.get("id") if isinstance(values.get("id"), str) else None
        deps = {camel(a): t for a, t in inst.refs.items() if a in JOINS}
        out.append(
            {
                "type": token,
                "urn": inst.address,
                "name": inst.address,
                "id": rid,
                "inputs": props,
                "outputs": {},
                "deps": deps,
                "region": values.get("region") if isinstance(values.get("region"), str) else region,
                "new": new,
            }
        )
        out.extend(dict(e, region=out[-1]["region"]) for e in extra)
    return out


def _zero_is_unset(props: dict) -> None:
    """default_retention: the provider reports the one of days/years not set as 0."""
    ret = (props.get("rule") or {}).get("defaultRetention") if isinstance(props.get("rule"), dict) else None
    if isinstance(ret, dict):
        for k in ("days", "years"):
            if ret.get(k) == 0:
                del ret[k]


def _sub(inst: Instance, kind: str, token: str, props: dict) -> dict:
    return {
        "type": token,
        "urn": f"{inst.address}#{kind}",
        "name": f"{inst.address}#{kind}",
        "id": None,
        "inputs": dict(props, bucket=inst.address),
        "outputs": {},
        "deps": {},
    }


def _inline_bucket_subs(inst: Instance, values: dict) -> list[dict]:
    """Provider v3 inline blocks of aws_s3_bucket -> the v4 sub-resources (removed from values)."""
    out = []
    olc = values.pop("object_lock_configuration", None)
    if is_marker(olc):
        out.append(_sub(inst, "object_lock", TYPES["aws_s3_bucket_object_lock_configuration"][0], {"rule": olc}))
    elif olc:
        c = olc[0] or {}
        if c.get("object_lock_enabled") == "Enabled":
            values["object_lock_enabled"] = True
        rule = convert({"rule": c.get("rule")}, _S({"rule", "default_retention"}), {})
        if rule.get("rule"):
            out.append(
                _sub(
                    inst,
                    "object_lock",
                    TYPES["aws_s3_bucket_object_lock_configuration"][0],
                    dict(rule, objectLockEnabled="Enabled"),
                )
            )
    lrs = values.pop("lifecycle_rule", None)
    if is_marker(lrs) or lrs:
        rules = (
            lrs
            if is_marker(lrs)
            else [
                r
                if is_marker(r)
                else {
                    "status": "Enabled" if r.get("enabled") else "Disabled",
                    "transitions": convert(r.get("transition") or [], _S(), {}),
                }
                for r in lrs
            ]
        )
        out.append(_sub(inst, "lifecycle", TYPES["aws_s3_bucket_lifecycle_configuration"][0], {"rules": rules}))
    rep = values.pop("replication_configuration", None)
    if is_marker(rep) or rep:
        rules = (
            rep
            if is_marker(rep)
            else [
                r if is_marker(r) else {"status": r.get("status"), "destination": _v3_destination(r.get("destination"))}
                for r in (rep[0] or {}).get("rules") or []
            ]
        )
        out.append(_sub(inst, "replication", TYPES["aws_s3_bucket_replication_configuration"][0], {"rules": rules}))
    grants = values.pop("grant", None)
    if is_marker(grants) or grants:
        gl = (
            grants
            if is_marker(grants)
            else [
                {"grantee": {"uri": g.get("uri")}, "permission": p} for g in grants for p in g.get("permissions") or []
            ]
        )
        out.append(_sub(inst, "acl", TYPES["aws_s3_bucket_acl"][0], {"accessControlPolicy": {"grants": gl}}))
    return out


def _v3_destination(d):
    if is_marker(d) or not d:
        return d
    d = d[0]
    return {
        "bucket": d.get("bucket"),
        "storageClass": d.get("storage_class"),
        "account": d.get("account_id"),
        "encryptionConfiguration": {"replicaKmsKeyId": d.get("replica_kms_key_id")},
    }
