"""The engine's statuses: pass, fail, unknown, error, waived, skip; scope; params; waivers."""

from datetime import date, datetime, timezone

import pytest

from enamel_hipaa.core.engine import apply_waivers, evaluate
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.model import CollectionError, Resource, Rule, Waiver
from enamel_hipaa.core.params import check_params
from enamel_hipaa.core.waivers import load_waivers

NOW = datetime(2026, 11, 24, tzinfo=timezone.utc)


def rule(**kw):
    base = dict(
        id="demo-rule",
        title="A demo rule title",
        severity="high",
        resource="aws.s3_bucket",
        hipaa=("164.312(b)",),
        assertion={"key": "versioning.status", "op": "eq", "value": "Enabled"},
        message="bucket {name} versioning {versioning.status}",
        remediation="fix it",
        path="rules/aws/demo-rule.yaml",
        provider="aws",
    )
    base.update(kw)
    return Rule(**base)


def bucket(name, **props):
    return Resource(type="aws.s3_bucket", id=name, name=name, source="file", properties=props, region="us-east-1")


def status_of(r, res, **kw):
    (f,) = evaluate([r], [res], now=NOW, **kw)
    return f


def test_pass_and_fail_with_message_and_evidence():
    f = status_of(rule(), bucket("good", versioning={"status": "Enabled"}))
    assert (f.status, f.message, f.evidence) == (
        "pass",
        "bucket good versioning Enabled",
        {"versioning.status": "Enabled"},
    )
    f = status_of(rule(), bucket("bad", versioning={"status": "Suspended"}))
    assert f.status == "fail"
    assert "Suspended" in f.message and "expected: versioning.status eq Enabled" in f.message


def test_missing_value_is_unknown_with_reason():
    f = status_of(rule(), bucket("nothing"))
    assert f.status == "unknown"
    assert "versioning.status not set" in f.message


def test_secret_or_unknown_marker_is_unknown():
    f = status_of(rule(), bucket("secret", versioning={"$unknown": "[secret]"}))
    assert f.status == "unknown" and "[secret]" in f.message


def test_error_marker_is_error():
    f = status_of(rule(), bucket("denied", versioning={"status": {"$error": "AccessDenied: GetBucketVersioning"}}))
    assert f.status == "error" and "AccessDenied" in f.message


def test_resource_level_error_is_error_for_every_rule():
    res = Resource(type="aws.s3_bucket", id="b", name="b", source="live", properties={}, error="timeout after 10s")
    f = status_of(rule(), res)
    assert f.status == "error" and "timeout" in f.message


def test_collection_error_gives_error_findings_for_its_type_only():
    errs = [
        CollectionError(
            source="aws",
            service="s3",
            message="AccessDenied: ListBuckets",
            region="us-east-1",
            resource_type="aws.s3_bucket",
        )
    ]
    findings = evaluate([rule(), rule(id="other", resource="aws.kms_key")], [], errors=errs, now=NOW)
    assert [(f.rule.id, f.status) for f in findings] == [("demo-rule", "error")]
    assert "AccessDenied" in findings[0].message


def test_where_scopes_skip_and_unknown_scope():
    r = rule(where={"key": "tags.data_class", "op": "eq", "value": "phi"})
    assert status_of(r, bucket("x", tags={}, versioning={"status": "Suspended"})).status == "skip"
    assert status_of(r, bucket("x", tags={"data_class": "phi"}, versioning={"status": "Suspended"})).status == "fail"
    f = status_of(r, bucket("x", tags={"$unknown": "AccessDenied"}, versioning={"status": "Suspended"}))
    assert f.status == "unknown" and "scope could not be determined" in f.message


def test_params_default_and_override():
    r = rule(
        assertion={"key": "object_lock.retention_days", "op": "gte", "value": "{{ min_days }}"},
        params={"min_days": 2190},
        message="{name} {object_lock.retention_days} (policy {min_days})",
    )
    res = bucket("b", object_lock={"retention_days": 2555})
    assert status_of(r, res).status == "pass"
    over = {"rules": {"demo-rule": {"min_days": 3650}}}
    f = status_of(r, res, params=over)
    assert f.status == "fail" and "policy 3650" in f.message
    assert status_of(r, res, params={"params": {"min_days": 365}}).status == "pass"


def test_params_file_rejects_unknown_and_mistyped():
    r = rule(params={"min_days": 2190})
    with pytest.raises(InputError, match="no rule declares"):
        check_params({"params": {"min_dayz": 1}}, [r], "p.yaml")
    with pytest.raises(InputError, match="must be a number"):
        check_params({"rules": {"demo-rule": {"min_days": "ten"}}}, [r], "p.yaml")
    with pytest.raises(InputError, match="unknown rule id"):
        check_params({"rules": {"nope": {}}}, [r], "p.yaml")


def test_waiver_applies_and_expired_waiver_does_not():
    findings = evaluate(
        [rule()],
        [bucket("a", versioning={"status": "Suspended"}), bucket("b", versioning={"status": "Suspended"})],
        now=NOW,
    )
    live = Waiver("demo-rule", "a", "vendor migration", "it@example", "2099-01-01", expired=False)
    old = Waiver("demo-*", "b", "old exception", "it@example", "2020-01-01", expired=True)
    a, b = apply_waivers(findings, [live, old])
    assert a.status == "waived" and a.waiver is live and "Suspended" in a.message
    assert b.status == "fail" and b.waiver is old and b.to_dict()["waiver"]["expired"] is True


def test_waiver_never_hides_a_pass_or_error():
    res = Resource(type="aws.s3_bucket", id="a", name="a", source="live", properties={}, error="boom")
    findings = evaluate([rule()], [res], now=NOW)
    assert apply_waivers(findings, [Waiver("*", "*", "blanket", "x", "2099-01-01")])[0].status == "error"


def test_waivers_file_without_expiry_is_rejected(tmp_path):
    p = tmp_path / "w.yaml"
    p.write_text("waivers:\n  - rule: demo-rule\n    resource: a\n    reason: because reasons\n    owner: me\n")
    with pytest.raises(InputError) as e:
        load_waivers(str(p))
    assert "'expires' is a required property" in str(e.value) and "w.yaml:2 (waivers/0)" in str(e.value)


def test_waivers_file_expired_marked(tmp_path):
    p = tmp_path / "w.yaml"
    p.write_text(
        "waivers:\n  - {rule: demo-rule, resource: a, reason: because reasons, owner: me, expires: '2026-01-01'}\n"
    )
    (w,) = load_waivers(str(p), {"demo-rule"}, today=date(2026, 11, 24))
    assert w.expired


def test_waivers_file_unknown_rule_rejected(tmp_path):
    p = tmp_path / "w.yaml"
    p.write_text(
        "waivers:\n  - {rule: no-such-rule, resource: a, reason: because reasons, owner: me, expires: '2099-01-01'}\n"
    )
    with pytest.raises(InputError, match="unknown rule id 'no-such-rule'"):
        load_waivers(str(p), {"demo-rule"})
