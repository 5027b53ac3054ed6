"""Pure mapping functions of the AWS collectors (API response -> normalised properties)."""

from enamel_hipaa.sources.normalise.aws.cloudtrail_trail import data_events
from enamel_hipaa.sources.normalise.aws.ec2_security_group import permissions
from enamel_hipaa.sources.aws.elbv2 import policy_floors
from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.core.model import Resource
from conftest import shipped_rules


def test_security_group_rules_become_one_item_per_range():
    items = permissions(
        [
            {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-1", "Description": "same group"}]},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        ]
    )
    assert items[0] == {
        "protocol": "icmp",
        "port_range": {"from": -1, "to": -1},
        "cidr": "0.0.0.0/0",
        "description": None,
    }
    assert "cidr" not in items[1] and items[1]["port_range"] == {"from": 0, "to": 65535}
    assert items[2]["cidr"] == "::/0"


def test_pass_icmp_and_group_references_fail_only_real_internet_admin_ports():
    rule = next(r for r in shipped_rules().rules if r.id == "ec2-security-group-admin-ports")

    def status(rules):
        props = {
            "group_id": "sg-x",
            "vpc_id": "vpc-x",
            "is_default": False,
            "tags": {},
            "ingress": permissions(rules),
            "egress": [],
        }
        (f,) = evaluate([rule], [Resource("aws.ec2_security_group", "sg-x", "sg-x", "live", props)])
        return f.status

    assert (
        status(
            [
                {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
                {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-1"}]},
            ]
        )
        == "pass"
    )
    assert (
        status([{"IpProtocol": "tcp", "FromPort": 11112, "ToPort": 11112, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        == "fail"
    )


def test_cloudtrail_data_events_from_classic_and_advanced_selectors():
    classic = {
        "EventSelectors": [
            {"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::xrays/", "arn:aws:s3:::logs/a"]}]}
        ]
    }
    both = {"all_buckets": False, "buckets": ["logs", "xrays"]}  # no ReadWriteType: All, reads and writes
    assert data_events(classic) == {
        "s3_all_buckets": False,
        "s3_buckets": ["logs", "xrays"],
        "read": both,
        "write": both,
    }
    everything = {
        "AdvancedEventSelectors": [
            {
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                ]
            }
        ]
    }
    every = {"all_buckets": True, "buckets": []}  # no readOnly field selector: reads and writes
    assert data_events(everything) == {"s3_all_buckets": True, "s3_buckets": [], "read": every, "write": every}
    none = {"all_buckets": False, "buckets": []}
    assert data_events({"EventSelectors": [{"DataResources": []}]}) == {
        "s3_all_buckets": False,
        "s3_buckets": [],
        "read": none,
        "write": none,
    }


def test_tls_policy_floor_is_the_oldest_protocol_accepted():
    floors = policy_floors(
        [
            {"Name": "old", "SslProtocols": ["TLSv1", "TLSv1.1", "TLSv1.2"]},
            {"Name": "modern", "SslProtocols": ["TLSv1.3", "TLSv1.2"]},
        ]
    )
    assert floors == {"old": "1.0", "modern": "1.2"}
