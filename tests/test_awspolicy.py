"""scanner.awspolicy: facts from bucket and key policies (plain functions, no AWS)."""
import json

from scanner.awspolicy import bucket_policy_facts, key_policy_facts, trust_policy_facts

OWNER = "111122223333"
RES = ["arn:aws:s3:::xrays", "arn:aws:s3:::xrays/*"]


def _doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_pass_no_policy_is_explicitly_not_enforcing():
    assert bucket_policy_facts(None, OWNER) == {"present": False, "denies_insecure_transport": False,
                                                "min_tls_version": None, "allows_public": False,
                                                "cross_account_principals": []}


def test_pass_deny_http_and_old_tls():
    facts = bucket_policy_facts(_doc(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": RES,
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": RES,
         "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}}}), OWNER)
    assert facts["denies_insecure_transport"] is True and facts["min_tls_version"] == "1.2"
    assert facts["allows_public"] is False


def test_fail_deny_http_on_objects_only_does_not_count():
    facts = bucket_policy_facts(_doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": RES[1],
                                      "Condition": {"Bool": {"aws:SecureTransport": ["false"]}}}), OWNER)
    assert facts["denies_insecure_transport"] is False


def test_fail_public_allow_and_cross_account():
    facts = bucket_policy_facts(_doc(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": RES[1]},
        {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::444455556666:role/x", OWNER]},
         "Action": "s3:GetObject", "Resource": RES[1]}), OWNER)
    assert facts["allows_public"] is True and facts["cross_account_principals"] == ["444455556666"]


def test_pass_public_principal_pinned_by_condition_is_not_public():
    facts = bucket_policy_facts(_doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": RES[1],
                                      "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}), OWNER)
    assert facts["allows_public"] is False


def test_key_policy_separation_and_overlap():
    admin, app, root = (f"arn:aws:iam::{OWNER}:role/KeyAdmin", f"arn:aws:iam::{OWNER}:role/App",
                        f"arn:aws:iam::{OWNER}:root")
    good = key_policy_facts(_doc(
        {"Effect": "Allow", "Principal": {"AWS": admin}, "Action": ["kms:Create*", "kms:Put*", "kms:ScheduleKeyDeletion"],
         "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": app}, "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}))
    assert good["admins"] == [admin] and good["users"] == [app] and good["admin_user_overlap"] == []
    bad = key_policy_facts(_doc({"Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"},
                                {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}),
                           owner_account="999988887777")
    assert bad["admin_user_overlap"] == [root] and bad["allows_public"] is True
    assert bad["cross_account_principals"] == [OWNER]


def test_trust_policy_external_id():
    doc = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                          "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}]}
    assert trust_policy_facts(doc, OWNER) == {"trusted_accounts": ["444455556666"], "trusted_services": [],
                                       "requires_external_id": True, "requires_mfa": False}
    svc = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    assert trust_policy_facts(svc, OWNER)["trusted_accounts"] == []
