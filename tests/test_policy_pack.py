"""The CrossGuard pack in infra/crossguard: validators built from rules/, unit-tested by calling
them with constructed ResourceValidationArgs / StackValidationArgs (no Pulumi CLI)."""

import importlib.util
import json

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from conftest import ROOT
from enamel_hipaa.sources.pulumi import UNKNOWN_SENTINEL

FIXTURES = ROOT / "tests" / "fixtures" / "pulumi"


@pytest.fixture(scope="module")
def validators():
    spec = importlib.util.spec_from_file_location(
        "enamel_policy_validators", ROOT / "infra" / "crossguard" / "validators.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def pack(validators):
    return {p.name: p for p in validators.policies()}


def _opts():
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def _run(policy, args):
    got = []
    policy.validate(args, lambda message, urn=None: got.append((message, urn)))
    return got


KEY_URN = "urn:pulumi:dev::p::aws:kms/key:Key::phi"
PROVIDER = PolicyProviderResource("pulumi:providers:aws", {"region": "us-east-1"}, "urn:prov", "default")


def _key_args(**props):
    base = {
        "enableKeyRotation": True,
        "deletionWindowInDays": 30,
        "policy": json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::123456789012:role/Admin"},
                        "Action": ["kms:Put*"],
                        "Resource": "*",
                    },
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::123456789012:role/App"},
                        "Action": ["kms:Decrypt"],
                        "Resource": "*",
                    },
                ]
            }
        ),
    }
    base.update(props)
    return ResourceValidationArgs("aws:kms/key:Key", unknown_checking_proxy(base), KEY_URN, "phi", _opts(), PROVIDER)


def test_pass_one_policy_per_aws_rule_with_hipaa_framework(pack, validators):
    ids = {r.id for r in validators.aws_rules()}
    assert set(pack) == ids
    assert isinstance(pack["kms-key-rotation"], ResourceValidationPolicy)
    assert isinstance(pack["s3-bucket-versioning"], StackValidationPolicy)
    assert pack["kms-key-rotation"].framework.reference == "164.312(a)(2)(iv)"


def test_pass_compliant_key_reports_nothing(pack):
    assert _run(pack["kms-key-rotation"], _key_args()) == []
    assert _run(pack["kms-key-separation-of-duties"], _key_args()) == []


def test_fail_key_without_rotation_is_a_violation_with_citation(pack):
    ((message, urn),) = _run(pack["kms-key-rotation"], _key_args(enableKeyRotation=False))
    assert urn == KEY_URN and "rotation: false" in message and "164.312(a)(2)(iv)" in message


def test_unknown_value_during_preview_is_reported_not_skipped(pack):
    ((message, urn),) = _run(pack["kms-key-rotation"], _key_args(enableKeyRotation=UNKNOWN_SENTINEL))
    assert message.startswith("unknown: ") and urn == KEY_URN


def _stack_args(path):
    doc = json.loads(path.read_text())
    res = [r for r in doc["deployment"]["resources"] if r.get("custom") and not r["type"].startswith("pulumi:")]
    by_urn = {}
    for r in res:
        by_urn[r["urn"]] = PolicyResource(
            r["type"],
            unknown_checking_proxy(r["outputs"]),
            r["urn"],
            r["urn"].rsplit("::", 1)[-1],
            _opts(),
            PROVIDER,
            None,
            [],
            {},
        )
    for r in res:
        by_urn[r["urn"]].property_dependencies = {
            k: [by_urn[u] for u in v if u in by_urn] for k, v in (r.get("propertyDependencies") or {}).items()
        }
    return StackValidationArgs(list(by_urn.values()))


def test_pass_dogfood_stack_has_no_violation(pack):
    args = _stack_args(FIXTURES / "stack-export.json")
    got = {name: _run(p, args) for name, p in pack.items() if isinstance(p, StackValidationPolicy)}
    assert {k: v for k, v in got.items() if v} == {}


def test_fail_weakened_stack_violations_name_the_weakened_resources(pack):
    args = _stack_args(FIXTURES / "weakened-stack-export.json")
    lock = _run(pack["s3-bucket-object-lock-retention"], args)
    assert lock and all("$aws:s3/bucket:Bucket::weak-xray" in urn for _, urn in lock)
    assert all("164.316(b)(2)(i)" in m for m, _ in lock)
    (flow,) = _run(pack["vpc-flow-logs"], args)
    assert flow[1].endswith("::weak-imaging-vpc")
    assert _run(pack["backup-vault-lock"], args)


def test_fail_crossguard_analyzer_reports_through_its_own_servicer(pack):
    """The pack driven through pulumi_policy's own analyzer servicer (what the CLI talks to
    over gRPC), with protobuf resources built from the weakened stack export."""
    from google.protobuf import struct_pb2
    from pulumi.runtime import proto
    from pulumi_policy import EnforcementLevel
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    def request(path):
        doc = json.loads(path.read_text())
        out = []
        for r in doc["deployment"]["resources"]:
            if not r.get("custom") or r["type"].startswith("pulumi:"):
                continue
            props = struct_pb2.Struct()
            props.update(r["outputs"])
            deps = {k: proto.AnalyzerPropertyDependencies(urns=v) for k, v in r.get("propertyDependencies", {}).items()}
            out.append(
                proto.AnalyzerResource(
                    type=r["type"],
                    properties=props,
                    urn=r["urn"],
                    name=r["urn"].rsplit("::", 1)[-1],
                    parent=r.get("parent", ""),
                    dependencies=r.get("dependencies", []),
                    propertyDependencies=deps,
                )
            )
        return proto.AnalyzeStackRequest(resources=out)

    servicer = _PolicyAnalyzerServicer("enamel-hipaa", "0.1.0", list(pack.values()), EnforcementLevel.MANDATORY)
    assert list(servicer.AnalyzeStack(request(FIXTURES / "stack-export.json"), None).diagnostics) == []
    diags = servicer.AnalyzeStack(request(FIXTURES / "weakened-stack-export.json"), None).diagnostics
    by_policy = {}
    for d in diags:
        by_policy.setdefault(d.policyName, []).append(d)
    assert {
        "backup-vault-lock",
        "guardduty-enabled",
        "s3-bucket-deny-insecure-transport",
        "vpc-flow-logs",
        "s3-bucket-object-lock-retention",
    } <= set(by_policy)
    (guardduty,) = by_policy["guardduty-enabled"]
    assert guardduty.urn.endswith("aws:guardduty/detector:Detector::weak-baseline-guardduty")
    assert guardduty.enforcementLevel == proto.MANDATORY
