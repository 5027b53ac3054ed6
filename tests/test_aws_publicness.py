"""Publicness decided by AWS where Enamel cannot (issue 16): a bucket or key policy whose
Allow-to-everyone has conditions Enamel does not model is decided by GetBucketPolicyStatus
(real moto server) and IAM Access Analyzer findings (moto has no Access Analyzer: a loopback
stand-in serves the real API shape), never guessed; without an analyzer a key is `unknown`,
and a failed call is `error`."""

import json

import pytest

pytest.importorskip("moto")

import awsstack as stack  # noqa: E402
from analyzer_standin import Standin  # noqa: E402
from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.core.ruleset import load_rules
from enamel_hipaa.sources.aws.runner import scan
from enamel_hipaa.sources.normalise.aws.policy import UNDECIDED, bucket_policy_facts

RULES = [r for r in load_rules().rules if r.id in ("s3-bucket-no-public-grants", "kms-key-policy-not-public")]
# Allow to everyone only through a VPC endpoint "if the key exists": Enamel cannot tell
IF_EXISTS = {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-0123456789abcdef0"}}
WILDCARD_ARN = {"ArnLike": {"aws:SourceArn": "arn:aws:*"}}


def _bucket_policy(name, condition):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{name}/*",
                    **({"Condition": condition} if condition else {}),
                }
            ],
        }
    )


def _key_policy(account, condition):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*", "Condition": condition},
            ],
        }
    )


@pytest.fixture(scope="module")
def world(moto_account):
    sess = stack.session()
    s3, kms = sess.client("s3"), sess.client("kms")
    account = sess.client("sts").get_caller_identity()["Account"]
    for name, cond in (
        ("pub-undecided-vpce", IF_EXISTS),
        ("pub-undecided-flagged", WILDCARD_ARN),
        ("pub-decided-public", None),
    ):
        s3.create_bucket(Bucket=name)
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration={k: False for k in ("BlockPublicPolicy", "BlockPublicAcls")}
        )
        s3.put_bucket_policy(Bucket=name, Policy=_bucket_policy(name, cond))
    keys = {}
    for alias, cond in (("alias/pub-undecided-key", IF_EXISTS), ("alias/pub-flagged-key", WILDCARD_ARN)):
        k = kms.create_key(Policy=_key_policy(account, cond))["KeyMetadata"]["Arn"]
        kms.create_alias(AliasName=alias, TargetKeyId=k)
        keys[alias] = k
    standin = Standin()
    yield {"keys": keys, "standin": standin}
    standin.stop()


def _scan(monkeypatch, endpoint):
    if endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL_ACCESSANALYZER", endpoint)
    else:
        monkeypatch.delenv("AWS_ENDPOINT_URL_ACCESSANALYZER", raising=False)
    col, aws = scan(regions=stack.HOME)
    status = {
        (f.rule.id, str(f.resource.name)): f.status
        for f in evaluate(RULES, col.resources, errors=col.errors)
        if "pub-" in str(f.resource.name)
    }
    props = {  # the buckets and keys themselves (Macie's view of a bucket carries the same name)
        str(r.name): r.properties
        for r in col.resources
        if "pub-" in str(r.name) and r.type in ("aws.s3_bucket", "aws.kms_key")
    }
    return status, props, aws.calls


def test_pass_undecidable_bucket_policy_is_decided_by_policy_status_and_analyzer(world, monkeypatch):
    st = world["standin"]
    st.analyzers, st.public = [], set()
    st.analyzer(stack.HOME)
    st.public = {"arn:aws:s3:::pub-undecided-flagged", world["keys"]["alias/pub-flagged-key"]}
    status, props, calls = _scan(monkeypatch, st.url)
    assert props["pub-undecided-vpce"]["policy"]["allows_public"] is False  # IsPublic false, no finding
    assert status[("s3-bucket-no-public-grants", "pub-undecided-vpce")] == "pass"
    assert status[("s3-bucket-no-public-grants", "pub-undecided-flagged")] == "fail"  # the analyzer's finding
    assert status[("s3-bucket-no-public-grants", "pub-decided-public")] == "fail"  # Enamel decides this one
    assert status[("kms-key-policy-not-public", "alias/pub-undecided-key")] == "pass"
    assert status[("kms-key-policy-not-public", "alias/pub-flagged-key")] == "fail"
    assert calls["s3:GetBucketPolicyStatus"] == 2  # only the undecidable policies
    assert calls["access-analyzer:ListAnalyzers"] == 1  # once per region


def test_unknown_undecidable_key_policy_without_an_analyzer(world, monkeypatch):
    st = world["standin"]
    st.analyzers, st.public = [], set()
    st.analyzer(stack.HOME, status="DISABLED")  # only an inactive analyzer: none to ask
    status, props, _ = _scan(monkeypatch, st.url)
    assert status[("kms-key-policy-not-public", "alias/pub-undecided-key")] == "unknown"
    assert "$unknown" in props["alias/pub-undecided-key"]["policy"]["allows_public"]
    assert status[("s3-bucket-no-public-grants", "pub-undecided-vpce")] == "pass"  # GetBucketPolicyStatus decides


def test_error_failed_analyzer_listing_is_an_error_never_a_pass(world, monkeypatch):
    status, _, _ = _scan(monkeypatch, None)  # moto itself: no Access Analyzer there
    assert status[("kms-key-policy-not-public", "alias/pub-undecided-key")] == "error"
    assert status[("s3-bucket-no-public-grants", "pub-undecided-vpce")] == "error"
    assert status[("s3-bucket-no-public-grants", "pub-decided-public")] == "fail"


@pytest.mark.parametrize(
    "condition,verdict",
    [
        (None, True),
        ({"StringEquals": {"aws:SourceAccount": "111122223333"}}, False),
        ({"StringEquals": {"aws:Referer": "x"}}, True),  # never limits who calls
        (IF_EXISTS, None),
        (WILDCARD_ARN, None),
        ({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, None),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/16"}}, False),
        ({"StringEquals": {"aws:SourceAccount": "${aws:PrincipalAccount}"}}, None),
        ({"StringEquals": {"s3:ExistingObjectTag/x": "y"}}, None),
    ],
)
def test_pass_fail_unknown_enamel_decides_only_what_it_models(condition, verdict):
    got = bucket_policy_facts(_bucket_policy("b", condition), "111122223333")["allows_public"]
    if verdict is None:
        assert got["$unknown"].startswith(UNDECIDED)
    else:
        assert got is verdict
