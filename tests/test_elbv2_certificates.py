"""elbv2-acm-certificate's live read: real AWS's DescribeListeners names only a listener's
default certificate (moto names all of them, so the live stack cannot show the difference);
the SNI certificates come from DescribeListenerCertificates, and a failed read is unknown."""

from __future__ import annotations

from botocore.exceptions import ClientError

from enamel_hipaa.sources.aws.elbv2 import certificates
from enamel_hipaa.sources.normalise.aws.elbv2_listener import certificate_props

ACM = "arn:aws:acm:us-east-1:111122223333:certificate/1"
IAM = "arn:aws:iam::111122223333:server-certificate/legacy"
LISTENER = {
    "ListenerArn": "arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/v/1/2",
    "Protocol": "HTTPS",
    "Certificates": [{"CertificateArn": ACM}],  # real AWS: the default certificate only
}


class Elb:
    """The two ELBv2 answers the reader consumes, in AWS's response shape."""

    def __init__(self, sni=None, error=None):
        self.sni, self.error, self.asked = sni or [], error, []

    def can_paginate(self, operation):
        return False

    def describe_listener_certificates(self, ListenerArn):
        self.asked.append(ListenerArn)
        if self.error:
            raise ClientError({"Error": {"Code": self.error, "Message": "denied"}}, "DescribeListenerCertificates")
        return {
            "Certificates": [{"CertificateArn": ACM, "IsDefault": True}]
            + [{"CertificateArn": c, "IsDefault": False} for c in self.sni]
        }


def test_fail_iam_certificate_added_for_sni_beside_an_acm_default():
    props = certificate_props(certificates(Elb(sni=[IAM]), LISTENER))
    assert props == {"certificates": [ACM, IAM], "acm_certificates_only": False}


def test_pass_acm_default_certificate_only():
    elb = Elb()
    assert certificate_props(certificates(elb, LISTENER)) == {"certificates": [ACM], "acm_certificates_only": True}
    assert elb.asked == [LISTENER["ListenerArn"]]


def test_unknown_when_listener_certificates_cannot_be_read():
    props = certificate_props(certificates(Elb(error="AccessDenied"), LISTENER))
    assert "$error" in props["acm_certificates_only"] and props["certificates"] == props["acm_certificates_only"]


def test_no_read_for_a_plain_http_listener():
    elb = Elb()
    plain = {"ListenerArn": "arn:x", "Protocol": "HTTP"}
    assert certificate_props(certificates(elb, plain)) == {"certificates": [], "acm_certificates_only": True}
    assert elb.asked == []
