"""Pass-* and fail-* resources on the moto server for the AWS services added by issue 16's
second part: classic load balancers, ACM certificates, CloudFront distributions, SQS queues,
Amazon Macie and AWS HealthImaging (the last two partly served by tests/aws_standin.py where
moto has no API). Provisioned in account A next to awsstack's and awsbreadth's cases."""

from __future__ import annotations

import datetime

HOME = "us-east-1"
REPLICA = "us-west-2"
MOTO_LACKS = {"medical-imaging": "ListDatastores"}  # moto has no HealthImaging: HTTP 500 per region

LIVE_UNDECIDED = {
    "macie-phi-bucket-covered": (
        "error",
        "moto has no Macie ListClassificationJobs (HTTP 404): where Macie is enabled the job list is an "
        "$error value and every bucket's coverage fails closed (pass and fail: tests/test_aws_services.py, "
        "on the stand-in)",
    ),
    **{
        rule: (
            "error",
            "moto has no HealthImaging (ListDatastores answers HTTP 500): the listing is a collection error "
            "and the rule fails closed (pass and fail: tests/test_aws_services.py, on the stand-in)",
        )
        for rule in ("healthimaging-datastore-cmk", "healthimaging-datastore-active")
    },
}


def self_signed(cn: str, days: int) -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) valid for `days` from now (an ACM import)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    kpem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    return pem, kpem


def provision(sess, account: str) -> dict:
    fail = {}
    fail.update(_classic_elbs(sess, account))
    fail.update(_cloudfront(sess, account))
    fail.update(_sqs(sess))
    fail.update(provision_waf_ssm(sess, account))
    for region in (HOME, REPLICA):  # account A: Macie on in every scanned region (B: off)
        sess.client("macie2", region_name=region).enable_macie()
    return fail


def provision_account_b(sess) -> None:
    """Account B: Macie off (moto starts every account with Macie enabled)."""
    sess.client("macie2", region_name=HOME).disable_macie()


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
