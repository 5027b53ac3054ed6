"""Pass-* and fail-* resources on the moto server for the live checks of issue 16 (IAM
policies and unused credentials, network ACLs and subnets, RDS instances/clusters/
snapshots, EC2 instances, ...), provisioned next to awsstack's rule cases in account A.

Where moto cannot serve a call the collector makes (SSM's DescribeInstanceInformation,
GuardDuty's ListFindings, ...), `LIVE_UNDECIDED` names the rule and the one status
(`error`) every finding must have: the collector still makes the real call and fails closed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

HOME = "us-east-1"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

LIVE_UNDECIDED = {
    "apigateway-stage-client-certificate": (
        "fail",
        "moto has no GenerateClientCertificate and does not store a stage's clientCertificateId, so every "
        "stage reads as without one (the pass is shown by the rule cases)",
    ),
    **{
        rule: (
            "error",
            "moto implements no ListBackupSelections (HTTP 500): in account A (which has plans) the "
            "uncovered lists are $error values and the rule fails closed",
        )
        for rule in (
            "backup-covers-ebs",
            "backup-covers-ec2",
            "backup-covers-rds",
            "backup-covers-aurora",
            "backup-covers-efs",
        )
    },
    "guardduty-no-high-findings": (
        "error",
        "moto has no GuardDuty ListFindings (HTTP 500): the findings are an $error "
        "value in both accounts and the rule fails closed",
    ),
    **{
        rule: (
            "error",
            "moto has no SSM DescribeInstanceInformation (HTTP 500/404): ssm_managed is an $error "
            "value on every instance and the rule fails closed",
        )
        for rule in (
            "ec2-instance-managed-by-ssm",
            "ec2-instance-patch-compliant",
            "ec2-instance-association-compliant",
        )
    },
    **__import__("awsservices").LIVE_UNDECIDED,
}


def _backdate(
    account: str, days: int, *, user: str | None = None, instance: str | None = None, stopped: str | None = None
) -> None:
    """moto has no API to age things: set dates in its backend (this process runs the server)."""
    then = datetime.now(timezone.utc) - timedelta(days=days)
    if user:
        from moto.iam.models import iam_backends

        iam_backends[account]["global"].users[user].password_last_used = then
    if instance or stopped:
        from moto.ec2.models import ec2_backends

        for res in ec2_backends[account][HOME].reservations.values():
            for i in res.instances:
                if i.id == instance:
                    i.launch_time = then
                if i.id == stopped:
                    i._reason = f"User initiated ({then.strftime('%Y-%m-%d %H:%M:%S')} GMT)"


def provision(sess, account: str) -> dict:
    fail = {}
    fail.update(_iam(sess, account))
    fail.update(_network(sess))
    fail.update(_rds(sess))
    fail.update(_instances(sess, account))
    fail.update(_monitoring(sess, account))
    fail.update(_datastores(sess, account))
    fail.update(_load_balancers(sess))
    sess.client("backup", region_name=HOME).create_backup_plan(
        BackupPlan={
            "BackupPlanName": "fail-weekly-plan",
            "Rules": [
                {
                    "RuleName": "weekly",
                    "TargetBackupVaultName": "pass-locked-vault",
                    "ScheduleExpression": "cron(0 5 ? * SUN *)",
                    "Lifecycle": {"DeleteAfterDays": 7},
                }
            ],
        }
    )
    fail["backup-plan-frequency-retention"] = ["fail-weekly-plan"]
    fail.update(_api_gateway(sess))
    fail.update(__import__("awsservices").provision(sess, account))  # ELB, ACM, CloudFront, SQS, ...
    fail["iam-no-inline-policies"] = ["admin-by-hand/iam-admin"]
    vault = sess.client("backup", region_name=HOME).describe_backup_vault(BackupVaultName="pass-locked-vault")[
        "BackupVaultArn"
    ]
    sess.client("backup", region_name="us-west-2").create_backup_plan(
        BackupPlan={  # every scanned region has one
            "BackupPlanName": "pass-dr-region-plan",
            "Rules": [
                {
                    "RuleName": "daily",
                    "TargetBackupVaultName": "pass-offsite-vault",
                    "ScheduleExpression": "cron(0 6 * * ? *)",
                    "Lifecycle": {"DeleteAfterDays": 35},
                    "CopyActions": [{"DestinationBackupVaultArn": vault}],
                }
            ],
        }
    )
    return fail


def _load_balancers(sess) -> dict:
    """awsstack's pass-viewer gets access logs, deletion protection and a web ACL; fail-viewer none."""
    elb = sess.client("elbv2", region_name=HOME)
    lbs = {lb["LoadBalancerName"]: lb["LoadBalancerArn"] for lb in elb.describe_load_balancers()["LoadBalancers"]}
    elb.modify_load_balancer_attributes(
        LoadBalancerArn=lbs["pass-viewer"],
        Attributes=[
            {"Key": "access_logs.s3.enabled", "Value": "true"},
            {"Key": "access_logs.s3.bucket", "Value": "pass-elb-logs"},
            {"Key": "deletion_protection.enabled", "Value": "true"},
        ],
    )
    waf = sess.client("wafv2", region_name=HOME)
    acl = waf.create_web_acl(
        Name="pass-viewer-acl",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        Rules=[],
        VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "viewer"},
    )["Summary"]["ARN"]
    waf.associate_web_acl(WebACLArn=acl, ResourceArn=lbs["pass-viewer"])
    bad = ["fail-viewer"]
    return {"load-balancer-access-logging": bad, "elbv2-deletion-protection": bad, "alb-waf-enabled": bad}


def _datastores(sess, account: str) -> dict:
    kms = sess.client("kms", region_name=HOME)
    key = kms.describe_key(KeyId="alias/pass-archive")["KeyMetadata"]["Arn"]
    efs = sess.client("efs", region_name=HOME)
    for name, good in (("pass-imaging-share", True), ("fail-plain-share", False)):
        efs.create_file_system(
            CreationToken=name,
            Encrypted=good,
            Backup=good,
            Tags=[{"Key": "Name", "Value": name}],
            **({"KmsKeyId": key} if good else {}),
        )  # moto: PutBackupPolicy answers 500
    sm = sess.client("secretsmanager", region_name=HOME)
    sm.create_secret(Name="pass-pms-db-credentials", SecretString="not-a-real-secret", KmsKeyId=key)
    # moto's RotateSecret wants a real Lambda function: turn rotation on in its backend instead
    from moto.secretsmanager.models import secretsmanager_backends

    secret = secretsmanager_backends[account][HOME].secrets["pass-pms-db-credentials"]
    secret.rotation_enabled, secret.rotation_requested, secret.auto_rotate_after_days = True, True, 30
    secret.rotation_lambda_arn = f"arn:aws:lambda:{HOME}:{account}:function:rotate-pms"
    sm.create_secret(Name="fail-static-secret", SecretString="not-a-real-secret")
    sns = sess.client("sns", region_name=HOME)
    sns.set_topic_attributes(
        TopicArn=f"arn:aws:sns:{HOME}:{account}:pass-security-alerts",
        AttributeName="KmsMasterKeyId",
        AttributeValue=key,
    )
    sns.create_topic(Name="fail-plain-topic")
    doomed = kms.create_key(Description="scheduled for deletion")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/fail-doomed-key", TargetKeyId=doomed)
    kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=30)
    return {
        "efs-encrypted": ["fail-plain-share"],
        "efs-automatic-backups": ["fail-plain-share"],
        "secretsmanager-rotation": ["fail-static-secret"],
        "secret-customer-managed-key": ["fail-static-secret"],
        "sns-topic-encrypted": ["fail-plain-topic"],
        "kms-key-not-pending-deletion": ["alias/fail-doomed-key"],
    }


def cis_pattern(control: str) -> str:
    """The CIS AWS Foundations metric filter pattern for a control."""
    from enamel_hipaa.sources.normalise.aws.monitoring import CIS_FILTERS

    if control == "root_usage":
        return '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'
    if control == "console_auth_failures":
        return '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
    return "{ " + " || ".join(f"($.eventName = {e})" for e in CIS_FILTERS[control]) + " }"


def _monitoring(sess, account: str) -> dict:
    """Account A: the infra trail delivers to its log group, which carries every CIS filter
    with an alarm that notifies an SNS topic; Security Hub and the Config recorder on in both
    scanned regions. (Account B, provision_account_b, has none of it.)"""
    from enamel_hipaa.sources.normalise.aws.monitoring import CIS_FILTERS

    iam = sess.client("iam")
    role = iam.create_role(
        RoleName="pass-trail-to-logs",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudtrail.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    group = f"arn:aws:logs:{HOME}:{account}:log-group:/pass/audit:*"
    ct = sess.client("cloudtrail", region_name=HOME)
    ct.update_trail(Name="pass-audit-trail", CloudWatchLogsLogGroupArn=group, CloudWatchLogsRoleArn=role)
    selectors = ct.get_event_selectors(TrailName="pass-audit-trail")["AdvancedEventSelectors"]
    ct.put_event_selectors(
        TrailName="pass-audit-trail",
        AdvancedEventSelectors=[  # management events too
            {"Name": "management events", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
            *selectors,
        ],
    )
    topic = sess.client("sns", region_name=HOME).create_topic(Name="pass-security-alerts")["TopicArn"]
    logs, cw = sess.client("logs", region_name=HOME), sess.client("cloudwatch", region_name=HOME)
    for control in CIS_FILTERS:
        logs.put_metric_filter(
            logGroupName="/pass/audit",
            filterName=control,
            filterPattern=cis_pattern(control),
            metricTransformations=[{"metricName": control, "metricNamespace": "CISBenchmark", "metricValue": "1"}],
        )
        cw.put_metric_alarm(
            AlarmName=f"cis-{control}",
            MetricName=control,
            Namespace="CISBenchmark",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[topic],
        )
    for region in (HOME, "us-west-2"):
        sess.client("securityhub", region_name=region).enable_security_hub(EnableDefaultStandards=True)
        cfg = sess.client("config", region_name=region)
        cfg.put_configuration_recorder(
            ConfigurationRecorder={
                "name": "default",
                "roleARN": f"arn:aws:iam::{account}:role/config",
                "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": region == HOME},
            }
        )
        cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": f"pass-cloudtrail-{account}"})
        cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    return {"cloudtrail-cloudwatch-integration": ["fail-weak-trail"]}


def provision_account_b(sess) -> None:
    """Account B (account-level failures): an alarm that notifies no one, a suspended GuardDuty detector."""
    sess.client("guardduty", region_name=HOME).create_detector(Enable=False)
    sess.client("cloudwatch", region_name=HOME).put_metric_alarm(
        AlarmName="silent-alarm",
        MetricName="Errors",
        Namespace="Imaging",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )


def _iam(sess, account: str) -> dict:
    iam = sess.client("iam")
    iam.create_user(UserName="fail-dormant-console")
    iam.create_login_profile(UserName="fail-dormant-console", Password="Long-enough-passw0rd!")
    _backdate(account, 200, user="fail-dormant-console")
    doc = json.dumps
    scoped = iam.create_policy(
        PolicyName="pass-scoped-policy",
        PolicyDocument=doc(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::pass-xray-archive/*"},
                    {
                        "Effect": "Allow",
                        "Action": ["kms:Decrypt"],
                        "Resource": f"arn:aws:kms:{HOME}:{account}:key/pass",
                    },
                ],
            }
        ),
    )
    admin = iam.create_policy(PolicyName="fail-admin-policy", PolicyDocument=doc(ADMIN))
    broad = iam.create_policy(
        PolicyName="fail-broad-policy",
        PolicyDocument=doc(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["s3:*"], "Resource": "arn:aws:s3:::pass-xray-archive/*"},
                    {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "*"},
                ],
            }
        ),
    )
    iam.create_group(GroupName="pass-imaging-readers")
    iam.attach_group_policy(GroupName="pass-imaging-readers", PolicyArn=scoped["Policy"]["Arn"])
    iam.create_user(UserName="admin-by-hand")
    iam.attach_user_policy(UserName="admin-by-hand", PolicyArn=admin["Policy"]["Arn"])
    iam.attach_group_policy(GroupName="pass-imaging-readers", PolicyArn=broad["Policy"]["Arn"])
    iam.put_user_policy(
        UserName="admin-by-hand",
        PolicyName="iam-admin",
        PolicyDocument=doc(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
        ),
    )
    return {
        "iam-user-console-unused": ["fail-dormant-console"],
        "iam-user-access-key-unused": ["fail-stale-key"],
        "iam-policy-no-admin": ["fail-admin-policy", "admin-by-hand/iam-admin"],
        "iam-policy-no-full-service-access": ["fail-broad-policy", "admin-by-hand/iam-admin"],
        "iam-policy-no-kms-decrypt-all-keys": ["fail-admin-policy", "fail-broad-policy"],
        "iam-user-no-direct-policies": ["fail-admin-policy", "admin-by-hand/iam-admin"],
    }


def _tag(ec2, rid: str, name: str) -> None:
    ec2.create_tags(Resources=[rid], Tags=[{"Key": "Name", "Value": name}])


def _network(sess) -> dict:
    ec2 = sess.client("ec2", region_name=HOME)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["pass-imaging-vpc"]}])["Vpcs"][0]["VpcId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.100.0/24", AvailabilityZone=f"{HOME}a")["Subnet"][
        "SubnetId"
    ]
    _tag(ec2, private, "pass-private-subnet")
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.101.0/24", AvailabilityZone=f"{HOME}b")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=public, MapPublicIpOnLaunch={"Value": True})
    _tag(ec2, public, "fail-public-ip-subnet")
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    _tag(ec2, acl, "pass-restricted-nacl")
    ec2.create_network_acl_entry(
        NetworkAclId=acl,
        RuleNumber=100,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock="0.0.0.0/0",
        PortRange={"From": 443, "To": 443},
    )
    assoc = next(
        a["NetworkAclAssociationId"]
        for n in ec2.describe_network_acls()["NetworkAcls"]
        for a in n.get("Associations") or []
        if a["SubnetId"] == private
    )
    ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl)
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    default_acl = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [default_vpc]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"][0]
    _tag(ec2, default_acl["NetworkAclId"], "fail-open-nacl")
    return {
        "vpc-subnet-no-auto-public-ip": ["fail-public-ip-subnet"],
        "vpc-nacl-no-open-ingress": ["fail-open-nacl"],
        "ec2-security-group-internet-ingress": ["fail-open-admin-ports"],
    }


def hardened_db(rds) -> dict:
    """create_db_instance arguments for a database passing every RDS instance rule."""
    if not rds.describe_db_parameter_groups(
        Filters=[{"Name": "db-parameter-group-name", "Values": ["pass-force-ssl"]}]
    ).get("DBParameterGroups"):
        rds.create_db_parameter_group(
            DBParameterGroupName="pass-force-ssl", DBParameterGroupFamily="postgres16", Description="forces TLS"
        )
        rds.modify_db_parameter_group(
            DBParameterGroupName="pass-force-ssl",
            Parameters=[{"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "immediate"}],
        )
    return {
        "MultiAZ": True,
        "EnableIAMDatabaseAuthentication": True,
        "AutoMinorVersionUpgrade": True,
        "EnableCloudwatchLogsExports": ["postgresql"],
        "DBParameterGroupName": "pass-force-ssl",
        "MonitoringInterval": 60,
        "MonitoringRoleArn": "arn:aws:iam::123456789012:role/rds-monitoring",
    }


def _rds(sess) -> dict:
    rds = sess.client("rds", region_name=HOME)
    good_db = hardened_db(rds)
    rds.create_db_parameter_group(
        DBParameterGroupName="fail-no-force-ssl", DBParameterGroupFamily="postgres16", Description="leaves TLS optional"
    )
    for name, good in (("pass-hardened-db", True), ("fail-soft-db", False)):
        rds.create_db_instance(
            DBInstanceIdentifier=name,
            Engine="postgres",
            DBInstanceClass="db.t3.micro",
            MasterUsername="dentist",
            MasterUserPassword="not-a-real-secret-1",
            AllocatedStorage=20,
            StorageEncrypted=True,
            PubliclyAccessible=False,
            DeletionProtection=True,
            BackupRetentionPeriod=14,
            **(
                good_db
                if good
                else {"MultiAZ": False, "AutoMinorVersionUpgrade": False, "DBParameterGroupName": "fail-no-force-ssl"}
            ),
        )
    for name, good in (("pass-aurora", True), ("fail-aurora", False)):
        rds.create_db_cluster(
            DBClusterIdentifier=name,
            Engine="aurora-postgresql",
            MasterUsername="dentist",
            MasterUserPassword="not-a-real-secret-1",
            StorageEncrypted=good,
            DeletionProtection=good,
        )
    for az in ("a", "b"):  # members in two zones make the cluster Multi-AZ
        rds.create_db_instance(
            DBInstanceIdentifier=f"aurora-member-{az}",
            DBClusterIdentifier="pass-aurora",
            Engine="aurora-postgresql",
            DBInstanceClass="db.r6g.large",
            AvailabilityZone=f"{HOME}{az}",
        )
    rds.create_db_snapshot(DBInstanceIdentifier="pass-hardened-db", DBSnapshotIdentifier="pass-db-snapshot")
    rds.create_db_snapshot(DBInstanceIdentifier="fail-open-db", DBSnapshotIdentifier="fail-public-db-snapshot")
    rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier="fail-public-db-snapshot", AttributeName="restore", ValuesToAdd=["all"]
    )
    soft = ["fail-soft-db"]
    return {
        "rds-instance-multi-az": soft,
        "rds-instance-log-exports": soft,
        "rds-iam-authentication": soft,
        "rds-encryption-in-transit": soft,
        "rds-auto-minor-version-upgrade": soft,
        "rds-enhanced-monitoring": soft,
        "rds-cluster-deletion-protection": ["fail-aurora"],
        "rds-cluster-multi-az": ["fail-aurora"],
        "rds-cluster-encrypted": ["fail-aurora"],
        "rds-snapshot-not-public": ["fail-public-db-snapshot"],
        "rds-snapshot-encrypted": ["fail-public-db-snapshot"],
    }


def _instances(sess, account: str) -> dict:
    ec2, iam = sess.client("ec2", region_name=HOME), sess.client("iam")
    image = ec2.describe_images(Owners=["self"], Filters=[{"Name": "name", "Values": ["pass-private-image"]}])[
        "Images"
    ][0]["ImageId"]
    iam.create_instance_profile(InstanceProfileName="pass-imaging-server")
    private = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": ["pass-private-subnet"]}])["Subnets"][0][
        "SubnetId"
    ]
    ids = {}
    for name, good in (
        ("pass-imaging-server", True),
        ("pass-recently-stopped", True),
        ("fail-exposed-server", False),
        ("fail-stopped-server", False),
    ):
        kw = (
            {
                "SubnetId": private,
                "MetadataOptions": {"HttpTokens": "required"},
                "IamInstanceProfile": {"Name": "pass-imaging-server"},
            }
            if good
            else {}
        )
        ids[name] = ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.micro",
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
            **kw,
        )["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[ids["fail-stopped-server"], ids["pass-recently-stopped"]])
    _backdate(account, 400, instance=ids["fail-exposed-server"], stopped=ids["fail-stopped-server"])
    bad = ["fail-exposed-server"]
    return {
        "ec2-instance-no-public-ip": bad,
        "ec2-instance-imdsv2": bad,
        "ec2-instance-age": bad,
        "ec2-instance-profile": bad,
        "ec2-stopped-instance": ["fail-stopped-server"],
    }


def _api_gateway(sess) -> dict:
    api = sess.client("apigateway", region_name=HOME)
    waf = sess.client("wafv2", region_name=HOME)
    acl = waf.create_web_acl(
        Name="pass-api-acl",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        Rules=[],
        VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "api"},
    )["Summary"]["ARN"]
    for name, good in (("pass", True), ("fail", False)):
        rid = api.create_rest_api(name=f"{name}-referrals-api")["id"]
        root = api.get_resources(restApiId=rid)["items"][0]["id"]
        api.put_method(restApiId=rid, resourceId=root, httpMethod="GET", authorizationType="AWS_IAM")
        api.put_integration(restApiId=rid, resourceId=root, httpMethod="GET", type="MOCK")
        dep = api.create_deployment(restApiId=rid)["id"]
        api.create_stage(restApiId=rid, stageName="prod", deploymentId=dep)
        if good:
            api.update_stage(
                restApiId=rid,
                stageName="prod",
                patchOperations=[{"op": "replace", "path": "/*/*/logging/loglevel", "value": "ERROR"}],
            )
            waf.associate_web_acl(WebACLArn=acl, ResourceArn=f"arn:aws:apigateway:{HOME}::/restapis/{rid}/stages/prod")
    bad = ["fail-referrals-api/prod"]
    return {"apigateway-stage-logging": bad, "apigateway-stage-waf": bad}
