"""aws.ebs_volume, aws.rds_instance, aws.elbv2_listener and aws.iam_user from planned-resource
records (Pulumi's camelCase inputs; the Terraform and CloudFormation converters produce the same
records). What a record leaves out takes AWS's documented default for a new resource."""

from __future__ import annotations

from collections import defaultdict

from enamel_hipaa.core.model import Resource, unknown
from enamel_hipaa.sources.normalise.aws.elbv2_listener import certificate_props
from enamel_hipaa.sources.normalise.aws.rds import planned_forces_tls
from enamel_hipaa.sources.pulumi.plan import Plan, _index, _tags, is_marker

# The lowest TLS version each predefined ELB security policy accepts (AWS's ELB documentation,
# "Security policies for your Application Load Balancer" / "... Network Load Balancer").
ELB_POLICY_FLOORS = {
    "ELBSecurityPolicy-2016-08": "1.0",
    "ELBSecurityPolicy-2015-05": "1.0",
    "ELBSecurityPolicy-TLS-1-0-2015-04": "1.0",
    "ELBSecurityPolicy-FS-2018-06": "1.0",
    "ELBSecurityPolicy-TLS-1-1-2017-01": "1.1",
    "ELBSecurityPolicy-FS-1-1-2019-08": "1.1",
    "ELBSecurityPolicy-TLS13-1-1-2021-06": "1.1",
    "ELBSecurityPolicy-TLS13-1-0-2021-06": "1.0",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06": "1.2",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06": "1.2",
    "ELBSecurityPolicy-TLS13-1-0-PQ-2025-09": "1.0",
    "ELBSecurityPolicy-TLS13-1-1-PQ-2025-09": "1.1",
    "ELBSecurityPolicy-TLS-1-2-2017-01": "1.2",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06": "1.2",
    "ELBSecurityPolicy-FS-1-2-2019-08": "1.2",
    "ELBSecurityPolicy-FS-1-2-Res-2019-08": "1.2",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10": "1.2",
    "ELBSecurityPolicy-TLS13-1-2-2021-06": "1.2",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06": "1.2",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04": "1.2",
    "ELBSecurityPolicy-TLS13-1-3-2021-06": "1.3",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04": "1.3",
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09": "1.2",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09": "1.3",
}


def _bool(v, default: bool = False):
    if v is None:
        return default
    return v if is_marker(v) else bool(v)


def ebs_volumes(plan: Plan) -> list[Resource]:
    out = []
    for rec in plan.by_type.get("aws:ebs/volume:Volume", []):
        p = rec["props"]
        enc = p.get("encrypted")
        if enc is None:  # the account's EBS default encryption decides at create time
            enc = unknown("encrypted not set: the region's EBS default encryption decides")
        props = {
            "arn": p.get("arn"),
            "tags": _tags(p),
            "encrypted": _bool(enc),
            "kms_key_id": p.get("kmsKeyId"),
            "state": None,
            "attached": False,
        }
        out.append(
            plan.resource(
                "aws.ebs_volume",
                rec,
                p["arn"] if isinstance(p.get("arn"), str) else rec.get("id") or rec["name"],
                rec["name"],
                props,
            )
        )
    return out


def rds_instances(plan: Plan) -> list[Resource]:
    clusters = plan.by_type.get("aws:rds/cluster:Cluster", [])
    cidx = _index(clusters, "clusterIdentifier")
    pidx = _index(plan.by_type.get("aws:rds/parameterGroup:ParameterGroup", []), "name")
    out = []
    for ctype in ("aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance"):
        for rec in plan.by_type.get(ctype, []):
            p = rec["props"]
            props = {
                "arn": p.get("arn"),
                "tags": _tags(p),
                "engine": p.get("engine"),
                "kms_key_id": p.get("kmsKeyId"),
                "publicly_accessible": _bool(p.get("publiclyAccessible")),
                "deletion_protection": _bool(p.get("deletionProtection")),
                "multi_az": _bool(p.get("multiAz")),
                "storage_encrypted": _bool(p.get("storageEncrypted")),
                "backup_retention_days": p.get("backupRetentionPeriod", 1),
                "cluster_member": ctype.endswith("ClusterInstance") or p.get("clusterIdentifier") is not None,
                "iam_auth": _bool(p.get("iamDatabaseAuthenticationEnabled")),
                "log_exports": _sorted(p.get("enabledCloudwatchLogsExports")),
                "auto_minor_version_upgrade": _bool(p.get("autoMinorVersionUpgrade"), True),
                "enhanced_monitoring_interval": p.get("monitoringInterval") or 0,
                "force_ssl": _force_ssl(plan, rec, pidx),
            }
            if props["backup_retention_days"] is None:
                props["backup_retention_days"] = 1  # AWS's default for a new instance
            if p.get("replicateSourceDb") is not None:
                why = unknown("a read replica takes encryption and backups from its source instance")
                if p.get("storageEncrypted") is None:
                    props["storage_encrypted"] = why
                if p.get("backupRetentionPeriod") is None:
                    props["backup_retention_days"] = why
            if ctype.endswith("ClusterInstance") or str(p.get("engine") or "").startswith("aurora"):
                cluster = plan.ref(rec, "clusterIdentifier", cidx)
                if isinstance(cluster, dict) and "urn" in cluster:
                    c = cluster["props"]
                    props["storage_encrypted"] = _bool(c.get("storageEncrypted"))
                    props["backup_retention_days"] = c.get("backupRetentionPeriod") or 1
                    props["kms_key_id"] = c.get("kmsKeyId")
                else:
                    why = unknown("an Aurora instance takes encryption and backups from a DB cluster not in this plan")
                    props["storage_encrypted"] = props["backup_retention_days"] = why
                props["force_ssl"] = unknown("an Aurora instance's TLS setting is its cluster parameter group's")
            out.append(plan.named("aws.rds_instance", rec, props))
    return out


def _sorted(v):
    return v if is_marker(v) else sorted(x for x in v or [] if isinstance(x, str))


def _force_ssl(plan: Plan, rec: dict, pidx: dict):
    """rds.force_ssl / require_secure_transport of the instance's parameter group: declared in
    the plan, else the family's default; the engine's default group when none is named."""
    p = rec["props"]
    engine, version = p.get("engine"), p.get("engineVersion")
    named = p.get("parameterGroupName")
    if named is None or (isinstance(named, str) and named.startswith("default.")):
        found = planned_forces_tls(None, named[len("default.") :] if named else engine, None if named else version)
        return (
            unknown(f"Enamel does not know whether the default parameter group of {engine} {version or ''} forces TLS")
            if found is None
            else found
        )
    group = plan.ref(rec, "parameterGroupName", pidx)
    if not (isinstance(group, dict) and "urn" in group):
        return group if is_marker(group) else unknown(f"parameter group {named} is not in this plan")
    g = group["props"]
    params = g.get("parameters") or []
    if is_marker(params) or any(is_marker(x) for x in params):
        return unknown("the parameter group's parameters are known after apply")
    declared = {x.get("name"): x.get("value") for x in params if isinstance(x, dict)}
    if any(is_marker(v) for v in declared.values()):
        return unknown("a parameter value is known after apply")
    found = planned_forces_tls(declared, g.get("family") or engine, None if g.get("family") else version)
    if found is None:
        return unknown(f"Enamel does not know whether parameter group family {g.get('family')} forces TLS by default")
    return found


def listeners(plan: Plan) -> list[Resource]:
    lbs = plan.by_type.get("aws:lb/loadBalancer:LoadBalancer", []) + plan.by_type.get(
        "aws:alb/loadBalancer:LoadBalancer", []
    )
    idx = _index(lbs, "arn")
    recs = plan.by_type.get("aws:lb/listener:Listener", []) + plan.by_type.get("aws:alb/listener:Listener", [])
    extra = _extra_certificates(plan, recs)
    out = []
    for rec in recs:
        p = rec["props"]
        lb = plan.ref(rec, "loadBalancerArn", idx)
        scheme = None
        if isinstance(lb, dict) and "urn" in lb:
            internal = lb["props"].get("internal")
            scheme = internal if is_marker(internal) else ("internal" if internal else "internet-facing")
        proto, policy = p.get("protocol"), p.get("sslPolicy")
        if is_marker(policy):
            floor = policy
        elif policy:
            floor = ELB_POLICY_FLOORS.get(policy, unknown(f"TLS floor of ELB policy {policy} not known to Enamel"))
        elif proto in ("HTTPS", "TLS"):
            floor = unknown("no SslPolicy: AWS picks the default policy at creation")
        else:
            floor = None
        actions = p.get("defaultActions") or []
        redirects = (
            actions
            if is_marker(actions)
            else any(
                isinstance(a, dict)
                and a.get("type") == "redirect"
                and isinstance(a.get("redirect"), dict)
                and a["redirect"].get("protocol") == "HTTPS"
                for a in actions
            )
        )
        props = {
            "arn": p.get("arn"),
            "load_balancer_arn": p.get("loadBalancerArn"),
            "load_balancer_scheme": scheme,
            "protocol": proto,
            "port": p.get("port"),
            "ssl_policy": policy,
            "min_tls_version": floor,
            "redirects_to_https": redirects,
            **certificate_props([p.get("certificateArn"), *extra[rec["urn"]]]),
        }
        out.append(
            plan.resource(
                "aws.elbv2_listener",
                rec,
                p["arn"] if isinstance(p.get("arn"), str) else rec.get("id") or rec["name"],
                rec["name"],
                props,
            )
        )
    return out


def _extra_certificates(plan: Plan, listeners: list[dict]) -> dict[str, list]:
    """listener urn -> the certificate ARNs its ListenerCertificate resources add (SNI); a
    ListenerCertificate whose listener is unknown makes every listener's certificates unknown."""
    idx = _index(listeners, "arn")
    out: dict[str, list] = defaultdict(list)
    for rec in plan.by_type.get("aws:lb/listenerCertificate:ListenerCertificate", []) + plan.by_type.get(
        "aws:alb/listenerCertificate:ListenerCertificate", []
    ):
        target = plan.ref(rec, "listenerArn", idx)
        cert = rec["props"].get("certificateArn")
        if isinstance(target, dict) and "urn" in target:
            out[target["urn"]].extend(cert if isinstance(cert, list) else [cert])
        elif target is not None:  # an unknown listener: it may be any of them
            for li in listeners:
                out[li["urn"]].append(unknown("a listener certificate's listener is known after apply"))
    return out


def iam_users(plan: Plan) -> list[Resource]:
    users = plan.by_type.get("aws:iam/user:User", [])
    idx = _index(users, "name")
    attached: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for ctype, what in (
        ("aws:iam/userLoginProfile:UserLoginProfile", "login"),
        ("aws:iam/accessKey:AccessKey", "keys"),
    ):
        for rec in plan.by_type.get(ctype, []):
            t = plan.ref(rec, "user", idx)
            if isinstance(t, dict) and "urn" in t:
                attached[t["urn"]][what].append(rec)
    out = []
    for rec in users:
        p, att = rec["props"], attached[rec["urn"]]
        keys = [
            {
                "id": k.get("id") or k["name"],
                "active": k["props"].get("status", "Active") != "Inactive",
                "created": k["props"]["createDate"]
                if isinstance(k["props"].get("createDate"), str)
                else unknown("the access key's creation date is known after apply"),
                "last_activity": _last_activity(k),
            }
            for k in att["keys"]
        ]
        props = {
            "arn": p.get("arn"),
            "console_access": bool(att["login"]),
            "mfa_enabled": False,
            "password_last_used": None,
            "access_keys": keys,
            "console_last_activity": _last_activity(att["login"][0]) if att["login"] else None,
        }
        out.append(plan.named("aws.iam_user", rec, props))
    return out


def _last_activity(rec: dict):
    """When a credential was last used, or created if never: known only for one this deployment
    creates (unused when created; a Terraform plan dates it by its timestamp). An existing
    credential's last use is in no plan or template."""
    created = rec["props"].get("lastActivity")
    if rec.get("new") and isinstance(created, str):
        return created
    return unknown("the last use of an existing credential is not in a plan or template")
