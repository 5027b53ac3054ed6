"""MSP runs: many tenants, isolated, sharded, rolled up."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import run_enamel, validate_report
from enamel_hipaa.core import paths
from enamel_hipaa.outputs.rollup import comparable
from enamel_hipaa.workflows.tenants import load_tenants, select, shard_of

NAMES = ["alpha-dental", "bravo-ortho", "charlie-kids", "delta-smiles", "echo-endo", "foxtrot-perio", "golf-family"]


def bucket(name, *, versioning="Enabled", canary="", data_class="phi"):
    return {
        "type": "aws.s3_bucket",
        "id": f"arn:aws:s3:::{name}",
        "name": name,
        "source": "file",
        "account": "111122223333",
        "region": "us-east-1",
        "properties": {
            "tags": {"data_class": data_class, "canary": canary},
            "versioning": {"status": versioning},
            "object_lock": {"enabled": True, "mode": "COMPLIANCE", "retention_days": 2555},
        },
    }


@pytest.fixture
def msp(tmp_path):
    """Seven practices, each with a canary value in its bucket names and tags."""
    tenants = []
    for i, name in enumerate(NAMES):
        canary = f"CANARY-{name.upper()}-{i}"
        res = {
            "resources": [
                bucket(f"{name}-xrays-{canary.lower()}", canary=canary, versioning="Suspended" if i % 2 else "Enabled")
            ]
        }
        (tmp_path / f"{name}.json").write_text(json.dumps(res))
        tenants.append({"name": name, "display_name": name.replace("-", " ").title(), "resources": [f"{name}.json"]})
    tenants[0]["params"] = {"rules": {"s3-bucket-object-lock-retention": {"min_retention_days": 3650}}}
    (tmp_path / "tenants.yaml").write_text(yaml.safe_dump({"version": 1, "tenants": tenants}))
    return tmp_path


def canaries(i):
    return f"CANARY-{NAMES[i].upper()}-{i}", f"canary-{NAMES[i]}-{i}"


def all_text(d: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(d.rglob("*")) if p.is_file())


def test_each_tenant_gets_its_own_reports_and_no_other_tenants_canary(msp):
    out = msp / "out"
    r = run_enamel("tenants", "scan", msp / "tenants.yaml", "--output-dir", out, "--jobs", "3")
    assert r.returncode == 1, r.stderr  # odd tenants have versioning suspended (high)
    for i, name in enumerate(NAMES):
        tdir = out / name
        report = json.loads((tdir / "enamel-report.json").read_text())
        validate_report(report)
        assert report["scan"]["tenant"] == name
        text = all_text(tdir)
        assert canaries(i)[1] in text
        for j in range(len(NAMES)):
            if j != i:
                assert canaries(j)[0] not in text and canaries(j)[1] not in text, (name, NAMES[j])
        status = {f["rule_id"]: f["status"] for f in report["findings"]}
        assert status["s3-bucket-versioning"] == ("fail" if i % 2 else "pass")
    # per-tenant params: only alpha asks 10 years of object lock
    alpha = json.loads((out / "alpha-dental" / "enamel-report.json").read_text())
    bravo = json.loads((out / "bravo-ortho" / "enamel-report.json").read_text())
    lock = lambda rep: next(f for f in rep["findings"] if f["rule_id"] == "s3-bucket-object-lock-retention")  # noqa: E731
    assert lock(alpha)["status"] == "fail" and lock(bravo)["status"] == "pass"
    # the roll-up names tenants and counts, never resource details
    rollup_text = "\n".join((out / f).read_text() for f in ("rollup.json", "rollup.html", "rollup.md", "rollup.csv"))
    assert not any(canaries(i)[0] in rollup_text or canaries(i)[1] in rollup_text for i in range(len(NAMES)))


def test_rollup_is_schema_valid_and_sorted_by_risk(msp):
    out = msp / "out"
    run_enamel("tenants", "scan", msp / "tenants.yaml", "--output-dir", out)
    roll = json.loads((out / "rollup.json").read_text())
    schema = json.loads((paths.schema_dir() / "rollup.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(roll)
    risks = [t["risk"] for t in roll["tenants"]]
    assert risks == sorted(risks, reverse=True) and len(risks) == len(NAMES)
    assert "Access control" in roll["families"] or roll["families"]
    html = (out / "rollup.html").read_text()
    assert "<script" not in html and "Alpha Dental" in html


def test_shards_cover_every_tenant_once_and_merge_to_the_unsharded_rollup(msp):
    tenants = load_tenants(str(msp / "tenants.yaml"))
    n = 3
    slices = [select(tenants, shard=(i, n)) for i in range(n)]
    names = [t.name for s in slices for t in s]
    assert sorted(names) == sorted(NAMES)  # every tenant exactly once
    assert all(shard_of(t, n) == shard_of(t, n) for t in NAMES)  # stable
    full = msp / "full"
    assert run_enamel("tenants", "scan", msp / "tenants.yaml", "--output-dir", full).returncode in (0, 1)
    shard_dirs = []
    for i in range(n):
        d = msp / f"shard{i}"
        r = run_enamel("tenants", "scan", msp / "tenants.yaml", "--shard", f"{i}/{n}", "--output-dir", d)
        assert r.returncode in (0, 1), r.stderr
        shard_dirs.append(d)
    merged = msp / "merged"
    r = run_enamel("tenants", "merge", *shard_dirs, "--output-dir", merged)
    assert r.returncode == 0, r.stderr
    a = comparable(json.loads((full / "rollup.json").read_text()))
    b = comparable(json.loads((merged / "rollup.json").read_text()))
    assert a == b


def test_overlapping_shards_are_refused(msp):
    d = msp / "once"
    run_enamel("tenants", "scan", msp / "tenants.yaml", "--only", "alpha-dental", "--output-dir", d)
    r = run_enamel("tenants", "merge", d, d, "--output-dir", msp / "m")
    assert r.returncode == 2 and "also appears in" in r.stderr


def test_a_failing_tenant_is_incomplete_and_the_rest_complete(msp, monkeypatch):
    data = yaml.safe_load((msp / "tenants.yaml").read_text())
    data["tenants"].append(
        {
            "name": "zulu-broken",
            "aws": [
                {
                    "role_arn": "arn:aws:iam::210987654321:role/EnamelAudit",
                    "external_id_env": "ENAMEL_TEST_UNSET_EXTERNAL_ID",
                }
            ],
        }
    )
    data["tenants"].append({"name": "yankee-bad-file", "resources": ["missing.json"]})
    (msp / "tenants.yaml").write_text(yaml.safe_dump(data))
    out = msp / "out"
    r = run_enamel("tenants", "scan", msp / "tenants.yaml", "--output-dir", out, "--fail-on-error")
    assert r.returncode == 3, r.stderr
    roll = json.loads((out / "rollup.json").read_text())
    by = {t["name"]: t for t in roll["tenants"]}
    assert by["zulu-broken"]["complete"] is False and "ENAMEL_TEST_UNSET_EXTERNAL_ID" in by["zulu-broken"]["error"]
    assert by["yankee-bad-file"]["complete"] is False and "file not found" in by["yankee-bad-file"]["error"]
    assert all(by[n]["complete"] for n in NAMES)
    assert roll["tenants"][0]["name"] in ("zulu-broken", "yankee-bad-file")  # incomplete ranks first
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "text,line,needle",
    [
        ("tenants:\n  - name: Bad Name\n", 2, "does not match"),
        ("tenants:\n  - name: a\n  - name: a\n", 3, "listed twice"),
        ("tenants:\n  - name: a\n    aws: [{role_arn: 'arn:aws:iam::1:role/x'}]\n", 3, "role_arn"),
        ("tenants:\n  - name: a\n    azure: {tenant_id: t, client_secret: hunter2}\n", 3, "client_secret"),
    ],
)
def test_bad_tenants_file_exits_2_with_file_and_line(tmp_path, text, line, needle):
    p = tmp_path / "tenants.yaml"
    p.write_text(text)
    r = run_enamel("tenants", "scan", p, "--output-dir", tmp_path / "o")
    assert r.returncode == 2, r.stderr
    assert f"{p}:{line}" in r.stderr and needle in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_bad_shard_and_unknown_only_are_usage_errors(msp):
    r = run_enamel("tenants", "scan", msp / "tenants.yaml", "--shard", "3/3")
    assert r.returncode == 2 and "0 <= I < N" in r.stderr
    r = run_enamel("tenants", "scan", msp / "tenants.yaml", "--only", "nobody")
    assert r.returncode == 2 and "nobody" in r.stderr


def test_example_tenants_file_validates():
    ts = load_tenants(str(Path(__file__).parent.parent / "examples" / "msp" / "tenants.yaml"))
    assert [t.name for t in ts] == ["bright-smile-dental", "lakeside-ortho", "offline-clinic"]
    assert ts[0].spec["params"]["params"]["min_retention_days"] == 3650


def test_sharding_examples_pass_the_index_as_the_shard():
    root = Path(__file__).parent.parent / "deploy"
    gha = yaml.safe_load((root / "github-actions" / "msp-matrix.yml").read_text())
    shards = gha["jobs"]["scan"]["strategy"]["matrix"]["shard"]
    run = next(s["run"] for s in gha["jobs"]["scan"]["steps"] if "tenants scan" in s.get("run", ""))
    assert f"/{len(shards)}" in run and "${{ matrix.shard }}" in run and shards == list(range(len(shards)))
    merge = next(s["run"] for s in gha["jobs"]["rollup"]["steps"] if "tenants merge" in s.get("run", ""))
    assert all(f"shard-{i}" in merge for i in shards)
    job = yaml.safe_load((root / "kubernetes" / "indexed-job.yaml").read_text())
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    args = " ".join(spec["template"]["spec"]["containers"][0]["args"])
    assert f'--shard "${{JOB_COMPLETION_INDEX}}/{spec["completions"]}"' in args
