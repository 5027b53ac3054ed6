"""Test helpers for the live AWS collector: a real moto server on loopback and the stacks
provisioned in it through boto3 (over HTTP, exactly as a client would).

`provision_infra_stack` builds an account shaped like the Pulumi program in infra/ (KMS keys
with separated admin/user policies, the imaging archive bucket and its replica, the log
bucket, CloudTrail, the audit log group, the password policy, a private VPC with flow logs
and a restricted S3 endpoint, the MFA-only staff role, backup vaults and a plan copying to
the DR region, EBS encryption by default and GuardDuty), so
the plan and the live scan of the same design can be compared key by key. Resource names
say what the rules should conclude: pass-* / fail-*."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

ACCOUNT_A = "123456789012"  # moto's default account
ACCOUNT_B = "222233334444"  # reached through the audit role (AssumeRole + ExternalId)
EXTERNAL_ID = "enamel-test-external-id"
AUDIT_ROLE = "EnamelAudit"
HOME, REPLICA = "us-east-1", "us-west-2"
VPC_CIDR = "10.42.0.0/16"
RETENTION_DAYS = 7 * 365  # infra/'s default Object Lock retention (retentionYears 7)
AUDIT_RETENTION_DAYS = 6 * 365  # infra/'s AuditTrail bucket_retention_years 6 (GOVERNANCE mode)


@contextmanager
def server():
    """A ThreadedMotoServer on 127.0.0.1 with a free port; stopped on exit."""
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    from enamel_hipaa.workflows.demo.motoserver import serialise_route_compiles

    serialise_route_compiles()  # CPython 3.11's ast is not thread-safe (the module says why)
    from moto.server import ThreadedMotoServer

    srv = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    srv.start()
    host, port = srv.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        srv.stop()


STANDIN = None  # the current module's AwsStandin (tests/aws_standin.py): Macie and HealthImaging, which moto lacks


@contextmanager
def account_env(url: str):
    """moto reset to a clean state (its backends live in this process) and the env pointing
    boto3 (and CLI subprocesses) at it; the env is restored and moto reset again on exit.
    moto has no HealthImaging and no Macie classification jobs: AWS_ENDPOINT_URL_MEDICAL_IMAGING
    and AWS_ENDPOINT_URL_MACIE2 point at a loopback stand-in serving the real API shapes (Macie
    not enabled and no data stores unless a test puts some in STANDIN);
    tests/test_aws_services.py shows the scan on moto alone fails closed."""
    global STANDIN
    from aws_standin import AwsStandin

    _reset(url)
    STANDIN = AwsStandin()
    nowhere = os.path.join(tempfile.gettempdir(), "enamel-tests-no-aws-config")
    env = {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": HOME,
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_CONFIG_FILE": nowhere,
        "AWS_SHARED_CREDENTIALS_FILE": nowhere,
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
        "AWS_ENDPOINT_URL_MEDICAL_IMAGING": STANDIN.url,
        "AWS_ENDPOINT_URL_MACIE2": STANDIN.url,
    }
    saved = {k: os.environ.get(k) for k in env}
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        saved[k] = os.environ.pop(k, None)
    os.environ.update(env)
    try:
        yield url
    finally:
        _reset(url)
        STANDIN.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _reset(url: str) -> None:
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset", method="POST"), timeout=10).read()


def session(account: str = ACCOUNT_A):
    """A boto3 session acting in `account` (other accounts via moto's STS AssumeRole)."""
    import boto3

    base = boto3.Session(region_name=HOME)
    if account == ACCOUNT_A:
        return base
    creds = base.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/setup", RoleSessionName="setup")[
        "Credentials"
    ]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=HOME,
    )


def _policy(doc) -> str:
    return json.dumps(doc)


def _infra_key_policy():
    """infra/components/key_policy.py, loaded by path (the components package imports Pulumi)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "infra" / "components" / "key_policy.py"
    spec = importlib.util.spec_from_file_location("enamel_infra_key_policy", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


INFRA_KEY_POLICY = _infra_key_policy()


def key_policy(
    account: str, admin: str | None, user: str | None, extra: list | None = None, services: list | None = None
) -> str:
    """infra/'s PhiKey policy (the same statements, from infra/components/key_policy.py): the
    account root (and `admin`) administer, `user` uses, AWS `services` use for this account
    only; plus the audit role's read-only statement and any `extra` ones."""
    statements = INFRA_KEY_POLICY.phi_key_statements(
        account, [admin] if admin else [], [user] if user else [], services or []
    )
    statements.append(
        {
            "Sid": "AuditRead",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:role/{AUDIT_ROLE}"},
            "Action": ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"],
            "Resource": "*",
        }
    )
    return _policy({"Version": "2012-10-17", "Statement": statements + (extra or [])})


def bucket_policy(name: str, extra: list | None = None) -> str:
    res = [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]
    return _policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:*",
                    "Resource": res,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "DenyOldTls",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:*",
                    "Resource": res,
                    "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
                },
            ]
            + (extra or []),
        }
    )


def _role(iam, name: str, trust: dict, tags: dict | None = None) -> str:
    return iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(trust),
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )["Role"]["Arn"]


def _service_trust(service: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


def phi_key(
    kms,
    account: str,
    alias: str,
    admin: str | None,
    user: str | None,
    data_class: str = "phi",
    services: list | None = None,
) -> str:
    arn = kms.create_key(
        Description=alias,
        Tags=[{"TagKey": "data_class", "TagValue": data_class}],
        Policy=key_policy(account, admin, user, services=services),
        BypassPolicyLockoutSafetyCheck=True,
    )["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=arn)
    kms.create_alias(AliasName=alias, TargetKeyId=arn)
    return arn


def _bucket(s3, name: str, region: str, data_class: str, lock: bool = False):
    kw = {"Bucket": name, "ObjectLockEnabledForBucket": lock}
    if region != "us-east-1":
        kw["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kw)
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "data_class", "Value": data_class}]})
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_ownership_controls(
        Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def log_bucket(s3, name: str, region: str):
    _bucket(s3, name, region, "logs")
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_policy(
        Bucket=name,
        Policy=bucket_policy(
            name,
            [
                {
                    "Sid": "ServerAccessLogs",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": ["s3:PutObject"],
                    "Resource": f"arn:aws:s3:::{name}/*",
                }
            ],
        ),
    )


def data_event_trails(ct, bucket: str) -> None:
    """Trails whose S3 data events are write-only (a classic WriteOnly selector, an advanced
    selector with readOnly = false) or read-only (classic ReadOnly): each fails the other check."""
    objects = [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]
    for name, rw in (("fail-write-only-trail", "WriteOnly"), ("fail-read-only-trail", "ReadOnly")):
        ct.create_trail(Name=name, S3BucketName=bucket)
        ct.put_event_selectors(
            TrailName=name,
            EventSelectors=[{"ReadWriteType": rw, "IncludeManagementEvents": True, "DataResources": objects}],
        )
    ct.create_trail(Name="fail-write-only-adv-trail", S3BucketName=bucket)
    ct.put_event_selectors(
        TrailName="fail-write-only-adv-trail",
        AdvancedEventSelectors=[
            {
                "Name": "writes only",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    {"Field": "readOnly", "Equals": ["false"]},
                ],
            }
        ],
    )


def trail_bucket(s3, name: str, region: str, key_arn: str, account: str, retention_days: int):
    """infra/'s AuditTrail log bucket: KMS-encrypted with the audit key, Object Lock in
    GOVERNANCE mode, and a policy letting CloudTrail (this account only) write to it."""
    _bucket(s3, name, region, "logs", lock=True)
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_object_lock_configuration(
        Bucket=name,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": retention_days}},
        },
    )
    only_us = {"StringEquals": {"aws:SourceAccount": account}}
    s3.put_bucket_policy(
        Bucket=name,
        Policy=bucket_policy(
            name,
            [
                {
                    "Sid": "AllowCloudtrailAclCheck",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:GetBucketAcl",
                    "Resource": f"arn:aws:s3:::{name}",
                    "Condition": only_us,
                },
                {
                    "Sid": "AllowCloudtrailWrite",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{name}/*",
                    "Condition": only_us,
                },
            ],
        ),
    )


def archive_bucket(s3, name: str, region: str, key_arn: str, log_target: str, retention_days: int):
    _bucket(s3, name, region, "phi", lock=True)
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_object_lock_configuration(
        Bucket=name,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": retention_days}},
        },
    )
    s3.put_bucket_policy(Bucket=name, Policy=bucket_policy(name))
    s3.put_bucket_logging(
        Bucket=name, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": log_target, "TargetPrefix": f"{name}/"}}
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=name,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "archive-old-studies",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "Transitions": [{"Days": 365, "StorageClass": "GLACIER"}],
                }
            ]
        },
    )


def _replicate(s3, source: str, dest: str, role: str, dest_key: str, account: str):
    s3.put_bucket_replication(
        Bucket=source,
        ReplicationConfiguration={
            "Role": role,
            "Rules": [
                {
                    "ID": "replica",
                    "Status": "Enabled",
                    "Priority": 1,
                    "Filter": {"Prefix": ""},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
                    "Destination": {
                        "Bucket": f"arn:aws:s3:::{dest}",
                        "Account": account,
                        "StorageClass": "STANDARD_IA",
                        "EncryptionConfiguration": {"ReplicaKmsKeyID": dest_key},
                    },
                }
            ],
        },
    )


def _mfa_trust(account: str, mfa: bool = True) -> dict:
    cond = {"Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}} if mfa else {}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "sts:AssumeRole",
                **cond,
            }
        ],
    }


def endpoint_policy(bucket: str) -> str:
    """infra/'s S3 gateway endpoint policy: the archive bucket and its objects only."""
    return _policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ArchiveBucketsOnly",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetBucketLocation"],
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                }
            ],
        }
    )


def _closed(ec2, gid: str, name: str) -> None:
    """A security group without the rules AWS adds by default (self-referencing ingress on
    the default group, allow-all egress), as infra/ declares them."""
    g = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
    if g.get("IpPermissions"):
        ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=g["IpPermissions"])
    if g.get("IpPermissionsEgress"):
        ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=g["IpPermissionsEgress"])
    _tag(ec2, gid, name)


def _private_network(ec2, prefix: str, bucket: str, public: bool = False, restrict_s3: bool = True) -> str:
    """infra/'s PrivateNetwork: a VPC tagged data_class=phi, private subnets on one route
    table and an S3 gateway endpoint limited to the archive bucket. `public` adds an internet
    gateway route, `restrict_s3=False` leaves the endpoint on AWS's full-access policy."""
    cidr = VPC_CIDR if not public else "10.43.0.0/16"
    phi = [{"Key": "data_class", "Value": "phi"}]
    vpc = ec2.create_vpc(
        CidrBlock=cidr,
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": f"{prefix}-imaging-vpc"}, *phi]}],
    )["Vpc"]["VpcId"]
    table = ec2.create_route_table(VpcId=vpc, TagSpecifications=[{"ResourceType": "route-table", "Tags": phi}])[
        "RouteTable"
    ]["RouteTableId"]
    for i, az in ((1, "a"), (2, "b")):
        subnet = ec2.create_subnet(
            VpcId=vpc, CidrBlock=cidr.replace(".0.0/16", f".{16 * i}.0/20"), AvailabilityZone=f"{HOME}{az}"
        )["Subnet"]["SubnetId"]
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    if public:
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    policy = {"PolicyDocument": endpoint_policy(bucket)} if restrict_s3 else {}
    ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=f"com.amazonaws.{HOME}.s3", VpcEndpointType="Gateway", RouteTableIds=[table], **policy
    )
    return vpc


def _closed_groups(ec2, vpc: str, prefix: str) -> list[str]:
    """infra/'s security groups: the default group with no rules and an endpoint group
    allowing HTTPS from the VPC only."""
    default = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]
    _closed(ec2, default["GroupId"], f"{prefix}-imaging-default-sg")
    sg = ec2.create_security_group(
        GroupName=f"{prefix}-endpoints-sg", VpcId=vpc, Description="HTTPS to interface endpoints from the VPC"
    )["GroupId"]
    _closed(ec2, sg, f"{prefix}-endpoints-sg")
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": VPC_CIDR, "Description": "HTTPS from VPC"}],
            }
        ],
    )
    return [f"{prefix}-imaging-default-sg", f"{prefix}-endpoints-sg"]


def _backups(sess, prefix: str, key: str, dr_key: str) -> dict:
    """infra/'s AccountBaseline backups: a KMS-encrypted, locked vault, a locked DR vault in
    the replica region and a daily plan copying there. moto implements no backup
    selections (CreateBackupSelection/ListBackupSelections), so the plan's selection of the
    archive bucket cannot be made here: see awsstack.LIVE_UNDECIDED."""
    bk, bkr = sess.client("backup", region_name=HOME), sess.client("backup", region_name=REPLICA)
    vault, dr_vault = f"{prefix}-backup-vault", f"{prefix}-dr-backup-vault"
    bk.create_backup_vault(BackupVaultName=vault, EncryptionKeyArn=key)
    dr_arn = bkr.create_backup_vault(BackupVaultName=dr_vault, EncryptionKeyArn=dr_key)["BackupVaultArn"]
    for client, name in ((bk, vault), (bkr, dr_vault)):
        client.put_backup_vault_lock_configuration(BackupVaultName=name, MinRetentionDays=7, MaxRetentionDays=3650)
    plan = f"{prefix}-backup-plan"
    bk.create_backup_plan(
        BackupPlan={
            "BackupPlanName": plan,
            "Rules": [
                {
                    "RuleName": "daily",
                    "TargetBackupVaultName": vault,
                    "ScheduleExpression": "cron(0 5 * * ? *)",
                    "Lifecycle": {"DeleteAfterDays": 35},
                    "CopyActions": [{"DestinationBackupVaultArn": dr_arn, "Lifecycle": {"DeleteAfterDays": 35}}],
                }
            ],
        }
    )
    return {"vaults": [vault, dr_vault], "plans": [plan]}


def provision_infra_stack(sess, account: str, prefix: str = "pass") -> dict:
    """The infra/ design, provisioned live. Returns {kind: name or id} of what it made.

    Deviation from a one-way design, on purpose: the replica bucket also replicates back
    to the primary (bidirectional replication), so it too satisfies the PHI replication
    rule and the whole stack scans with zero `fail`."""
    made = {}
    iam, logs, ct = (
        sess.client("iam"),
        sess.client("logs", region_name=HOME),
        sess.client("cloudtrail", region_name=HOME),
    )
    own_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    # workload roles: declared machine-used (an untagged role is treated as assumed by people)
    admin = _role(iam, f"{prefix}-key-admin", own_trust, tags={"access": "automation"})
    writer = _role(iam, f"{prefix}-archive-writer", own_trust, tags={"access": "workload"})
    repl_role = _role(iam, f"{prefix}-replication", _service_trust("s3.amazonaws.com"))
    made["roles"] = [f"{prefix}-key-admin", f"{prefix}-archive-writer", f"{prefix}-replication"]
    key = phi_key(sess.client("kms", region_name=HOME), account, f"alias/{prefix}-archive", admin, writer)
    rkey = phi_key(sess.client("kms", region_name=REPLICA), account, f"alias/{prefix}-archive-replica", admin, writer)
    audit_key = phi_key(
        sess.client("kms", region_name=HOME),
        account,
        f"alias/{prefix}-audit-key",
        admin,
        None,
        data_class="logs",
        services=["cloudtrail.amazonaws.com", f"logs.{HOME}.amazonaws.com"],
    )
    dr_key = phi_key(sess.client("kms", region_name=REPLICA), account, f"alias/{prefix}-dr-backup-key", None, None)
    made["keys"] = [
        f"alias/{prefix}-archive",
        f"alias/{prefix}-archive-replica",
        f"alias/{prefix}-audit-key",
        f"alias/{prefix}-dr-backup-key",
    ]
    s3, s3r = sess.client("s3", region_name=HOME), sess.client("s3", region_name=REPLICA)
    logb, rlogb = f"{prefix}-access-logs-{account}", f"{prefix}-access-logs-replica-{account}"
    arch, repl = f"{prefix}-xray-archive-{account}", f"{prefix}-xray-archive-replica-{account}"
    log_bucket(s3, logb, HOME)
    log_bucket(s3r, rlogb, REPLICA)
    archive_bucket(s3, arch, HOME, key, logb, RETENTION_DAYS)
    archive_bucket(s3r, repl, REPLICA, rkey, rlogb, RETENTION_DAYS)
    _replicate(s3, arch, repl, repl_role, rkey, account)
    _replicate(s3r, repl, arch, repl_role, key, account)
    made["buckets"] = [logb, rlogb, arch, repl]
    trail_logs = f"{prefix}-cloudtrail-{account}"
    trail_bucket(s3, trail_logs, HOME, audit_key, account, AUDIT_RETENTION_DAYS)
    made["buckets"].append(trail_logs)
    group = f"/{prefix}/audit"
    logs.create_log_group(logGroupName=group, kmsKeyId=audit_key)
    logs.put_retention_policy(logGroupName=group, retentionInDays=2192)
    made["log_groups"] = [group]
    trail = f"{prefix}-audit-trail"
    ct.create_trail(
        Name=trail,
        S3BucketName=trail_logs,
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        KmsKeyId=audit_key,
        IncludeGlobalServiceEvents=True,
    )
    ct.put_event_selectors(
        TrailName=trail,
        AdvancedEventSelectors=[
            {
                "Name": "imaging object access",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    {"Field": "resources.ARN", "StartsWith": [f"arn:aws:s3:::{arch}/", f"arn:aws:s3:::{repl}/"]},
                ],
            }
        ],
    )
    ct.start_logging(Name=trail)
    made["trails"] = [trail]
    iam.update_account_password_policy(
        MinimumPasswordLength=14,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        PasswordReusePrevention=24,
        MaxPasswordAge=90,
    )
    ec2 = sess.client("ec2", region_name=HOME)
    vpc = _private_network(ec2, prefix, arch)
    flow_group = f"/{prefix}/vpc-flow"
    logs.create_log_group(logGroupName=flow_group, kmsKeyId=audit_key)
    logs.put_retention_policy(logGroupName=flow_group, retentionInDays=2192)
    made["log_groups"].append(flow_group)
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogGroupName=flow_group,
        DeliverLogsPermissionArn=repl_role,
    )
    made["vpcs"] = [f"{prefix}-imaging-vpc"]
    made["security_groups"] = _closed_groups(ec2, vpc, prefix)
    _role(iam, f"{prefix}-imaging-staff", _mfa_trust(account), tags={"access": "human"})
    made["roles"].append(f"{prefix}-imaging-staff")
    made.update(_backups(sess, prefix, key, dr_key))
    for region in (HOME, REPLICA):  # AccountBaseline: EBS encryption by default and GuardDuty, both regions
        sess.client("ec2", region_name=region).enable_ebs_encryption_by_default()
        sess.client("guardduty", region_name=region).create_detector(
            Enable=True, FindingPublishingFrequency="FIFTEEN_MINUTES"
        )
    from enamel_hipaa.sources.aws.base import make_client

    make_client(sess, "s3control", HOME).put_public_access_block(
        AccountId=account,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    return made


def age_access_key(account: str, user: str, days: int) -> None:
    """moto has no API to back-date an access key: set its creation date in moto's backend
    (this process runs the ThreadedMotoServer, so the backend is the server's)."""
    from moto.iam.models import iam_backends

    for key in iam_backends[account]["global"].users[user].access_keys:
        key.create_date = datetime.now(timezone.utc) - timedelta(days=days)


def enable_root_mfa(account: str) -> None:
    """moto cannot activate root MFA through its API: set the account summary flag in its
    backend (the credential report has no root row either)."""
    from moto.iam.models import iam_backends

    iam_backends[account]["global"].account_summary._account_mfa_enabled = 1


def _tag(ec2, rid: str, name: str) -> None:
    ec2.create_tags(Resources=[rid], Tags=[{"Key": "Name", "Value": name}])


def provision_rule_cases(sess, account: str, other_account: str) -> dict:
    """Compliant and non-compliant resources for every AWS rule, next to the infra stack.
    Returns {rule id: {"pass": [names], "fail": [names]}} for resources named by outcome."""
    s3, kms = sess.client("s3", region_name=HOME), sess.client("kms", region_name=HOME)
    ec2, iam = sess.client("ec2", region_name=HOME), sess.client("iam")
    # -- S3: a bare bucket and a public PHI bucket
    s3.create_bucket(Bucket="fail-bare-bucket")
    s3.create_bucket(Bucket="fail-public-phi-bucket", ObjectOwnership="ObjectWriter")
    s3.put_bucket_tagging(Bucket="fail-public-phi-bucket", Tagging={"TagSet": [{"Key": "data_class", "Value": "phi"}]})
    s3.put_bucket_acl(Bucket="fail-public-phi-bucket", ACL="public-read")
    s3.put_bucket_policy(
        Bucket="fail-public-phi-bucket",
        Policy=_policy(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::fail-public-phi-bucket/*",
                    }
                ],
            }
        ),
    )
    s3.put_bucket_encryption(
        Bucket="fail-public-phi-bucket",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.create_bucket(Bucket="fail-old-tls-bucket")  # a policy that still accepts TLS 1.0
    s3.put_bucket_policy(
        Bucket="fail-old-tls-bucket",
        Policy=_policy(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": {"AWS": "*"},
                        "Action": "s3:*",
                        "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.0"}},
                        "Resource": ["arn:aws:s3:::fail-old-tls-bucket", "arn:aws:s3:::fail-old-tls-bucket/*"],
                    }
                ],
            }
        ),
    )
    # -- KMS
    k = kms.create_key(Description="no rotation, default policy")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/fail-shared-admin-use-no-rotation", TargetKeyId=k)
    admin = f"arn:aws:iam::{account}:role/pass-key-admin"
    k = kms.create_key(
        Description="public",
        BypassPolicyLockoutSafetyCheck=True,
        Policy=key_policy(
            account,
            admin,
            f"arn:aws:iam::{account}:role/pass-archive-writer",
            [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}],
        ),
    )["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=k)
    kms.create_alias(AliasName="alias/fail-public-key", TargetKeyId=k)
    # -- CloudTrail and logs
    s3.create_bucket(Bucket="fail-weak-trail-bucket")
    sess.client("cloudtrail", region_name=HOME).create_trail(
        Name="fail-weak-trail", S3BucketName="fail-weak-trail-bucket"
    )
    data_event_trails(sess.client("cloudtrail", region_name=HOME), "fail-weak-trail-bucket")
    logs = sess.client("logs", region_name=HOME)
    logs.create_log_group(logGroupName="fail-short-unencrypted-logs")
    logs.put_retention_policy(logGroupName="fail-short-unencrypted-logs", retentionInDays=30)
    # -- VPCs and security groups
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["pass-imaging-vpc"]}])["Vpcs"][0]["VpcId"]
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    _tag(ec2, default_vpc, "fail-default-vpc")
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    for g in groups:
        if g["VpcId"] == default_vpc:
            _tag(ec2, g["GroupId"], "fail-default-sg")
    # an imaging VPC with an internet route and an S3 endpoint on AWS's full-access policy
    _private_network(ec2, "fail-public", "fail-bare-bucket", public=True, restrict_s3=False)
    gids = {}
    for name, port in (("pass-viewer-https", 443), ("fail-open-admin-ports", 22)):
        gid = gids[name] = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        _tag(ec2, gid, name)
        ec2.authorize_security_group_ingress(
            GroupId=gid,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
            ],
        )
    # -- EBS volumes, snapshots, AMIs
    vols = {}
    for name, enc in (("pass-encrypted-volume", True), ("fail-unencrypted-volume", False)):
        vols[name] = ec2.create_volume(
            AvailabilityZone=f"{HOME}a",
            Size=1,
            Encrypted=enc,
            TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": name}]}],
        )["VolumeId"]
    for name, public in (("pass-private-snapshot", False), ("fail-public-snapshot", True)):
        sid = ec2.create_snapshot(
            VolumeId=vols["pass-encrypted-volume"],
            TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "Name", "Value": name}]}],
        )["SnapshotId"]
        if public:
            ec2.modify_snapshot_attribute(
                SnapshotId=sid, Attribute="createVolumePermission", OperationType="add", GroupNames=["all"]
            )
        iid = ec2.register_image(
            Name=name.replace("snapshot", "image"),
            RootDeviceName="/dev/xvda",
            BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": sid}}],
        )["ImageId"]
        _tag(ec2, iid, name.replace("snapshot", "image"))
        if public:
            ec2.modify_image_attribute(ImageId=iid, LaunchPermission={"Add": [{"Group": "all"}]})
    # -- RDS
    rds = sess.client("rds", region_name=HOME)
    for name, good in (("pass-pms-db", True), ("fail-open-db", False)):
        rds.create_db_instance(
            DBInstanceIdentifier=name,
            Engine="postgres",
            DBInstanceClass="db.t3.micro",
            MasterUsername="dentist",
            MasterUserPassword="not-a-real-secret-1",
            AllocatedStorage=20,
            StorageEncrypted=good,
            PubliclyAccessible=not good,
            DeletionProtection=good,
            BackupRetentionPeriod=14 if good else 0,
            **(__import__("awsbreadth").hardened_db(rds) if good else {}),
        )
    # -- ELBv2 listeners
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=f"{HOME}{az}")["Subnet"]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    cert = sess.client("acm", region_name=HOME).request_certificate(DomainName="viewer.example.test")["CertificateArn"]
    # the failing TLS listener serves an IAM server certificate, not an ACM one (elbv2-acm-certificate)
    iam_cert = sess.client("iam").upload_server_certificate(
        ServerCertificateName="legacy-viewer",
        CertificateBody="-----BEGIN CERTIFICATE-----\nnot-a-real-certificate\n-----END CERTIFICATE-----",
        PrivateKey="-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----",
    )["ServerCertificateMetadata"]["Arn"]
    elb = sess.client("elbv2", region_name=HOME)
    tg = elb.create_target_group(Name="viewer", Protocol="HTTP", Port=8042, VpcId=vpc)["TargetGroups"][0][
        "TargetGroupArn"
    ]
    forward = [{"Type": "forward", "TargetGroupArn": tg}]
    for lb_name, listeners in (
        (
            "pass-viewer",
            [
                (443, "HTTPS", "ELBSecurityPolicy-TLS13-1-2-2021-06", forward),
                (
                    80,
                    "HTTP",
                    None,
                    [
                        {
                            "Type": "redirect",
                            "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
                        }
                    ],
                ),
            ],
        ),
        (
            "fail-viewer",
            [
                (8080, "HTTP", None, forward),
                (8443, "HTTPS", "ELBSecurityPolicy-2016-08", forward),
                (9443, "HTTPS", "ELBSecurityPolicy-TLS13-1-2-2021-06", forward),
            ],
        ),
    ):
        sgs = {"SecurityGroups": [gids["pass-viewer-https"]]} if lb_name == "pass-viewer" else {}
        lb = elb.create_load_balancer(Name=lb_name, Subnets=subnets, Scheme="internet-facing", **sgs)["LoadBalancers"][
            0
        ]
        for port, proto, pol, actions in listeners:
            served = iam_cert if (lb_name, port) == ("fail-viewer", 8443) else cert
            kw = {"SslPolicy": pol, "Certificates": [{"CertificateArn": served}]} if pol else {}
            li = elb.create_listener(
                LoadBalancerArn=lb["LoadBalancerArn"], Protocol=proto, Port=port, DefaultActions=actions, **kw
            )["Listeners"][0]
            if (lb_name, port) == ("fail-viewer", 9443):  # ACM by default, an IAM certificate for SNI
                elb.add_listener_certificates(
                    ListenerArn=li["ListenerArn"], Certificates=[{"CertificateArn": iam_cert}]
                )
    # -- AWS Backup
    bk, bkr = sess.client("backup", region_name=HOME), sess.client("backup", region_name=REPLICA)
    archive_key = kms.describe_key(KeyId="alias/pass-archive")["KeyMetadata"]["Arn"]
    bk.create_backup_vault(BackupVaultName="pass-locked-vault", EncryptionKeyArn=archive_key)
    bk.create_backup_vault(BackupVaultName="fail-unlocked-vault")  # no lock, no key of its own
    bk.put_backup_vault_lock_configuration(
        BackupVaultName="pass-locked-vault", MinRetentionDays=35, MaxRetentionDays=3650
    )
    dr_key = sess.client("kms", region_name=REPLICA).describe_key(KeyId="alias/pass-archive-replica")["KeyMetadata"][
        "Arn"
    ]
    far = bkr.create_backup_vault(BackupVaultName="pass-offsite-vault", EncryptionKeyArn=dr_key)["BackupVaultArn"]
    bkr.put_backup_vault_lock_configuration(BackupVaultName="pass-offsite-vault", MinRetentionDays=35)
    for name, copies in (("pass-offsite-plan", [{"DestinationBackupVaultArn": far}]), ("fail-local-plan", [])):
        bk.create_backup_plan(
            BackupPlan={
                "BackupPlanName": name,
                "Rules": [
                    {
                        "RuleName": "daily",
                        "TargetBackupVaultName": "pass-locked-vault",
                        "ScheduleExpression": "cron(0 5 * * ? *)",
                        "Lifecycle": {"DeleteAfterDays": 35},
                        "CopyActions": copies,
                    }
                ],
            }
        )
    # -- IAM users and roles
    for name in ("pass-console-mfa", "fail-console-no-mfa", "pass-fresh-key", "fail-stale-key"):
        iam.create_user(UserName=name)
    for name in ("pass-console-mfa", "fail-console-no-mfa"):
        iam.create_login_profile(UserName=name, Password="Long-enough-passw0rd!")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="pass-console-mfa")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(
        UserName="pass-console-mfa", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    for name in ("pass-fresh-key", "fail-stale-key"):
        iam.create_access_key(UserName=name)
    age_access_key(account, "fail-stale-key", 200)
    other = f"arn:aws:iam::{other_account}:root"
    _role(
        iam,
        "pass-msp-audit-role",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": other},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
                }
            ],
        },
        tags={"access": "automation"},
    )
    _role(iam, "fail-staff-no-mfa", _mfa_trust(account, mfa=False), tags={"access": "human"})
    _role(
        iam,
        "fail-vendor-role",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": other}, "Action": "sts:AssumeRole"}],
        },
    )
    enable_root_mfa(account)
    fail = {
        "s3-bucket-data-class-tagged": ["fail-bare-bucket"],
        "s3-bucket-encrypted-at-rest": ["fail-bare-bucket"],
        "s3-bucket-versioning": ["fail-bare-bucket"],
        "s3-bucket-public-access-block": ["fail-bare-bucket"],
        "s3-bucket-ownership-enforced": ["fail-bare-bucket"],
        "s3-bucket-deny-insecure-transport": ["fail-bare-bucket"],
        "s3-bucket-minimum-tls-version": ["fail-old-tls-bucket"],
        "s3-bucket-no-public-grants": ["fail-public-phi-bucket"],
        "s3-bucket-kms-encryption": ["fail-public-phi-bucket"],
        "s3-bucket-key-enabled": ["fail-public-phi-bucket"],
        "s3-bucket-access-logging": ["fail-public-phi-bucket"],
        "s3-bucket-lifecycle-archival": ["fail-public-phi-bucket"],
        "s3-bucket-object-lock-retention": ["fail-public-phi-bucket"],
        "s3-bucket-replication": ["fail-public-phi-bucket"],
        "kms-key-rotation": ["alias/fail-shared-admin-use-no-rotation"],
        "kms-key-separation-of-duties": ["alias/fail-shared-admin-use-no-rotation"],
        "kms-key-policy-not-public": ["alias/fail-public-key"],
        "cloudtrail-kms-encryption": ["fail-weak-trail"],
        "cloudtrail-log-file-validation": ["fail-weak-trail"],
        "cloudtrail-multi-region": ["fail-weak-trail"],
        "cloudtrail-s3-data-events": ["fail-weak-trail"],
        "cloudtrail-s3-data-events-read": ["fail-weak-trail", "fail-write-only-trail", "fail-write-only-adv-trail"],
        "cloudtrail-s3-data-events-write": ["fail-weak-trail", "fail-read-only-trail"],
        "log-group-kms-encryption": ["fail-short-unencrypted-logs"],
        "log-group-retention": ["fail-short-unencrypted-logs"],
        "ec2-default-security-group-closed": ["fail-default-sg"],
        "ec2-security-group-admin-ports": ["fail-open-admin-ports"],
        "vpc-flow-logs": ["fail-default-vpc"],
        "ebs-volume-encrypted": ["fail-unencrypted-volume"],
        "ebs-snapshot-not-public": ["fail-public-snapshot"],
        "ec2-image-not-public": ["fail-public-image"],
        "rds-storage-encrypted": ["fail-open-db"],
        "rds-not-public": ["fail-open-db"],
        "rds-automated-backups": ["fail-open-db"],
        "rds-deletion-protection": ["fail-open-db"],
        "elb-listener-https": ["fail-viewer:8080"],
        "elb-listener-tls-policy": ["fail-viewer:8443"],
        "elbv2-acm-certificate": ["fail-viewer:8443", "fail-viewer:9443"],
        "backup-vault-lock": ["fail-unlocked-vault"],
        "backup-plan-offsite-copy": ["fail-local-plan"],
        "iam-user-console-mfa": ["fail-console-no-mfa"],
        "iam-user-access-key-rotation": ["fail-stale-key"],
        "iam-role-external-id": ["fail-vendor-role"],
        "iam-role-human-mfa": ["fail-staff-no-mfa"],
        "backup-vault-kms-encryption": ["fail-unlocked-vault"],
        "vpc-imaging-no-internet-route": ["fail-public-imaging-vpc"],
        "vpc-s3-endpoint-restricted": ["fail-public-imaging-vpc"],
    }
    import awsbreadth  # the checks of issue 16 (IAM policies, network, RDS, EC2 instances, ...)

    fail.update(awsbreadth.provision(sess, account))
    return fail


# Rules a live scan of moto cannot decide, with the one status every finding must have
# (the live tests assert exactly this instead of a pass and a fail).
LIVE_UNDECIDED = {
    **__import__("awsbreadth").LIVE_UNDECIDED,
    "backup-plan-covers-archive": (
        "error",
        "moto implements no backup selections (ListBackupSelections answers HTTP 500), so "
        "selected_resources is an $error value and the rule fails closed",
    ),
    "kms-key-deletion-window": (
        "skip",
        "DescribeKey reports PendingDeletionWindowInDays only for a key pending deletion (moto: "
        "never), so live emits null and the rule, scoped to sources that know the window, skips",
    ),
}


def provision_vendor_access(
    sess, account: str, vendors: list[str], bucket_reader: str, replica_account: str, key_user: str
) -> None:
    """Outside accounts reaching a practice's ePHI, as the attestation cross-check sees them:
    role `vendor-access` trusted by `vendors` (and the practice itself) with an ExternalId,
    PHI bucket `cc-xray-archive` readable by `bucket_reader` and replicated to a bucket of
    `replica_account` and to one of its own, key `alias/phi` usable by `key_user`, and a PHI
    bucket `cc-untested-phi` no one outside reaches."""
    iam, s3 = sess.client("iam"), sess.client("s3", region_name=HOME)
    _role(
        iam,
        "vendor-access",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in (*vendors, account)]},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
                }
            ],
        },
    )
    for name in ("cc-xray-archive", "cc-untested-phi"):
        s3.create_bucket(Bucket=name)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "data_class", "Value": "phi"}]})
    s3.put_bucket_versioning(Bucket="cc-xray-archive", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_policy(
        Bucket="cc-xray-archive",
        Policy=bucket_policy(
            "cc-xray-archive",
            [
                {
                    "Sid": "VendorReads",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{bucket_reader}:root"},
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::cc-xray-archive/*",
                }
            ],
        ),
    )
    sess.client("s3", region_name=REPLICA).create_bucket(
        Bucket="own-copy", CreateBucketConfiguration={"LocationConstraint": REPLICA}
    )
    rules = [
        {
            "ID": dest,
            "Status": "Enabled",
            "Priority": i,
            "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {"Bucket": f"arn:aws:s3:::{dest}", **({"Account": owner} if owner else {})},
        }
        for i, (dest, owner) in enumerate((("dr-copy", replica_account), ("own-copy", None)), 1)
    ]
    s3.put_bucket_replication(
        Bucket="cc-xray-archive",
        ReplicationConfiguration={"Role": f"arn:aws:iam::{account}:role/replication", "Rules": rules},
    )
    kms = sess.client("kms", region_name=HOME)
    own = f"arn:aws:iam::{account}:role/"
    key = kms.create_key(
        BypassPolicyLockoutSafetyCheck=True,
        Policy=key_policy(
            account,
            own + "key-admin",
            own + "imaging",
            [
                {
                    "Sid": "VendorUse",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{key_user}:root"},
                    "Action": ["kms:Decrypt"],
                    "Resource": "*",
                }
            ],
        ),
    )["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/phi", TargetKeyId=key)


def provision_audit_role(sess, trusted_account: str) -> str:
    """The cross-account audit role (trust: the MSP's account, with ExternalId), created from
    the shipped policy. moto does not enforce trust or permission policies; the ExternalId
    still travels in the AssumeRole call the scanner makes."""
    from pathlib import Path

    iam = sess.client("iam")
    policy = (Path(__file__).resolve().parent.parent / "audit-role" / "aws-audit-policy.json").read_text()
    arn = _role(
        iam,
        AUDIT_ROLE,
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{trusted_account}:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
                }
            ],
        },
    )
    iam.put_role_policy(RoleName=AUDIT_ROLE, PolicyName="enamel-audit", PolicyDocument=policy)
    __import__("awsbreadth").provision_account_b(sess)
    return arn
