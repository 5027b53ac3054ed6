"""enamel_hipaa.sources.normalise.aws.policy: the policy-document semantics shared by the plan gate and live AWS."""

import json

import pytest

from enamel_hipaa.sources.normalise.aws.policy import (
    bucket_policy_facts,
    default_key_policy,
    key_policy_facts,
    trust_policy_facts,
    vpc_endpoint_policy_facts,
)

ARN = "arn:aws:s3:::xrays"
TLS_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [ARN, f"{ARN}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:*",
            "Resource": [ARN, f"{ARN}/*"],
            "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}},
        },
    ],
}


def test_pass_tls_only_policy_from_json_text():
    facts = bucket_policy_facts(json.dumps(TLS_ONLY), "111122223333")
    assert facts == {
        "present": True,
        "denies_insecure_transport": True,
        "min_tls_version": "1.2",
        "allows_public": False,
        "cross_account_principals": [],
    }


def test_fail_no_policy_is_explicitly_not_configured():
    assert bucket_policy_facts(None, "111122223333") == {
        "present": False,
        "denies_insecure_transport": False,
        "min_tls_version": None,
        "allows_public": False,
        "cross_account_principals": [],
    }


def test_fail_public_allow_and_cross_account_are_reported():
    doc = {
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{ARN}/*"},
            {
                "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::999988887777:root", "111122223333"]},
                "Action": "s3:GetObject",
                "Resource": f"{ARN}/*",
            },
        ]
    }
    facts = bucket_policy_facts(doc, "111122223333")
    assert facts["allows_public"] is True and facts["cross_account_principals"] == ["999988887777"]
    assert facts["denies_insecure_transport"] is False and facts["min_tls_version"] is None


def test_pass_public_principal_limited_by_source_account_is_not_public():
    doc = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"{ARN}/*",
                "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}},
            }
        ]
    }
    assert bucket_policy_facts(doc, "111122223333")["allows_public"] is False


def test_fail_secure_transport_true_condition_is_not_a_deny_of_plain_http():
    doc = {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            }
        ]
    }
    assert bucket_policy_facts(doc, None)["denies_insecure_transport"] is False


def test_bad_input_unparsable_policy_raises_value_error():
    with pytest.raises(ValueError):
        bucket_policy_facts("{nope", None)


def test_pass_key_policy_separates_admins_and_users():
    doc = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::1:root", "arn:aws:iam::1:role/Admin"]},
                "Action": ["kms:Create*", "kms:Put*", "kms:ScheduleKeyDeletion"],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::1:role/App"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
            },
        ]
    }
    facts = key_policy_facts(doc, "000000000001")
    assert facts["admins"] == ["arn:aws:iam::1:role/Admin", "arn:aws:iam::1:root"]
    assert facts["users"] == ["arn:aws:iam::1:role/App", "cloudtrail.amazonaws.com"]
    assert facts["admin_user_overlap"] == [] and facts["allows_public"] is False


def test_fail_default_key_policy_lets_root_both_administer_and_decrypt():
    facts = key_policy_facts(default_key_policy("111122223333"), "111122223333")
    assert facts["admin_user_overlap"] == ["arn:aws:iam::111122223333:root"]


def test_fail_key_policy_open_to_everyone():
    doc = {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}}
    assert key_policy_facts(doc)["allows_public"] is True


def test_endpoint_policy_facts():
    assert vpc_endpoint_policy_facts(None) == {"allows_all": True, "resources": ["*"]}
    named = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": [ARN, f"{ARN}/*"]}]}
    assert vpc_endpoint_policy_facts(named)["allows_all"] is False
    star = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::*"}]}
    assert vpc_endpoint_policy_facts(star)["allows_all"] is True


def test_trust_policy_facts():
    human = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"AWS": "arn:aws:iam::1:root"},
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ]
    }
    assert trust_policy_facts(human, "000000000001") == {
        "trusted_accounts": [],
        "trusted_services": [],
        "requires_external_id": False,
        "requires_mfa": True,
    }
    vendor = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"AWS": "999988887777"},
                "Condition": {"StringEquals": {"sts:ExternalId": "x"}},
            },
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "backup.amazonaws.com"}},
        ]
    }
    facts = trust_policy_facts(vendor, "111122223333")
    assert facts["trusted_accounts"] == ["999988887777"] and facts["trusted_services"] == ["backup.amazonaws.com"]
    assert facts["requires_external_id"] is True and facts["requires_mfa"] is False


# --- the live collector's expectations (issue 4) of the same functions ---

OWNER = "111122223333"
RES = ["arn:aws:s3:::xrays", "arn:aws:s3:::xrays/*"]


def _doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_pass_no_policy_is_explicitly_not_enforcing():
    assert bucket_policy_facts(None, OWNER) == {
        "present": False,
        "denies_insecure_transport": False,
        "min_tls_version": None,
        "allows_public": False,
        "cross_account_principals": [],
    }


def test_pass_deny_http_and_old_tls():
    facts = bucket_policy_facts(
        _doc(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": RES,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": RES,
                "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}},
            },
        ),
        OWNER,
    )
    assert facts["denies_insecure_transport"] is True and facts["min_tls_version"] == "1.2"
    assert facts["allows_public"] is False


def test_fail_deny_http_on_objects_only_does_not_count():
    facts = bucket_policy_facts(
        _doc(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": RES[1],
                "Condition": {"Bool": {"aws:SecureTransport": ["false"]}},
            }
        ),
        OWNER,
    )
    assert facts["denies_insecure_transport"] is False


def test_fail_public_allow_and_cross_account():
    facts = bucket_policy_facts(
        _doc(
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": RES[1]},
            {
                "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::444455556666:role/x", OWNER]},
                "Action": "s3:GetObject",
                "Resource": RES[1],
            },
        ),
        OWNER,
    )
    assert facts["allows_public"] is True and facts["cross_account_principals"] == ["444455556666"]


def test_pass_public_principal_pinned_by_condition_is_not_public():
    facts = bucket_policy_facts(
        _doc(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": RES[1],
                "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}},
            }
        ),
        OWNER,
    )
    assert facts["allows_public"] is False


def test_key_policy_separation_and_overlap():
    admin, app, root = (
        f"arn:aws:iam::{OWNER}:role/KeyAdmin",
        f"arn:aws:iam::{OWNER}:role/App",
        f"arn:aws:iam::{OWNER}:root",
    )
    good = key_policy_facts(
        _doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": admin},
                "Action": ["kms:Create*", "kms:Put*", "kms:ScheduleKeyDeletion"],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": app},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
            },
        )
    )
    assert good["admins"] == [admin] and good["users"] == [app] and good["admin_user_overlap"] == []
    bad = key_policy_facts(
        _doc(
            {"Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"},
        ),
        owner_account="999988887777",
    )
    assert bad["admin_user_overlap"] == [root] and bad["allows_public"] is True
    assert bad["cross_account_principals"] == [OWNER]


def test_trust_policy_external_id():
    doc = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "x"}},
            }
        ]
    }
    assert trust_policy_facts(doc, OWNER) == {
        "trusted_accounts": ["444455556666"],
        "trusted_services": [],
        "requires_external_id": True,
        "requires_mfa": False,
    }
    svc = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    assert trust_policy_facts(svc, OWNER)["trusted_accounts"] == []
