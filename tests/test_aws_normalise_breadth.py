"""The derivations of issue 16's resource types (sources/normalise/aws/), fed the API shapes directly."""

import pytest

from enamel_hipaa.sources.normalise.aws import backup_coverage, iam_policy, monitoring, network
from enamel_hipaa.sources.normalise.aws.iam_user import user_props
from enamel_hipaa.sources.normalise.aws.rds import forces_tls

ALLOW = "Allow"


def _doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.mark.parametrize(
    "statement,grants",
    [
        ({"Effect": ALLOW, "Action": "*", "Resource": "*"}, ["*"]),
        ({"Effect": ALLOW, "Action": ["iam:*"], "Resource": "*"}, ["iam:*"]),
        ({"Effect": ALLOW, "Action": "kms:*", "NotResource": "arn:aws:kms:*:*:key/x"}, ["kms:*"]),
        ({"Effect": ALLOW, "NotAction": "iam:*", "Resource": "*"}, ["NotAction"]),
    ],
)
def test_fail_admin_grants_are_recognised(statement, grants):
    facts = iam_policy.policy_facts(_doc(statement))
    assert facts["admin"] is True and facts["admin_grants"] == grants


def test_pass_scoped_or_denied_star_is_not_admin():
    facts = iam_policy.policy_facts(
        _doc(
            {"Effect": "Deny", "Action": "*", "Resource": "*"},
            {"Effect": ALLOW, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::x/*"},
            {"Effect": ALLOW, "Action": "iam:*", "Resource": "arn:aws:iam::1:role/x"},
        )
    )
    assert facts["admin"] is False and facts["full_access_services"] == ["iam"]
    assert facts["kms_decrypt_all_keys"] is False


def test_fail_kms_decrypt_wildcard_on_all_keys_and_url_encoded_document():
    encoded = "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22kms%3ADecr%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D"
    assert iam_policy.policy_facts(encoded)["kms_decrypt_all_keys"] is True


def test_error_unparsable_policy_raises():
    with pytest.raises(ValueError):
        iam_policy.policy_facts("{not json")


def test_fail_never_used_password_counts_from_when_it_was_set():
    row = {
        "arn": "arn:aws:iam::1:user/a",
        "password_enabled": "true",
        "password_last_used": "no_information",
        "password_last_changed": "2025-01-01T00:00:00+00:00",
        "mfa_active": "false",
        "access_key_1_last_rotated": "2025-02-01T00:00:00+00:00",
        "access_key_1_active": "true",
        "access_key_1_last_used_date": "N/A",
    }
    p = user_props(row)
    assert p["console_last_activity"] == "2025-01-01T00:00:00+00:00"
    assert p["access_keys"][0]["last_activity"] == "2025-02-01T00:00:00+00:00"


def test_fail_subnet_without_association_uses_the_main_route_table():
    tables = [
        {
            "RouteTableId": "rtb-main",
            "VpcId": "v",
            "Associations": [{"Main": True}],
            "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}],
        },
        {
            "RouteTableId": "rtb-private",
            "VpcId": "v",
            "Associations": [{"SubnetId": "s-private"}],
            "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"}],
        },
    ]
    subnets = [{"SubnetId": "s-implicit", "VpcId": "v"}, {"SubnetId": "s-private", "VpcId": "v"}]
    assert network.internet_routed_subnets("v", subnets, tables) == ["s-implicit"]
    props = network.subnet_props("arn", subnets[0], tables, {})
    assert props["uses_main_route_table"] is True and props["routes_to_internet_gateway"] is True


def test_nacl_first_matching_entry_decides():
    deny_first = {
        "Entries": [
            {"RuleNumber": 50, "Protocol": "-1", "RuleAction": "deny", "CidrBlock": "0.0.0.0/0"},
            {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"},
        ]
    }
    allow_all = {"Entries": [{"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Ipv6CidrBlock": "::/0"}]}
    assert network.nacl_props("a", deny_first, {})["allows_all_ingress_from_internet"] is False
    assert network.nacl_props("a", allow_all, {})["allows_all_ingress_from_internet"] is True


def test_cis_alarm_needs_filter_alarm_and_action():
    filters = [
        {
            "filterPattern": '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
            "metricTransformations": [{"metricName": "f", "metricNamespace": "CIS"}],
        }
    ]
    with_action = [{"MetricName": "f", "Namespace": "CIS", "AlarmActions": ["arn:aws:sns:x"]}]
    silent = [{"MetricName": "f", "Namespace": "CIS", "AlarmActions": []}]
    assert monitoring.cis_alarms(filters, with_action)["console_auth_failures"] is True
    assert monitoring.cis_alarms(filters, silent)["console_auth_failures"] is False
    assert monitoring.cis_alarms(filters, with_action)["root_usage"] is False


def test_fail_write_only_management_selector_is_not_all_management_events():
    assert monitoring.records_all_management_events({"EventSelectors": [{"ReadWriteType": "WriteOnly"}]}) is False
    assert (
        monitoring.records_all_management_events(
            {"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]}
        )
        is True
    )


def test_backup_coverage_is_the_union_of_every_selection():
    by_arn = {"Resources": ["arn:aws:ec2:*:*:volume/vol-1"]}
    by_tag = {
        "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "data_class", "ConditionValue": "phi"}],
        "NotResources": ["arn:aws:ec2:*:*:volume/vol-3"],
    }
    vols = [
        ("arn:aws:ec2:r:1:volume/vol-1", "one", {}),
        ("arn:aws:ec2:r:1:volume/vol-2", "two", {"data_class": "phi"}),
        ("arn:aws:ec2:r:1:volume/vol-3", "three", {"data_class": "phi"}),
        ("arn:aws:ec2:r:1:volume/vol-4", "four", {}),
    ]
    out = backup_coverage.coverage_props(2, [by_arn, by_tag], {"ebs_volumes": vols})
    assert out["uncovered_ebs_volumes"] == ["four", "three"]
    assert backup_coverage.coverage_props(0, [], {"ebs_volumes": vols})["uncovered_ebs_volumes"] == [
        "four",
        "one",
        "three",
        "two",
    ]


@pytest.mark.parametrize(
    "params,forced",
    [
        ([{"ParameterName": "rds.force_ssl", "ParameterValue": "1"}], True),
        ([{"ParameterName": "require_secure_transport", "ParameterValue": "ON"}], True),
        ([{"ParameterName": "rds.force_ssl", "ParameterValue": "0"}], False),
        ([{"ParameterName": "rds.force_ssl"}], False),
    ],
)
def test_force_ssl_from_parameter_group(params, forced):
    assert forces_tls(params) is forced
