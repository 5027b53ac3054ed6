"""CloudFormation AWS resources -> the planned-resource records the shared per-type derivations
read (sources/pulumi/plan.py: Pulumi's camelCase inputs and type tokens). An S3 bucket's inline
configurations become the separate sub-resources the derivation joins to it, as Terraform's v4
provider and Pulumi declare them. Values are already resolved (template.Resolver)."""

from __future__ import annotations

from enamel_hipaa.sources import iac
from enamel_hipaa.sources.cloudformation import rds
from enamel_hipaa.sources.cloudformation.template import is_marker
from enamel_hipaa.sources.cloudformation.values import _b, _get, _i, _policy, _tags

CANNED_ACL = {
    "Private": "private",
    "PublicRead": "public-read",
    "PublicReadWrite": "public-read-write",
    "AuthenticatedRead": "authenticated-read",
    "LogDeliveryWrite": "log-delivery-write",
    "BucketOwnerRead": "bucket-owner-read",
    "BucketOwnerFullControl": "bucket-owner-full-control",
    "AwsExecRead": "aws-exec-read",
}
# the property of each type that names another resource of the template (joined on its logical id)
JOINS = {
    "AWS::S3::BucketPolicy": (("Bucket", "bucket"),),
    "AWS::EC2::SecurityGroupIngress": (("GroupId", "securityGroupId"),),
    "AWS::EC2::SecurityGroupEgress": (("GroupId", "securityGroupId"),),
    "AWS::KMS::Alias": (("TargetKeyId", "targetKeyId"),),
    "AWS::ElasticLoadBalancingV2::Listener": (("LoadBalancerArn", "loadBalancerArn"),),
    "AWS::ElasticLoadBalancingV2::ListenerCertificate": (("ListenerArn", "listenerArn"),),
    "AWS::RDS::DBInstance": (
        ("DBClusterIdentifier", "clusterIdentifier"),
        ("DBParameterGroupName", "parameterGroupName"),
    ),
    "AWS::IAM::AccessKey": (("UserName", "user"),),
}


def _sg_rules(rules):
    if is_marker(rules):
        return rules
    out = []
    for r in rules or []:
        if is_marker(r):
            return r
        out.append(
            {
                "protocol": r.get("IpProtocol", "-1"),
                "fromPort": _i(r.get("FromPort")),
                "toPort": _i(r.get("ToPort")),
                "cidrBlocks": [r["CidrIp"]] if r.get("CidrIp") is not None else [],
                "ipv6CidrBlocks": [r["CidrIpv6"]] if r.get("CidrIpv6") is not None else [],
                "description": r.get("Description"),
            }
        )
    return out


def _bucket(logical: str, p: dict) -> tuple[dict, list[tuple[str, str, dict]]]:
    """The bucket's props and its (kind, token, props) sub-resources."""
    subs = []
    props = {
        "bucket": p.get("BucketName"),
        "tags": _tags(p.get("Tags")),
        "objectLockEnabled": _b(p.get("ObjectLockEnabled", False)),
    }
    if p.get("AccessControl") is not None:
        acl = p["AccessControl"]
        props["acl"] = acl if is_marker(acl) else CANNED_ACL.get(acl, acl)
    enc = _get(p, "BucketEncryption", "ServerSideEncryptionConfiguration")
    if enc is not None:
        rules = (
            enc
            if is_marker(enc)
            else [
                r
                if is_marker(r)
                else {
                    "applyServerSideEncryptionByDefault": _sse_default(r.get("ServerSideEncryptionByDefault")),
                    "bucketKeyEnabled": _b(r.get("BucketKeyEnabled", False)),
                }
                for r in enc
            ]
        )
        subs.append(
            (
                "encryption",
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                {"rules": rules},
            )
        )
    ver = p.get("VersioningConfiguration")
    if ver is not None:
        subs.append(
            (
                "versioning",
                "aws:s3/bucketVersioning:BucketVersioning",
                {"versioningConfiguration": ver if is_marker(ver) else {"status": ver.get("Status")}},
            )
        )
    pab = p.get("PublicAccessBlockConfiguration")
    if pab is not None:
        names = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        subs.append(
            (
                "public_access_block",
                "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                {n[0].lower() + n[1:]: pab if is_marker(pab) else _b(pab.get(n, False)) for n in names},
            )
        )
    own = _get(p, "OwnershipControls", "Rules")
    if own is not None:
        first = own if is_marker(own) else (own[0] if own else {})
        subs.append(
            (
                "ownership",
                "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
                {"rule": {"objectOwnership": _get(first, "ObjectOwnership")}},
            )
        )
    log = p.get("LoggingConfiguration")
    if log is not None:
        target = log if is_marker(log) else (log.get("DestinationBucketName") or "${%s}" % logical)
        subs.append(("logging", "aws:s3/bucketLogging:BucketLogging", {"targetBucket": target}))
    olc = p.get("ObjectLockConfiguration")
    if olc is not None:
        ret = _get(olc, "Rule", "DefaultRetention")
        subs.append(
            (
                "object_lock",
                "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
                {
                    "objectLockEnabled": _get(olc, "ObjectLockEnabled") or "Enabled",
                    "rule": {
                        "defaultRetention": ret
                        if is_marker(ret) or ret is None
                        else {"mode": ret.get("Mode"), "days": _i(ret.get("Days")), "years": _i(ret.get("Years"))}
                    },
                },
            )
        )
    lc = _get(p, "LifecycleConfiguration", "Rules")
    if lc is not None:
        rules = (
            lc
            if is_marker(lc)
            else [
                r
                if is_marker(r)
                else {
                    "status": r.get("Status"),
                    "transitions": [
                        {"storageClass": t.get("StorageClass")}
                        for t in (r.get("Transitions") or []) + ([r["Transition"]] if r.get("Transition") else [])
                        if isinstance(t, dict)
                    ],
                }
                for r in lc
            ]
        )
        subs.append(("lifecycle", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", {"rules": rules}))
    rep = _get(p, "ReplicationConfiguration", "Rules")
    if rep is not None:
        rules = (
            rep
            if is_marker(rep)
            else [
                r if is_marker(r) else {"status": r.get("Status"), "destination": _destination(r.get("Destination"))}
                for r in rep
            ]
        )
        subs.append(("replication", "aws:s3/bucketReplicationConfig:BucketReplicationConfig", {"rules": rules}))
    return props, subs


def _sse_default(d):
    if is_marker(d) or d is None:
        return d
    return {"sseAlgorithm": d.get("SSEAlgorithm"), "kmsMasterKeyId": d.get("KMSMasterKeyID")}


def _destination(d):
    if is_marker(d) or d is None:
        return d
    return {
        "bucket": d.get("Bucket"),
        "account": d.get("Account"),
        "storageClass": d.get("StorageClass"),
        "encryptionConfiguration": {"replicaKmsKeyId": _get(d, "EncryptionConfiguration", "ReplicaKmsKeyID")},
    }


def _trail(p):
    sels = p.get("EventSelectors")
    adv = p.get("AdvancedEventSelectors")
    return {
        "isMultiRegionTrail": _b(p.get("IsMultiRegionTrail", False)),
        "enableLogFileValidation": _b(p.get("EnableLogFileValidation", False)),
        "kmsKeyId": p.get("KMSKeyId"),
        "enableLogging": _b(p.get("IsLogging", True)),
        "s3BucketName": p.get("S3BucketName"),
        "cloudWatchLogsGroupArn": p.get("CloudWatchLogsLogGroupArn"),
        "eventSelectors": sels
        if is_marker(sels)
        else [
            {
                "readWriteType": s.get("ReadWriteType"),
                "dataResources": [
                    {"type": d.get("Type"), "values": d.get("Values")} for d in s.get("DataResources") or []
                ],
            }
            for s in sels or []
        ],
        "advancedEventSelectors": adv
        if is_marker(adv)
        else [
            {
                "fieldSelectors": [
                    {k[:1].lower() + k[1:]: v for k, v in f.items()}  # Field, Equals, NotEquals, StartsWith, ...
                    for f in s.get("FieldSelectors") or []
                ]
            }
            for s in adv or []
        ],
    }


def _certificate(certs):
    """The listener's (default) certificate: CloudFormation takes exactly one in `Certificates`."""
    if is_marker(certs):
        return certs
    first = (certs or [None])[0]
    return _get(first, "CertificateArn") if isinstance(first, dict) else first


def _listener(p):
    acts = p.get("DefaultActions")
    return {
        "protocol": p.get("Protocol"),
        "port": _i(p.get("Port")),
        "sslPolicy": p.get("SslPolicy"),
        "certificateArn": _certificate(p.get("Certificates")),
        "defaultActions": acts
        if is_marker(acts)
        else [
            {"type": a.get("Type"), "redirect": {"protocol": _get(a, "RedirectConfig", "Protocol")}}
            for a in acts or []
            if isinstance(a, dict)
        ],
    }


CONVERT = {
    "AWS::S3::BucketPolicy": (
        "aws:s3/bucketPolicy:BucketPolicy",
        lambda p: {"bucket": p.get("Bucket"), "policy": _policy(p.get("PolicyDocument"))},
    ),
    "AWS::KMS::Key": (
        "aws:kms/key:Key",
        lambda p: {
            "enableKeyRotation": _b(p.get("EnableKeyRotation", False)),
            "deletionWindowInDays": _i(p.get("PendingWindowInDays", 30)),
            "policy": _policy(p.get("KeyPolicy")),
            "isEnabled": _b(p.get("Enabled", True)),
            "keySpec": p.get("KeySpec"),
            "tags": _tags(p.get("Tags")),
        },
    ),
    "AWS::KMS::Alias": (
        "aws:kms/alias:Alias",
        lambda p: {"name": p.get("AliasName"), "targetKeyId": p.get("TargetKeyId")},
    ),
    "AWS::CloudTrail::Trail": ("aws:cloudtrail/trail:Trail", _trail),
    "AWS::Logs::LogGroup": (
        "aws:cloudwatch/logGroup:LogGroup",
        lambda p: {
            "name": p.get("LogGroupName"),
            "retentionInDays": _i(p.get("RetentionInDays")),
            "kmsKeyId": p.get("KmsKeyId"),
        },
    ),
    "AWS::EC2::SecurityGroup": (
        "aws:ec2/securityGroup:SecurityGroup",
        lambda p: {
            "name": p.get("GroupName"),
            "vpcId": p.get("VpcId"),
            "tags": _tags(p.get("Tags")),
            "ingress": _sg_rules(p.get("SecurityGroupIngress")),
            "egress": _sg_rules(p.get("SecurityGroupEgress")),
        },
    ),
    "AWS::EC2::SecurityGroupIngress": (
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        lambda p: {
            "securityGroupId": p.get("GroupId") or p.get("GroupName"),
            "ipProtocol": p.get("IpProtocol", "-1"),
            "fromPort": _i(p.get("FromPort")),
            "toPort": _i(p.get("ToPort")),
            "cidrIpv4": p.get("CidrIp"),
            "cidrIpv6": p.get("CidrIpv6"),
        },
    ),
    "AWS::EC2::SecurityGroupEgress": (
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        lambda p: {
            "securityGroupId": p.get("GroupId"),
            "ipProtocol": p.get("IpProtocol", "-1"),
            "fromPort": _i(p.get("FromPort")),
            "toPort": _i(p.get("ToPort")),
            "cidrIpv4": p.get("CidrIp"),
            "cidrIpv6": p.get("CidrIpv6"),
        },
    ),
    "AWS::EC2::Volume": (
        "aws:ebs/volume:Volume",
        lambda p: {"encrypted": _b(p.get("Encrypted")), "kmsKeyId": p.get("KmsKeyId"), "tags": _tags(p.get("Tags"))},
    ),
    "AWS::ElasticLoadBalancingV2::Listener": ("aws:lb/listener:Listener", _listener),
    "AWS::ElasticLoadBalancingV2::ListenerCertificate": (
        "aws:lb/listenerCertificate:ListenerCertificate",
        lambda p: {
            "certificateArn": p["Certificates"]
            if is_marker(p.get("Certificates"))
            else [_get(c, "CertificateArn") if isinstance(c, dict) else c for c in p.get("Certificates") or []]
        },
    ),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": (
        "aws:lb/loadBalancer:LoadBalancer",
        lambda p: {"internal": p["Scheme"] if is_marker(p.get("Scheme")) else p.get("Scheme") == "internal"},
    ),
    "AWS::IAM::Role": (
        "aws:iam/role:Role",
        lambda p: {
            "name": p.get("RoleName"),
            "assumeRolePolicy": _policy(p.get("AssumeRolePolicyDocument")),
            "tags": _tags(p.get("Tags")),
        },
    ),
    "AWS::IAM::User": ("aws:iam/user:User", lambda p: {"name": p.get("UserName")}),
    "AWS::IAM::AccessKey": (
        "aws:iam/accessKey:AccessKey",
        lambda p: {"user": p.get("UserName"), "status": p.get("Status")},
    ),
}
CONVERT.update(rds.CONVERT)
TYPES = set(CONVERT) | {"AWS::S3::Bucket"}


def records(resolved: dict[str, tuple[str, dict]], joins: dict, path: str = "<template>") -> list[dict]:
    """resolved: logical id -> (CloudFormation type, resolved Properties); joins: logical id ->
    {record property: the logical id its join property names} (where it names a resource of
    the template)."""
    out = []
    for logical, (ctype, props) in resolved.items():
        # a resource whose properties have unexpected types is bad input naming it (exit 2)
        with iac.bad_structure(path, where=f"resource {logical}"):
            out.extend(_convert(logical, ctype, props, joins))
    return out


def _convert(logical: str, ctype: str, props: dict, joins: dict) -> list[dict]:
    if ctype == "AWS::S3::Bucket":
        bprops, subs = _bucket(logical, props)
        return [_rec(logical, "aws:s3/bucket:Bucket", bprops)] + [
            _rec(f"{logical}#{kind}", token, dict(p, bucket=logical)) for kind, token, p in subs
        ]
    out = []
    if ctype == "AWS::IAM::User" and props.get("LoginProfile") is not None:
        out.append(_rec(f"{logical}#login", "aws:iam/userLoginProfile:UserLoginProfile", {"user": logical}))
    token, conv = CONVERT[ctype]
    p = {k: v for k, v in conv(props).items() if v is not None}
    p.update(joins.get(logical) or {})
    out.append(_rec(logical, token, p))
    return out


def _rec(urn: str, token: str, props: dict) -> dict:
    return {
        "type": token,
        "urn": urn,
        "name": urn,
        "id": None,
        "inputs": {k: v for k, v in props.items() if v is not None},
        "outputs": {},
        "deps": {},
    }
