"""Pass-* and fail-* resources on the moto server for the AWS services added by issue 16's
second part: classic load balancers, ACM certificates, CloudFront distributions, SQS queues,
WAFv2 logging, SSM documents, site-to-site VPN tunnels, Amazon Macie and AWS HealthImaging (the last two partly served by tests/aws_standin.py where
moto has no API). Provisioned in account A next to awsstack's and awsbreadth's cases."""

from __future__ import annotations


HOME = "us-east-1"
REPLICA = "us-west-2"

LIVE_UNDECIDED = {}


def self_signed(cn: str, days: int) -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) valid for `days` from now (an ACM import)."""
    from cryptography.hazmat.primitives import serialization

    from certs import self_signed_rsa

    cert, key = self_signed_rsa(cn, days, dns_name=True)
    kpem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), kpem


def provision(sess, account: str) -> dict:
    fail = {}
    fail.update(_classic_elbs(sess, account))
    fail.update(_cloudfront(sess, account))
    fail.update(_sqs(sess))
    fail.update(provision_waf_ssm(sess, account))
    fail.update(_healthimaging(sess))
    fail.update(_macie(sess, account))
    fail.update(_vpn(sess, account))
    return fail


def _import(acm, cn: str, days: int) -> str:
    pem, key = self_signed(cn, days)
    return acm.import_certificate(Certificate=pem, PrivateKey=key)["CertificateArn"]


def _classic_elbs(sess, account: str) -> dict:
    acm = sess.client("acm", region_name=HOME)
    elb = sess.client("elb", region_name=HOME)
    good = _import(acm, "pass-viewer.example-dental.com", 365)
    expiring = _import(acm, "fail-expiring.example-dental.com", 10)
    _import(acm, "pass-unused-expiring.example-dental.com", 5)  # not in use: out of scope (skip)
    zones = [f"{HOME}a", f"{HOME}b"]
    https = {"Protocol": "HTTPS", "LoadBalancerPort": 443, "InstanceProtocol": "HTTP", "InstancePort": 8042}
    for name, cert in (("pass-classic-viewer", good), ("pass-expiring-cert-elb", expiring)):
        elb.create_load_balancer(
            LoadBalancerName=name, Listeners=[{**https, "SSLCertificateId": cert}], AvailabilityZones=zones
        )
        elb.modify_load_balancer_attributes(
            LoadBalancerName=name,
            LoadBalancerAttributes={
                "AccessLog": {"Enabled": True, "S3BucketName": f"pass-elb-logs-{account}", "EmitInterval": 60},
                "CrossZoneLoadBalancing": {"Enabled": True},
            },
        )
    elb.create_load_balancer(
        LoadBalancerName="fail-classic-viewer",
        Listeners=[
            {"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 8042},
            {**https, "SSLCertificateId": f"arn:aws:iam::{account}:server-certificate/viewer"},
        ],
        AvailabilityZones=zones,
    )
    elb.modify_load_balancer_attributes(
        LoadBalancerName="fail-classic-viewer",
        LoadBalancerAttributes={"CrossZoneLoadBalancing": {"Enabled": False}, "AccessLog": {"Enabled": False}},
    )
    return {
        "elb-classic-access-logging": ["fail-classic-viewer"],
        "elb-classic-tls-listeners": ["fail-classic-viewer"],
        "elb-acm-certificate": ["fail-classic-viewer"],
        "elb-cross-zone-load-balancing": ["fail-classic-viewer"],
        "acm-certificate-expiry": ["fail-expiring.example-dental.com"],
    }


def _distribution(name: str, *, good: bool, cert: str | None, account: str) -> dict:
    behaviour = {
        "TargetOriginId": "viewer",
        "ViewerProtocolPolicy": "redirect-to-https" if good else "allow-all",
        "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
        "MinTTL": 0,
        "TrustedSigners": {"Enabled": False, "Quantity": 0},
    }
    config = {
        "CallerReference": name,
        "Aliases": {"Quantity": 1, "Items": [f"{name}.example-dental.com"]},
        "Comment": name,
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "viewer",
                    "DomainName": "viewer.example-dental.com",
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "https-only" if good else "http-only",
                    },
                }
            ],
        },
        "DefaultCacheBehavior": behaviour,
        "ViewerCertificate": (
            {"ACMCertificateArn": cert, "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"}
            if good
            else {"CloudFrontDefaultCertificate": True}
        ),
        "Logging": {
            "Enabled": good,
            "IncludeCookies": False,
            "Bucket": f"pass-cdn-logs-{account}.s3.amazonaws.com" if good else "",
            "Prefix": "cdn/" if good else "",
        },
    }
    return config


def _cloudfront(sess, account: str) -> dict:
    cf = sess.client("cloudfront", region_name=HOME)
    cert = _import(sess.client("acm", region_name=HOME), "pass-cdn.example-dental.com", 365)
    for name, good in (("pass-cdn", True), ("fail-cdn", False)):
        cf.create_distribution(DistributionConfig=_distribution(name, good=good, cert=cert, account=account))
    names = ["fail-cdn.example-dental.com"]
    return {
        "cloudfront-https-only": names,
        "cloudfront-modern-tls": names,
        "cloudfront-origin-https": names,
        "cloudfront-access-logging": names,
    }


def _sqs(sess) -> dict:
    sqs = sess.client("sqs", region_name=HOME)
    sqs.create_queue(QueueName="pass-new-studies", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})
    sqs.create_queue(QueueName="pass-export-jobs", Attributes={"SqsManagedSseEnabled": "true"})
    sqs.create_queue(QueueName="fail-plain-queue", Attributes={"SqsManagedSseEnabled": "false"})
    return {"sqs-queue-encrypted": ["fail-plain-queue"]}


def provision_waf_ssm(sess, account: str) -> dict:
    """A logged and an unlogged web ACL; a private and a public SSM document."""
    waf = sess.client("wafv2", region_name=HOME)
    acl = {
        "Scope": "REGIONAL",
        "DefaultAction": {"Allow": {}},
        "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"},
    }
    waf.create_web_acl(Name="pass-logged-acl", **acl)
    waf.create_web_acl(Name="fail-unlogged-acl", **acl)
    for a in waf.list_web_acls(Scope="REGIONAL")["WebACLs"]:  # and awsbreadth's pass-viewer-acl
        if a["Name"].startswith("pass"):
            waf.put_logging_configuration(
                LoggingConfiguration={
                    "ResourceArn": a["ARN"],
                    "LogDestinationConfigs": [f"arn:aws:logs:{HOME}:{account}:log-group:aws-waf-logs-{a['Name']}"],
                }
            )
    ssm = sess.client("ssm", region_name=HOME)
    content = '{"schemaVersion": "2.2", "description": "restart", "mainSteps": [{"action": "aws:runShellScript", "name": "r", "inputs": {"runCommand": ["true"]}}]}'
    for name in ("pass-private-runbook", "fail-public-runbook"):
        ssm.create_document(Content=content, Name=name, DocumentType="Command", DocumentFormat="JSON")
    ssm.modify_document_permission(Name="fail-public-runbook", PermissionType="Share", AccountIdsToAdd=["all"])
    return {"wafv2-logging": ["fail-unlogged-acl"], "ssm-document-not-public": ["fail-public-runbook"]}


def datastore(name: str, region: str = HOME, status: str = "ACTIVE", key: str | None = None) -> dict:
    """A HealthImaging datastoreProperties object (the stand-in serves it)."""
    sid = (name.encode().hex() + "0" * 32)[:32]
    store = {
        "datastoreId": sid,
        "datastoreName": name,
        "datastoreStatus": status,
        "datastoreArn": f"arn:aws:medical-imaging:{region}:123456789012:datastore/{sid}",
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-01T00:00:00Z",
    }
    if key:
        store["kmsKeyArn"] = key
    return store


def _healthimaging(sess) -> dict:
    """moto has no HealthImaging: the data stores live on awsstack's stand-in, the key on moto."""
    import awsstack

    kms = sess.client("kms", region_name=HOME)
    alias = next(a for a in kms.list_aliases()["Aliases"] if a["AliasName"].startswith("alias/pass"))
    key = kms.describe_key(KeyId=alias["TargetKeyId"])["KeyMetadata"]["Arn"]  # one of awsstack's keys
    awsstack.STANDIN.datastores[HOME] = [
        datastore("pass-dicom-store", key=key),
        datastore("fail-dicom-aws-owned-key"),
        datastore("fail-dicom-create-failed", status="CREATE_FAILED", key=key),
    ]
    return {
        "healthimaging-datastore-cmk": ["fail-dicom-aws-owned-key"],
        "healthimaging-datastore-active": ["fail-dicom-create-failed"],
    }


def _macie(sess, account: str) -> dict:
    """Macie (on awsstack's stand-in, keyed by account A's access key: account B, reached with
    the audit role's temporary key, has Macie off): on in both regions of A, one scheduled job
    selecting every bucket of the account except those named fail-macie*."""
    import os

    import awsstack

    key = os.environ["AWS_ACCESS_KEY_ID"]
    job = {
        "jobId": "all-buckets",
        "name": "all-buckets-weekly",
        "jobType": "SCHEDULED",
        "jobStatus": "IDLE",
        "bucketCriteria": {
            "includes": {"and": [{"simpleCriterion": {"comparator": "EQ", "key": "ACCOUNT_ID", "values": [account]}}]},
            "excludes": {
                "and": [
                    {
                        "simpleCriterion": {
                            "comparator": "STARTS_WITH",
                            "key": "S3_BUCKET_NAME",
                            "values": ["fail-macie"],
                        }
                    }
                ]
            },
        },
    }
    for region in (HOME, REPLICA):
        awsstack.STANDIN.macie[(key, region)] = {"status": "ENABLED"}
        awsstack.STANDIN.jobs[(key, region)] = [job]
    sess.client("s3", region_name=HOME).create_bucket(Bucket=f"fail-macie-uncovered-{account}")
    return {"macie-phi-bucket-covered": [f"fail-macie-uncovered-{account}"]}


def _vpn(sess, account: str) -> dict:
    """Two site-to-site VPN connections. moto keeps no tunnel telemetry (the scan then reads an
    $error, fail closed): it is set in moto's backend, which runs in this process."""
    from moto.ec2.models import ec2_backends

    ec2 = sess.client("ec2", region_name=HOME)
    cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="203.0.113.10", BgpAsn=65000)["CustomerGateway"]
    for name, second in (("pass-practice-vpn", "UP"), ("fail-branch-vpn", "DOWN")):
        vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
        vid = ec2.create_vpn_connection(
            Type="ipsec.1",
            CustomerGatewayId=cgw["CustomerGatewayId"],
            VpnGatewayId=vgw,
            TagSpecifications=[{"ResourceType": "vpn-connection", "Tags": [{"Key": "Name", "Value": name}]}],
        )["VpnConnection"]["VpnConnectionId"]
        ec2_backends[account][HOME].vpn_connections[vid].vgw_telemetry = [
            {"OutsideIpAddress": "198.51.100.1", "Status": "UP", "AcceptedRouteCount": 1, "StatusMessage": ""},
            {"OutsideIpAddress": "198.51.100.2", "Status": second, "AcceptedRouteCount": 0, "StatusMessage": ""},
        ]
    return {"vpn-two-tunnels-up": ["fail-branch-vpn"]}
