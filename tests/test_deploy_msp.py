"""The MSP scheduler examples, proven: the Kubernetes manifests validate against the
Kubernetes OpenAPI schema (kubernetes-validate, which ships the schemas: no network), and the
shell each example runs - every shard of the Indexed Job / matrix, then the merge step - is
run as written against moto and the test PostgreSQL."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import awsstack
from conftest import ROOT
from enamel_hipaa.outputs import history
from msp_moto import audit_role, practice_buckets

K8S = ROOT / "deploy" / "kubernetes" / "enamel-msp.yaml"
GHA = ROOT / "deploy" / "github-actions" / "enamel-msp-matrix.yml"
PRACTICES = [
    ("bright-smile", "111100000001"),
    ("lakeside-ortho", "111100000002"),
    ("cedar-kids", "111100000003"),
    ("harbor-endo", "111100000004"),
]


def k8s_docs() -> list[dict]:
    return [d for d in yaml.safe_load_all(K8S.read_text()) if d]


def test_pass_kubernetes_manifests_validate_against_the_openapi_schema():
    kv = pytest.importorskip("kubernetes_validate")
    docs = k8s_docs()
    assert [d["kind"] for d in docs] == ["PersistentVolumeClaim", "CronJob", "CronJob"]
    for doc in docs:
        kv.validate(doc, "1.30.0", strict=True)  # raises on any schema violation or unknown field
    broken = json.loads(json.dumps(docs[1]))
    broken["spec"]["jobTemplate"]["spec"]["completionMode"] = 8
    with pytest.raises(kv.ValidationError):
        kv.validate(broken, "1.30.0", strict=True)


def test_pass_the_shards_share_one_run_id_and_the_history_has_no_password():
    scan = k8s_docs()[1]["spec"]["jobTemplate"]["spec"]
    env = {e["name"]: e for e in scan["template"]["spec"]["containers"][0]["env"]}
    assert scan["completionMode"] == "Indexed" and scan["completions"] == scan["parallelism"] == int(
        env["ENAMEL_SHARDS"]["value"]
    )
    assert env["ENAMEL_RUN_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['job-name']"
    assert (
        history.is_url(env["ENAMEL_HISTORY"]["value"]) and ":" not in env["ENAMEL_HISTORY"]["value"].split("@")[0][13:]
    )
    assert "secretKeyRef" in env["PGPASSWORD"]["valueFrom"]


@pytest.fixture(scope="module")
def world(moto_account, tmp_path_factory):
    """Four practices, each its own moto account with an audit role and two PHI buckets."""
    d = tmp_path_factory.mktemp("msp-deploy")
    tenants, env = [], {}
    for name, acct in PRACTICES:
        sess = awsstack.session(acct)
        xid_var = f"ENAMEL_EXTID_{name.upper().replace('-', '_')}"
        env[xid_var] = f"xid-{name}"
        role = audit_role(sess, awsstack.ACCOUNT_A, env[xid_var])
        practice_buckets(sess, name, f"C-{name}", 2, versioned=name != "cedar-kids")
        tenants.append({"name": name, "aws": [{"role_arn": role, "external_id_env": xid_var}]})
    (d / "tenants.yaml").write_text(
        yaml.safe_dump({"version": 1, "defaults": {"regions": ["us-east-1"]}, "tenants": tenants})
    )
    return d, env


def shell_env(extra: dict) -> dict:
    """The example's environment: the installed `enamel` first on PATH (the scripts skip pip)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENAMEL_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_sh(script: str, env: dict, cwd: Path, shell: str = "sh") -> subprocess.CompletedProcess:
    return subprocess.run([shell, "-c", script], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


def one_scan_per_tenant(url: str, run_id: str) -> None:
    conn = history.connect(url)
    try:
        rows = conn.execute("SELECT tenant, COUNT(*) FROM scans WHERE run_id = ? GROUP BY tenant", (run_id,)).fetchall()
    finally:
        conn.close()
    assert sorted((r[0], r[1]) for r in rows) == sorted((name, 1) for name, _ in PRACTICES)


def check_rollup(path: Path) -> None:
    roll = json.loads(path.read_text())
    assert sorted(t["name"] for t in roll["tenants"]) == sorted(n for n, _ in PRACTICES)
    assert all(t["complete"] for t in roll["tenants"]), roll["tenants"]
    by = {t["name"]: t for t in roll["tenants"]}
    assert by["cedar-kids"]["counts"]["fail"] > by["bright-smile"]["counts"]["fail"]  # unversioned PHI buckets


def test_pass_kubernetes_indexed_job_shards_and_report_step_run_as_written(world, pg_server, tmp_path):
    d, xids = world
    url = pg_server.create_db("k8s_example")
    scan, report = (doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0] for doc in k8s_docs()[1:])
    plain = {e["name"]: e["value"] for e in scan["env"] if "value" in e}
    run_id = "enamel-msp-scan-29400000"  # what metadata.labels['job-name'] gives a CronJob's Job
    base = dict(
        plain,
        **xids,
        ENAMEL_HISTORY=url,
        ENAMEL_TENANTS=d / "tenants.yaml",
        ENAMEL_RESULTS=tmp_path / "results",
        HOME=tmp_path,
        ENAMEL_RUN_ID=run_id,
        PGPASSWORD=pg_server.password,
    )
    for i in range(scan_count := int(plain["ENAMEL_SHARDS"])):
        r = run_sh(scan["args"][0], shell_env(dict(base, JOB_COMPLETION_INDEX=i)), tmp_path)
        assert r.returncode == 0, (i, r.stderr)
    r = run_sh(scan["args"][0], shell_env(dict(base, JOB_COMPLETION_INDEX=0)), tmp_path)  # a retried pod
    assert r.returncode == 0, r.stderr
    one_scan_per_tenant(url, run_id)
    rep_env = {e["name"]: e["value"] for e in report["env"]}
    r = run_sh(
        report["args"][0], shell_env(dict(rep_env, ENAMEL_RESULTS=tmp_path / "results", HOME=tmp_path)), tmp_path
    )
    assert r.returncode == 0, r.stderr
    check_rollup(tmp_path / "results" / run_id / "rollup" / "rollup.json")
    assert len(list((tmp_path / "results" / run_id).glob("shard-*"))) == scan_count
    (tmp_path / "results" / run_id / "shard-3" / "SHARD_DONE").unlink()  # an unfinished shard: the report refuses
    r = run_sh(
        report["args"][0], shell_env(dict(rep_env, ENAMEL_RESULTS=tmp_path / "results", HOME=tmp_path)), tmp_path
    )
    assert r.returncode == 3 and "7 of 8 shards" in r.stderr


def test_pass_github_actions_matrix_and_merge_job_run_as_written(world, pg_server, tmp_path):
    d, xids = world
    url = pg_server.create_db("gha_example")
    wf = yaml.safe_load(GHA.read_text())
    run_id = wf["env"]["ENAMEL_RUN_ID"].replace("${{ github.run_id }}", "4242")
    base = dict(wf["env"], **xids, ENAMEL_RUN_ID=run_id)
    shutil.copy(d / "tenants.yaml", tmp_path / "tenants.yaml")
    scan_job = wf["jobs"]["scan"]
    step = next(s for s in scan_job["steps"] if "tenants scan" in s.get("run", ""))
    upload = next(s for s in scan_job["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    secrets = {"${{ secrets.ENAMEL_HISTORY_URL }}": url, "${{ secrets.ENAMEL_HISTORY_PASSWORD }}": pg_server.password}
    for shard in scan_job["strategy"]["matrix"]["shard"]:
        env = {k: secrets.get(v, v).replace("${{ matrix.shard }}", str(shard)) for k, v in step["env"].items()}
        r = run_sh(step["run"], shell_env(dict(base, **env)), tmp_path, shell="bash")
        assert r.returncode == 0, (shard, r.stderr)
        name = upload["with"]["name"].replace("${{ matrix.shard }}", str(shard))  # what download-artifact restores
        src = tmp_path / upload["with"]["path"].replace("${{ matrix.shard }}", str(shard))
        shutil.copytree(src, tmp_path / "merge-job" / "shards" / name)
    one_scan_per_tenant(url, run_id)
    merge = wf["jobs"]["rollup"]
    download = next(s for s in merge["steps"] if s.get("uses", "").startswith("actions/download-artifact"))
    assert download["with"] == {"pattern": "shard-*", "path": "shards"}
    step = next(s for s in merge["steps"] if "tenants merge" in s.get("run", ""))
    r = run_sh(step["run"], shell_env(base), tmp_path / "merge-job", shell="bash")
    assert r.returncode == 0, r.stderr
    check_rollup(tmp_path / "merge-job" / "rollup" / "rollup.json")
