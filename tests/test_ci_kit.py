"""The CI kit as shipped: action.yml's inputs and steps, its install and scan scripts run
with bash (a quoted `args` value stays one argument, extras follow the inputs, artifact
names differ per job), the GitHub workflow example's inputs, and the Kubernetes example's
command line (exit 1 = a finished shard, only exit 3 is retried)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
FAKE_ENAMEL = """#!/bin/sh
# records its argv (one JSON list per call), writes the reports the Action looks for
python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@" >> "$ENAMEL_ARGV_LOG"
out=enamel-reports
while [ $# -gt 0 ]; do [ "$1" = "--output-dir" ] && out="$2"; shift; done
mkdir -p "$out" && echo '{}' > "$out/enamel-report.sarif" && echo '<testsuites/>' > "$out/enamel-junit.xml"
exit "${FAKE_EXIT:-0}"
"""


def _exe(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def run_scan_script(tmp: Path, inputs: dict, enamel: str = FAKE_ENAMEL, exit_code: int = 0):
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    _exe(bin_dir / "enamel", enamel)
    out_file, log = tmp / "github_output", tmp / "argv.log"
    out_file.write_text("")
    log.write_text("")
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(out_file),
        "GITHUB_JOB": "gate",
        "ENAMEL_ARGV_LOG": str(log),
        "FAKE_EXIT": str(exit_code),
        "HOME": str(tmp),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        "ACTION_PATH": str(ROOT),
        **inputs,
    }
    r = subprocess.run(
        ["bash", str(ROOT / "scripts" / "action-scan.sh")],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    outputs = dict(line.split("=", 1) for line in out_file.read_text().splitlines() if "=" in line)
    argv = [json.loads(line) for line in log.read_text().splitlines()]
    return r, outputs, argv


def test_pass_action_declares_every_input_its_steps_use_and_wires_category_and_artifact():
    text = (ROOT / "action.yml").read_text()
    import re

    used = set(re.findall(r"inputs\.([a-z0-9-]+)", text))
    assert used <= set(ACTION["inputs"]), used - set(ACTION["inputs"])
    steps = {s.get("name"): s for s in ACTION["runs"]["steps"]}
    upload = next(s for s in steps.values() if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif"))
    assert upload["with"]["category"] == "${{ inputs.sarif-category }}"
    keep = next(s for s in steps.values() if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert keep["with"]["name"] == "${{ steps.scan.outputs.artifact }}"
    for s in ACTION["runs"]["steps"]:  # inputs reach scripts through env, never pasted into shell code
        assert "${{" not in str(s.get("run", "")), s["name"]


def test_pass_quoted_args_stay_whole_and_structured_inputs_become_flags(tmp_path):
    r, outputs, argv = run_scan_script(
        tmp_path,
        {
            "ARGS": "--tenant \"Bright Smile Dental\" --waivers 'my waivers.yaml' --fail-on-error",
            "IAC": "infra/ cfn/",
            "PULUMI": "infra",
            "ONPREM": "site.yaml",
            "FAIL_ON": "high",
            "OUT": "reports",
        },
        exit_code=1,
    )
    assert r.returncode == 0, r.stderr
    [args] = argv
    assert args[:2] == ["scan", "--ci"]
    assert "Bright Smile Dental" in args and "my waivers.yaml" in args and "--fail-on-error" in args
    assert args[args.index("--iac") + 1 : args.index("--iac") + 3] == ["infra/", "cfn/"]
    assert args[args.index("--pulumi") + 1] == "infra" and args[args.index("--onprem") + 1] == "site.yaml"
    assert outputs["exit-code"] == "1" and outputs["sarif"] == "reports/enamel-report.sarif"


def test_pass_artifact_names_differ_between_matrix_jobs(tmp_path):
    names = set()
    for i, tenant in enumerate(["Bright Smile Dental", "Cedar Kids"]):
        d = tmp_path / str(i)
        d.mkdir()
        _, outputs, _ = run_scan_script(d, {"TENANT": tenant, "IAC": ""})
        names.add(outputs["artifact"])
    assert len(names) == 2 and all(n.startswith("enamel-reports-gate-") for n in names)
    _, outputs, _ = run_scan_script(tmp_path / "0", {"ARTIFACT": "mine"})
    assert outputs["artifact"] == "mine"


def test_fail_unbalanced_quote_in_args_is_bad_input_and_nothing_runs(tmp_path):
    r, outputs, argv = run_scan_script(tmp_path, {"ARGS": '--tenant "Bright Smile'})
    assert r.returncode == 2 and "not a valid command line" in r.stdout and argv == []


def test_pass_action_script_runs_the_real_cli_with_a_quoted_tenant(tmp_path):
    res = tmp_path / "r.json"
    res.write_text(
        json.dumps(
            {
                "resources": [
                    {
                        "type": "aws.s3_bucket",
                        "id": "b",
                        "name": "b",
                        "source": "file",
                        "properties": {"versioning": {"status": "Suspended"}},
                    }
                ]
            }
        )
    )
    real = f'#!/bin/sh\nexec "{sys.executable}" -m enamel_hipaa.cli "$@"\n'
    r, outputs, _ = run_scan_script(
        tmp_path, {"IAC": "", "ARGS": f'--resources "{res}" --tenant "Bright Smile Dental"'}, enamel=real
    )
    assert r.returncode == 0, r.stderr
    assert outputs["exit-code"] == "1", r.stdout + r.stderr  # findings, not exit 2 (bad input)
    report = json.loads((tmp_path / "enamel-reports" / "enamel-report.json").read_text())
    assert report["scan"]["tenant"] == "Bright Smile Dental"


@pytest.mark.parametrize(
    "inputs, expected",
    [
        ({"PULUMI": "infra"}, "[pulumi]"),
        ({"ONPREM": "site.yaml", "AWS": "true"}, "[aws,onprem]"),
        ({"ARGS": '--pulumi infra --onprem x.yaml --tenant "A B"', "EXTRAS": "azure"}, "[azure,onprem,pulumi]"),
        ({}, None),
    ],
)
def test_pass_install_script_installs_the_extras_the_inputs_need(tmp_path, inputs, expected):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "pip.log"
    _exe(bin_dir / "python", f'#!/bin/sh\necho "$@" >> "{log}"\n')
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "ACTION_PATH": "/action", **inputs}
    r = subprocess.run(
        ["bash", str(ROOT / "scripts" / "action-install.sh")], env=env, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    [line] = log.read_text().splitlines()
    assert line.startswith("-m pip install --quiet /action")
    assert line.endswith(f"/action{expected}" if expected else "/action")


def test_pass_workflow_example_uses_only_declared_inputs_and_its_args_parse(tmp_path):
    wf = yaml.safe_load((ROOT / "deploy" / "ci" / "github-workflow.yml").read_text())
    step = next(s for s in wf["jobs"]["enamel"]["steps"] if s.get("name") == "Enamel")
    assert set(step["with"]) <= set(ACTION["inputs"])
    r, _, argv = run_scan_script(tmp_path, {"ARGS": step["with"]["args"], "IAC": step["with"]["iac"]})
    assert r.returncode == 0 and "Bright Smile Dental" in argv[0]


K8S = yaml.safe_load((ROOT / "deploy" / "kubernetes" / "indexed-job.yaml").read_text())


@pytest.mark.parametrize("enamel_exit, pod_exit", [(0, 0), (1, 0), (2, 2), (3, 3), (4, 4)])
def test_pass_kubernetes_example_maps_findings_to_success(tmp_path, enamel_exit, pod_exit):
    container = K8S["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["sh", "-c"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _exe(bin_dir / "pip", "#!/bin/sh\nexit 0\n")
    _exe(bin_dir / "enamel", f'#!/bin/sh\necho "$@" > "{tmp_path / "argv"}"\nexit {enamel_exit}\n')
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "JOB_COMPLETION_INDEX": "2"}
    r = subprocess.run(["sh", "-c", container["args"][0]], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == pod_exit
    assert (tmp_path / "argv").read_text().split()[:4] == ["tenants", "scan", "/config/tenants.yaml", "--shard"]
    assert "2/4" in (tmp_path / "argv").read_text()


def test_pass_kubernetes_example_retries_only_exit_3():
    spec = K8S["spec"]
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
    [fail_job] = [r for r in spec["podFailurePolicy"]["rules"] if r["action"] == "FailJob"]
    assert fail_job["onExitCodes"] == {"containerName": "enamel", "operator": "NotIn", "values": [3]}
    assert spec["backoffLimit"] >= 1
