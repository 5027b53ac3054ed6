"""The live AWS collector against a real moto server (boto3 over HTTP on 127.0.0.1).

Account A holds the infra/-shaped stack plus pass-*/fail-* resources for every AWS rule;
account B (reached through the audit role with its ExternalId) holds the account-level
failures (no password policy, no account public access block, root without MFA, EBS
default encryption and GuardDuty off)."""

import json
from pathlib import Path

import jsonschema
import pytest

pytest.importorskip("moto")

import awsstack as stack  # noqa: E402
from enamel_hipaa.core import schemas
from enamel_hipaa.sources.aws import conditional_actions, declared_actions, modules
from enamel_hipaa.sources.aws.runner import scan
from enamel_hipaa.core.engine import evaluate
from conftest import shipped_rules

ROOT = Path(__file__).resolve().parent.parent
REGIONS = f"{stack.HOME},{stack.REPLICA}"


@pytest.fixture(scope="module")
def live(moto_account):
    url = moto_account
    a = stack.session(stack.ACCOUNT_A)
    b = stack.session(stack.ACCOUNT_B)
    made = stack.provision_infra_stack(a, stack.ACCOUNT_A)
    expect_fail = stack.provision_rule_cases(a, stack.ACCOUNT_A, stack.ACCOUNT_B)
    role = stack.provision_audit_role(b, stack.ACCOUNT_A)
    col_a, aws_a = scan(regions=REGIONS)
    col_b, aws_b = scan(role_arn=role, external_id=stack.EXTERNAL_ID, regions=stack.HOME)
    yield {
        "url": url,
        "made": made,
        "expect_fail": expect_fail,
        "a": col_a,
        "b": col_b,
        "calls": aws_a.calls,
        "role": role,
    }


@pytest.fixture(scope="module")
def findings(live):
    rules = [r for r in shipped_rules().rules if r.provider == "aws"]
    out = []
    for col in (live["a"], live["b"]):
        out.extend(evaluate(rules, col.resources, errors=col.errors))
    return rules, out


def _strip_errors(value):
    """Properties minus {"$error"} values (those are checked separately)."""
    if isinstance(value, dict):
        return {k: _strip_errors(v) for k, v in value.items() if not (isinstance(v, dict) and "$error" in v)}
    if isinstance(value, list):
        return [_strip_errors(v) for v in value]
    return value


def _name(finding) -> str:
    return str(finding.resource_ref["name"]).removeprefix("alias/").lstrip("/")


def test_pass_every_resource_matches_its_type_schema(live):
    types = schemas.type_schemas()
    for col in (live["a"], live["b"]):
        for r in col.resources:
            jsonschema.validate(_strip_errors(r.properties), types[r.type])
            assert r.source == "live" and r.account in (stack.ACCOUNT_A, stack.ACCOUNT_B)


def test_pass_scan_of_account_a_completes_without_collection_errors(live):
    assert live["a"].errors == []
    assert live["b"].errors == []
    assert live["b"].sources == [f"aws:{stack.ACCOUNT_B}"]


def test_every_aws_rule_fails_its_fail_resource_and_passes_a_pass_resource(live, findings):
    rules, found = findings
    by_rule = {}
    for f in found:
        by_rule.setdefault(f.rule.id, []).append(f)
    account_level = {
        "aws.iam_account",
        "aws.s3_account",
        "aws.ec2_region",
        "aws.account_monitoring",
        "aws.backup_coverage",
    }
    for rule in rules:
        got = by_rule.get(rule.id, [])
        if rule.id in stack.LIVE_UNDECIDED:  # moto (or live AWS) cannot decide it: one explicit status
            status, why = stack.LIVE_UNDECIDED[rule.id]
            got = [
                f
                for f in got
                if f.resource_ref["account"] == stack.ACCOUNT_A  # B is the bare account
                and f.resource_ref.get("region") in (None, stack.HOME)
            ]  # where the cases live
            in_scope = {f.status for f in got} - ({"skip"} if status != "skip" else set())  # out of scope: skip
            assert got and in_scope == {status}, (rule.id, why, {f.status for f in got})
            continue
        if rule.resource in account_level:  # account A compliant, account B not
            a = {f.status for f in got if f.resource_ref["account"] == stack.ACCOUNT_A}
            b = {f.status for f in got if f.resource_ref["account"] == stack.ACCOUNT_B}
            assert a == {"pass"} and b == {"fail"}, (rule.id, a, b)
            continue
        fails = {f.resource_ref["name"] for f in got if f.status == "fail"}
        passes = {_name(f) for f in got if f.status == "pass"}
        assert set(live["expect_fail"][rule.id]) <= fails, (rule.id, fails)
        assert any(n.startswith("pass") for n in passes), (rule.id, passes)


def test_no_pass_named_resource_fails_or_errors(findings):
    _, found = findings
    bad = [
        (f.rule.id, f.resource_ref["name"], f.status, f.message)
        for f in found
        if _name(f).startswith("pass") and f.status not in ("pass", "skip") and not _undecided(f)
    ]
    assert bad == []


def _undecided(finding) -> bool:
    """The finding has the status awsstack.LIVE_UNDECIDED names for its rule."""
    return stack.LIVE_UNDECIDED.get(finding.rule.id, (None,))[0] == finding.status


def test_error_backup_selections_moto_cannot_serve_fail_closed(findings):
    """moto has no ListBackupSelections: the plan's selection read is an $error naming the
    call, and backup-plan-covers-archive is `error` on every plan, never pass."""
    _, found = findings
    got = [f for f in found if f.rule.id == "backup-plan-covers-archive"]
    assert {f.resource_ref["name"] for f in got} >= {"pass-backup-plan", "pass-offsite-plan", "fail-local-plan"}
    assert all(
        f.status == "error" and "ListBackupSelections: 500" in f.message and "<" not in f.message for f in got
    ), [(f.status, f.message) for f in got]


def test_every_fail_named_resource_fails_something(findings):
    _, found = findings
    by_name = {}
    for f in found:
        name = _name(f)
        if name.startswith("fail"):
            by_name.setdefault(name, set()).add(f.status)
    assert by_name and all("fail" in s for s in by_name.values()), by_name


def test_pass_infra_stack_scans_with_zero_fail(live, findings):
    """The infra/-shaped stack (provision_infra_stack) has no failing, unknown or error finding."""
    _, found = findings
    made = live["made"]
    names = set().union(*made.values())
    mine = [f for f in found if f.resource_ref["name"] in names]
    assert {f.resource_ref["name"] for f in mine} == names
    assert [
        (f.rule.id, f.resource_ref["name"], f.message)
        for f in mine
        if f.status not in ("pass", "skip") and not _undecided(f)
    ] == []
    # the stack exercises the rules it is meant to
    passed = {f.rule.id for f in mine if f.status == "pass"}
    assert {
        "s3-bucket-object-lock-retention",
        "s3-bucket-replication",
        "kms-key-separation-of-duties",
        "cloudtrail-s3-data-events",
        "log-group-retention",
        "vpc-flow-logs",
        "vpc-s3-endpoint-restricted",
        "vpc-imaging-no-internet-route",
        "iam-role-human-mfa",
        "backup-vault-kms-encryption",
        "backup-vault-lock",
        "backup-plan-offsite-copy",
        "ec2-default-security-group-closed",
    } <= passed


def test_pass_bucket_properties_read_live(live):
    arch = next(r for r in live["a"].resources if r.name == f"pass-xray-archive-{stack.ACCOUNT_A}")
    p = arch.properties
    assert p["object_lock"] == {"enabled": True, "mode": "COMPLIANCE", "retention_days": stack.RETENTION_DAYS}
    assert p["encryption"]["sse_algorithm"] == "aws:kms" and p["encryption"]["bucket_key_enabled"] is True
    assert p["policy"]["min_tls_version"] == "1.2" and p["policy"]["denies_insecure_transport"] is True
    assert p["replication"]["destinations"][0]["region"] == stack.REPLICA
    assert arch.region == stack.HOME


def test_pass_s3_calls_per_bucket_stay_low(live):
    buckets = sum(1 for r in live["a"].resources if r.type == "aws.s3_bucket")
    s3_calls = sum(n for a, n in live["calls"].items() if a.startswith("s3:") and a != "s3:GetAccountPublicAccessBlock")
    assert s3_calls / buckets <= 10.5, (s3_calls, buckets)


# -- least privilege: declared actions == shipped policy == calls really made ------------


def _policy_actions(doc) -> set[str]:
    return {a for s in doc["Statement"] for a in s["Action"]}


def test_shipped_policy_grants_exactly_the_declared_actions():
    policy = json.loads((ROOT / "audit-role" / "aws-audit-policy.json").read_text())
    assert _policy_actions(policy) == declared_actions()
    assert all(s["Effect"] == "Allow" and s["Resource"] == "*" for s in policy["Statement"])
    cfn = json.loads((ROOT / "audit-role" / "aws-audit-role.cfn.json").read_text())
    inline = cfn["Resources"]["EnamelAuditRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert inline == policy
    assert all(
        a.split(":", 1)[1].startswith(("Get", "List", "Describe", "Generate")) or a == "apigateway:GET"
        for a in declared_actions()
    )  # API Gateway's reads are the one action apigateway:GET


def test_declared_actions_are_the_calls_a_full_scan_makes(live):
    """botocore `before-call` events recorded during the moto scan of account A."""
    called = set(live["calls"])
    assert called <= declared_actions(), called - declared_actions()
    never = declared_actions() - called
    assert never <= set(conditional_actions()), never
    for m in modules():
        assert set(m.CONDITIONAL) <= set(m.ACTIONS), m.__name__


# -- fail closed --------------------------------------------------------------------------


def test_error_unreachable_endpoint_makes_every_aws_rule_error(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    col, aws = scan(regions="us-east-1")
    assert aws is None and col.resources == []
    rules = [r for r in shipped_rules().rules if r.provider == "aws"]
    statuses = {f.status for f in evaluate(rules, [], errors=col.errors)}
    assert statuses == {"error"}
    assert all("testing" not in e.message for e in col.errors)
