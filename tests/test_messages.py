"""Messages (issue 14 item 9): a fail on a bundled condition names the condition(s) that
failed, from the engine's own evaluation; pass messages state observations, not failures."""

from __future__ import annotations

import datetime as dt

from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.core.model import Resource
from conftest import shipped_rules

RULES = shipped_rules().by_id()
NOW = dt.datetime(2026, 11, 28, tzinfo=dt.timezone.utc)


def _one(rule_id, rtype, props):
    res = Resource(
        type=rtype, id="r", name="r", source="file", properties=props, account="111122223333", region="us-east-1"
    )
    (f,) = evaluate([RULES[rule_id]], [res], now=NOW)
    return f


def test_bundled_fail_names_only_the_condition_that_failed():
    pab = {
        "block_public_acls": True,
        "ignore_public_acls": False,
        "block_public_policy": True,
        "restrict_public_buckets": True,
    }
    f = _one("s3-account-public-access-block", "aws.s3_account", {"public_access_block": pab})
    assert f.status == "fail"
    assert "failed: public_access_block.ignore_public_acls eq true" in f.message
    assert "block_public_acls eq" not in f.message and "restrict_public_buckets eq" not in f.message


def test_bundled_fail_names_every_failed_condition_of_orthanc_credentials():
    props = {"default_credentials_active": True, "weak_password_users": ["demo"], "registered_users": ["demo"]}
    f = _one("orthanc-no-default-credentials", "onprem.orthanc", props)
    assert f.status == "fail"
    assert "default_credentials_active eq false" in f.message and "weak_password_users is empty" in f.message


def test_pass_message_of_security_group_does_not_claim_open_ports():
    f = _one(
        "ec2-security-group-admin-ports",
        "aws.ec2_security_group",
        {"group_id": "sg-1", "ingress": [{"cidr": "10.0.0.0/8", "port_range": [22, 22]}]},
    )
    assert f.status == "pass" and "opens" not in f.message
