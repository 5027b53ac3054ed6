"""CI integration: baselines (stable across line moves), GitHub annotations, the pre-commit
hook's entry and the composite action's step commands, run locally with the real checkov."""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, check_sarif, run_enamel, validate_report
from enamel_hipaa.workflows.baseline import finding_key
from enamel_hipaa.outputs import github

FIX = ROOT / "tests" / "fixtures" / "iac"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
PRACTICE = ROOT / "enamel_hipaa" / "workflows" / "demo" / "practice.yaml"  # a resources file: no checkov needed
BIN = Path(sys.executable).parent  # the venv running the tests, where `enamel` is installed


def env(**extra):
    e = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    e.update(ENAMEL_CHECKOV=str(CHECKOV), **extra)
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    return e


@pytest.fixture(scope="module", autouse=True)
def real_checkov():
    assert CHECKOV.is_file(), "checkov is not installed: run `make checkov` (creates .venv-checkov)"


# --- baseline ---------------------------------------------------------------------------

NEW_BUCKET = '\nresource "aws_s3_bucket" "new_referrals" {\n  bucket = "bsd-new-referrals"\n}\n'


def test_baseline_fails_only_on_new_findings_and_survives_line_moves(tmp_path):
    work = tmp_path / "infra"
    work.mkdir()
    tf = work / "main.tf"
    original = (FIX / "fail_phi_archive.tf").read_text()
    tf.write_text(original)
    base = tmp_path / "baseline.json"
    r = run_enamel("scan", "--iac", work, "--write-baseline", base, "--format", "json", env=env(), cwd=tmp_path)
    assert r.returncode == 1, r.stderr  # writing a baseline does not change this scan's verdict
    recorded = json.loads(base.read_text())
    first = json.loads(r.stdout)
    failing = [f for f in first["findings"] if f["status"] in ("fail", "unknown")]
    assert {f["key"] for f in recorded["findings"]} == {finding_key(f) for f in failing}
    assert not list(tmp_path.glob(".baseline.json.*"))  # atomic write left no temp file

    # every resource moves down 7 lines, and a new non-compliant bucket appears
    tf.write_text("# moved\n" * 7 + original + NEW_BUCKET)
    r = run_enamel(
        "scan",
        "--iac",
        work,
        "--baseline",
        base,
        "--format",
        "json,sarif",
        "--output-dir",
        tmp_path / "out",
        env=env(),
        cwd=tmp_path,
    )
    assert r.returncode == 1, r.stderr
    report = json.loads((tmp_path / "out" / "enamel-report.json").read_text())
    validate_report(report)
    marked = [f for f in report["findings"] if f.get("baseline")]
    new = [f for f in marked if f["baseline"] == "new"]
    assert {f["resource"]["name"] for f in new} == {"aws_s3_bucket.new_referrals"}
    unchanged = [f for f in marked if f["baseline"] == "unchanged"]
    assert len(unchanged) == len(failing)
    moved = next(f for f in unchanged if f["resource"]["name"] == "aws_s3_bucket.scans")
    was = next(f for f in failing if f["resource"]["name"] == "aws_s3_bucket.scans")
    assert moved["location"]["start_line"] == was["location"]["start_line"] + 7
    sarif = json.loads((tmp_path / "out" / "enamel-report.sarif").read_text())
    check_sarif(sarif, report)
    states = {
        r["properties"]["resource"]["name"]: r.get("baselineState")
        for r in sarif["runs"][0]["results"]
        if r["ruleId"] == "s3-bucket-kms-encryption"
    }
    assert states["aws_s3_bucket.new_referrals"] == "new" and states["aws_s3_bucket.scans"] == "unchanged"

    # the new bucket removed again: only baselined findings remain, the gate passes
    tf.write_text("# moved\n" * 7 + original)
    r = run_enamel("scan", "--iac", work, "--baseline", base, "-q", env=env(), cwd=tmp_path)
    assert r.returncode == 0, r.stderr + r.stdout


def test_bad_baseline_file_is_bad_input_with_line(tmp_path):
    bad = tmp_path / "b.json"
    bad.write_text('{\n  "version": 1,\n  "findings": [\n    {"key": "not-a-hash"}\n  ]\n}\n')
    r = run_enamel("scan", "--resources", PRACTICE, "--baseline", bad, env=env())
    assert r.returncode == 2 and f"{bad}:4 (findings/0/key)" in r.stderr


# --- GitHub annotations -----------------------------------------------------------------


def test_github_annotation_escapes_and_points_at_lines():
    f = {
        "rule_id": "s3-bucket-kms-encryption",
        "severity": "high",
        "status": "fail",
        "hipaa": ["164.312(a)(2)(iv)"],
        "message": "100% bad,\nreally",
        "remediation": "use KMS",
        "location": {"path": "infra/a,b.tf", "start_line": 5, "end_line": 8},
    }
    line = github.annotation(f, "high")
    assert line == (
        "::error file=infra/a%2Cb.tf,line=5,endLine=8,title=s3-bucket-kms-encryption (high%2C HIPAA "
        "164.312(a)(2)(iv))::[fail] 100%25 bad,%0Areally%0ARemediation: use KMS"
    )
    assert github.annotation(dict(f, severity="low"), "high").startswith("::warning ")
    assert github.render({"scan": {"fail_on": "high"}, "findings": [dict(f, baseline="unchanged")]}) == ""


def test_ci_mode_prints_annotations_only_under_github_actions():
    target = FIX / "fail_imaging_stack.yaml"
    plain = run_enamel("scan", "--resources", PRACTICE, "--ci", env=env())
    gh = run_enamel("scan", "--iac", target, "--ci", env=env(GITHUB_ACTIONS="true"))
    assert plain.returncode == gh.returncode == 1
    assert "::error" not in plain.stdout and "\x1b[" not in plain.stdout + plain.stderr  # no colours in CI
    lines = [line for line in gh.stdout.splitlines() if line.startswith("::")]
    volume = next(line for line in lines if "ebs-volume-encrypted" in line)
    assert volume.startswith("::error file=tests/fixtures/iac/fail_imaging_stack.yaml,line=14,endLine=19,")


# --- pre-commit hook --------------------------------------------------------------------


def test_pre_commit_hook_entry_gates_changed_files():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "enamel-iac" and hook["pass_filenames"] is True and hook["language"] == "python"
    files = re.compile(hook["files"])
    fixtures = sorted(p.name for p in FIX.iterdir())
    assert all(files.search(name) for name in fixtures)
    assert not files.search("README.md")
    entry = shlex.split(hook["entry"]) + hook.get("args", [])

    def run(names):  # what pre-commit does: entry + the changed file names
        return subprocess.run(
            entry + [f"tests/fixtures/iac/{n}" for n in names],
            cwd=ROOT,
            env=env(),
            capture_output=True,
            text=True,
            timeout=300,
        )

    bad = run([n for n in fixtures if n.startswith("fail_")])
    good = run(["pass_imaging_stack.yaml", "pass_azure_storage.json"])
    assert bad.returncode == 1, bad.stderr
    assert "s3-bucket-kms-encryption" in bad.stdout and "\x1b[" not in bad.stdout
    assert good.returncode == 0, good.stdout + good.stderr


# --- composite action ---------------------------------------------------------------------

EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def _expand(value: str, ctx: dict) -> str:
    def sub(m):
        expr = m.group(1)
        assert expr in ctx, f"action.yml uses {expr} which the local runner does not know"
        return ctx[expr]

    return EXPR.sub(sub, str(value))


def run_action(tmp_path, inputs: dict) -> dict:
    """Run action.yml's `run` steps as GitHub's composite runner would (bash -eo pipefail,
    inputs and step outputs substituted, GITHUB_OUTPUT/GITHUB_ENV files); `uses` steps are
    checked for what they would upload."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    ins = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    ins.update(inputs)
    outputs: dict[str, dict] = {}
    runner = {
        "GITHUB_ACTIONS": "true",
        "RUNNER_TEMP": str(tmp_path / "runner-temp"),
        "GITHUB_ENV": str(tmp_path / "github-env"),
        "GITHUB_ACTION_PATH": str(ROOT),
    }
    Path(runner["RUNNER_TEMP"]).mkdir(exist_ok=True)
    log = {"steps": [], "uploads": []}
    for step in action["runs"]["steps"]:
        ctx = {f"inputs.{k}": v for k, v in ins.items()}
        ctx["github.action_path"] = str(ROOT)
        ctx.update({f"steps.{sid}.outputs.{k}": v for sid, out in outputs.items() for k, v in out.items()})
        if "uses" in step:
            cond = step.get("if", "")
            if "steps.scan.outputs.sarif != ''" in cond and not ctx.get("steps.scan.outputs.sarif"):
                continue
            log["uploads"].append((step["uses"], {k: _expand(v, ctx) for k, v in step.get("with", {}).items()}))
            continue
        assert step["shell"] == "bash"
        out_file = tmp_path / f"output-{len(log['steps'])}"
        out_file.write_text("")
        step_env = env(**runner, GITHUB_OUTPUT=str(out_file))
        step_env.update({k: _expand(v, ctx) for k, v in step.get("env", {}).items()})
        p = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=ROOT,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        log["steps"].append((step["name"], p))
        if "id" in step:
            outputs[step["id"]] = dict(line.split("=", 1) for line in out_file.read_text().splitlines() if line)
    log["outputs"] = outputs
    return log


def test_composite_action_steps_scan_upload_sarif_and_gate(tmp_path):
    out = tmp_path / "reports"
    log = run_action(
        tmp_path,
        {
            "iac": "tests/fixtures/iac/fail_imaging_stack.yaml tests/fixtures/iac/pass_imaging_stack.yaml",
            "output-dir": str(out),
        },
    )
    names = [n for n, _ in log["steps"]]
    assert names == [
        "Install Enamel with the extras the inputs need",
        "Install checkov in its own virtualenv",
        "Scan",
        "Gate",
    ]
    install, checkov_step, scan, gate = (p for _, p in log["steps"])
    assert install.returncode == 0 and "using " in install.stdout  # the enamel on PATH is used
    assert checkov_step.returncode == 0 and str(CHECKOV) in checkov_step.stdout
    assert scan.returncode == 0, scan.stderr  # the scan step records the verdict, the gate enforces it
    assert log["outputs"]["scan"]["exit-code"] == "1"
    assert re.search(r"^::error file=tests/fixtures/iac/fail_imaging_stack\.yaml,line=\d+", scan.stdout, re.M)
    sarif_path = Path(log["outputs"]["scan"]["sarif"])
    report = json.loads((out / "enamel-report.json").read_text())
    validate_report(report)
    check_sarif(json.loads(sarif_path.read_text()), report)
    uploads = dict(log["uploads"])
    assert uploads["github/codeql-action/upload-sarif@v3"]["sarif_file"] == str(sarif_path)
    assert (Path(uploads["actions/upload-artifact@v4"]["path"]) / "enamel-junit.xml").is_file()
    assert uploads["actions/upload-artifact@v4"]["name"].startswith("enamel-reports-")
    assert uploads["github/codeql-action/upload-sarif@v3"]["category"] == "enamel"
    assert gate.returncode == 1 and "::error::Enamel: findings at or above high" in gate.stdout


def test_composite_action_passes_compliant_code(tmp_path):
    log = run_action(tmp_path, {"iac": "tests/fixtures/iac/pass_imaging_stack.yaml", "output-dir": str(tmp_path / "r")})
    gate = dict(log["steps"])["Gate"]
    assert log["outputs"]["scan"]["exit-code"] == "0" and gate.returncode == 0, gate.stdout


def test_ci_examples_use_the_real_command_line():
    gh = yaml.safe_load((ROOT / "deploy" / "ci" / "github-workflow.yml").read_text())
    step = next(s for s in gh["jobs"]["enamel"]["steps"] if s.get("name") == "Enamel")
    action_inputs = yaml.safe_load((ROOT / "action.yml").read_text())["inputs"]
    assert set(step["with"]) <= set(action_inputs)
    assert gh["permissions"]["security-events"] == "write"
    gl = yaml.safe_load((ROOT / "deploy" / "ci" / "gitlab-ci.yml").read_text())["enamel-hipaa"]
    from enamel_hipaa.cli import build_parser

    for line in gl["script"]:
        argv = shlex.split(line)
        assert argv[0] == "enamel"
        args = build_parser().parse_args(argv[1:])  # every option exists
        assert args.ci and args.iac
    assert gl["artifacts"]["reports"]["junit"].endswith("enamel-junit.xml")
