"""SARIF locations of plan findings: the Pulumi program's file and line where the resource is
declared (so code scanning shows them on the pull request), from the positions the SDK sends
with each registration; resources declared outside the project fall back to the rule file."""

from __future__ import annotations

import json

import pytest

from conftest import check_sarif
from enamel_hipaa.core.engine import evaluate
from enamel_hipaa.core.report import build
from enamel_hipaa.outputs import RenderContext, render

pytest.importorskip("pulumi_aws")

CODE = """import pulumi_aws as aws
bucket = aws.s3.Bucket("xray-loose")
aws.s3.BucketVersioning("xray-loose-versioning", bucket=bucket.id,
                        versioning_configuration={"status": "Suspended"})
"""


def test_pass_plan_findings_point_at_the_declaring_line_of_the_program(tmp_path, ruleset):
    from enamel_hipaa.sources.pulumi import mockrun, normalize, project
    from enamel_hipaa.sources.pulumi.positions import resource_positions

    prog = tmp_path / "prog"
    prog.mkdir()
    (prog / "Pulumi.yaml").write_text("name: snippet\nruntime: python\n")
    (prog / "Pulumi.test.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (prog / "__main__.py").write_text(CODE)
    proj = project.find(str(prog), "test")
    records, account = mockrun.run(proj)
    urns: dict = {}
    resources = normalize.normalize(records, "plan", account=account, region="us-east-1", urns=urns, root=proj.root)
    positions = resource_positions(records, urns, proj.root)
    bucket = next(r for r in resources if r.type == "aws.s3_bucket")
    assert positions[(bucket.type, bucket.id)] == {"path": "__main__.py", "start_line": 2}
    assert bucket.origin == {"path": "__main__.py", "line": 2}  # findings carry it into SARIF
    report = build(
        evaluate(ruleset.rules, resources),
        [],
        started_at="2026-11-28T06:00:00Z",
        tenant=None,
        sources=["pulumi"],
        rules_digest=ruleset.digest,
        fail_on="high",
    )
    ctx = RenderContext(rules=ruleset.by_id(), catalogue=ruleset.catalogue)  # no help: the findings know
    sarif = json.loads(render("sarif", report, ctx))
    check_sarif(sarif, report)
    results = [
        r
        for r in sarif["runs"][0]["results"]
        if r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == f"aws.s3_bucket/{bucket.id}"
    ]
    assert results and all(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "__main__.py"
        and r["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
        for r in results
    )


def test_pass_positions_outside_the_project_are_left_out(tmp_path):
    from enamel_hipaa.sources.pulumi.positions import resource_positions

    records = [
        {"urn": "u1", "source_position": {"uri": "file:///usr/lib/python3/site-packages/lib.py", "line": 9}},
        {"urn": "u2", "source_position": {"uri": (tmp_path / "infra" / "__main__.py").as_uri(), "line": 4}},
        {"urn": "u3", "source_position": None},
    ]
    urns = {("aws.s3_bucket", "a"): "u1", ("aws.s3_bucket", "b"): "u2", ("aws.s3_bucket", "c"): "u3"}
    assert resource_positions(records, urns, tmp_path) == {
        ("aws.s3_bucket", "b"): {"path": "infra/__main__.py", "start_line": 4}
    }


def test_pass_resources_file_findings_point_at_the_resources_file(tmp_path, ruleset):
    from enamel_hipaa.core.model import Resource
    from enamel_hipaa.outputs.sarif import file_locations

    res = [
        Resource(
            type="aws.s3_bucket",
            id="arn:aws:s3:::b",
            name="b",
            source="file",
            properties={"versioning": {"status": "Suspended"}},
        )
    ]
    report = build(
        evaluate(ruleset.rules, res),
        [],
        started_at="2026-11-28T06:00:00Z",
        tenant=None,
        sources=["file:exports/resources.json"],
        rules_digest=ruleset.digest,
        fail_on="high",
    )
    ctx = RenderContext(
        rules=ruleset.by_id(), catalogue=ruleset.catalogue, locations=file_locations(res, "exports/resources.json")
    )
    sarif = json.loads(render("sarif", report, ctx))
    check_sarif(sarif, report)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert uris == {"exports/resources.json"}
