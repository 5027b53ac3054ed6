"""The CLI's contract: exit codes, one-line errors, sources, atomic outputs."""

import json


from conftest import ROOT, run_enamel, validate_report
from enamel_hipaa import cli

PRACTICE = "enamel_hipaa/workflows/demo/practice.yaml"


def resources_file(tmp_path, resources, errors=()):
    p = tmp_path / "res.json"
    p.write_text(json.dumps({"resources": resources, "errors": list(errors)}))
    return p


def bucket(name, status="Enabled", **extra):
    return {
        "type": "aws.s3_bucket",
        "id": name,
        "name": name,
        "source": "file",
        "properties": {"versioning": {"status": status}, **extra},
    }


def test_version():
    r = run_enamel("--version", process=True)  # the real interpreter's entry point
    assert r.returncode == 0 and r.stdout.startswith("enamel ")


# the demo has critical failures: --fail-on critical exits 1 (so would any lower threshold); the
# other end (--fail-on none exits 0) is the scan's, tested below on a resources file
def test_demo_exit_code_follows_fail_on(demo_run):
    assert demo_run.proc.returncode == 1, demo_run.proc.stderr
    report = demo_run.report()
    validate_report(report)
    assert any(f["status"] == "fail" and f["severity"] == "critical" for f in report["findings"])


def test_fail_on_threshold_ignores_lower_severities(tmp_path):
    # versioning off is a high finding; --fail-on critical does not count it
    p = resources_file(tmp_path, [bucket("b", "Suspended")])
    only = ["--rules", "rules", "--format", "json"]
    assert run_enamel("scan", "--resources", p, "--fail-on", "critical", *only).returncode in (0, 1)
    r = run_enamel("scan", "--resources", p, "--fail-on", "critical", "--no-fail-on-unknown", "--format", "json")
    report = json.loads(r.stdout)
    validate_report(report)
    crit_fail = [f for f in report["findings"] if f["status"] == "fail" and f["severity"] == "critical"]
    assert r.returncode == (1 if crit_fail else 0)


def test_unknown_counts_towards_fail_on_unless_disabled(tmp_path):
    p = resources_file(
        tmp_path,
        [
            {
                "type": "aws.s3_account",
                "id": "1",
                "name": "1",
                "source": "file",
                "properties": {"public_access_block": {"$unknown": "AccessDenied"}},
            }
        ],
    )
    assert run_enamel("scan", "--resources", p, "--format", "json").returncode == 1
    assert run_enamel("scan", "--resources", p, "--format", "json", "--no-fail-on-unknown").returncode == 0


def test_incomplete_scan_exits_3_by_default(tmp_path):
    err = {
        "source": "aws",
        "service": "s3",
        "message": "AccessDenied: ListBuckets",
        "region": "us-east-1",
        "resource_type": "aws.s3_bucket",
    }
    p = resources_file(tmp_path, [], [err])
    r = run_enamel("scan", "--resources", p, "--format", "json", "--fail-on", "none")
    assert r.returncode == 3
    report = json.loads(r.stdout)
    validate_report(report)
    assert report["scan"]["complete"] is False and report["errors"][0]["service"] == "s3"
    assert {f["status"] for f in report["findings"]} == {"error"}
    # the old spelling still works; --allow-incomplete opts out (exit by findings only)
    assert (
        run_enamel(
            "scan", "--resources", p, "--format", "json", "--fail-on", "none", "--fail-on-error", "--ci"
        ).returncode
        == 3
    )
    assert (
        run_enamel("scan", "--resources", p, "--format", "json", "--fail-on", "none", "--allow-incomplete").returncode
        == 0
    )


def test_quiet_incomplete_scan_still_says_why_it_exits_3(tmp_path):
    err = {"source": "aws", "service": "s3", "message": "AccessDenied: ListBuckets", "resource_type": "aws.s3_bucket"}
    p = resources_file(tmp_path, [], [err])
    r = run_enamel("scan", "--resources", p, "-q", "--fail-on", "none")
    assert r.returncode == 3 and r.stdout == ""
    assert r.stderr.startswith("enamel: incomplete scan: 1 source error(s)") and len(r.stderr.splitlines()) == 1
    # a complete quiet scan stays silent
    (tmp_path / "ok").mkdir()
    ok = resources_file(tmp_path / "ok", [bucket("b", "Enabled")])
    r = run_enamel("scan", "--resources", ok, "-q", "--fail-on", "none")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


def test_bad_resources_file_exits_2_naming_file_and_line(tmp_path):
    p = tmp_path / "res.yaml"
    p.write_text("resources:\n  - type: aws.s3_bucket\n    id: b\n    source: cloud\n    properties: {}\n")
    r = run_enamel("scan", "--resources", p, process=True)  # no traceback from the real interpreter either
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"{p}:4 (resources/0/source)" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_unknown_resource_type_exits_2(tmp_path):
    p = resources_file(tmp_path, [{"type": "aws.s3_buckett", "id": "b", "source": "file", "properties": {}}])
    r = run_enamel("scan", "--resources", p)
    assert r.returncode == 2 and "unknown resource type 'aws.s3_buckett'" in r.stderr


def test_missing_file_and_bad_json_exit_2(tmp_path):
    r = run_enamel("scan", "--resources", tmp_path / "nope.json")
    assert r.returncode == 2 and "file not found" in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"resources": [\n  {"type": }\n]}')
    r = run_enamel("scan", "--resources", bad)
    assert r.returncode == 2 and f"{bad}:2" in r.stderr


def test_no_source_is_usage_error():
    r = run_enamel("scan")
    assert r.returncode == 2 and "no source given" in r.stderr


def test_usage_error_exits_2():
    r = run_enamel("scan", "--fail-on", "catastrophic")
    assert r.returncode == 2 and "invalid choice" in r.stderr


def test_bad_waivers_file_exits_2(tmp_path):
    w = tmp_path / "w.yaml"
    w.write_text("waivers:\n  - {rule: s3-bucket-versioning, resource: b, reason: legacy bucket, owner: it}\n")
    r = run_enamel("scan", "--resources", PRACTICE, "--waivers", w)
    assert r.returncode == 2 and f"{w}:2" in r.stderr and "expires" in r.stderr


def test_params_file_overrides_rule_defaults(tmp_path):
    p = resources_file(
        tmp_path,
        [
            bucket(
                "b",
                **{
                    "tags": {"data_class": "phi"},
                    "object_lock": {"enabled": True, "mode": "COMPLIANCE", "retention_days": 2555},
                },
            )
        ],
    )
    params = tmp_path / "params.yaml"
    params.write_text("rules:\n  s3-bucket-object-lock-retention:\n    min_retention_days: 3650\n")
    r = run_enamel("scan", "--resources", p, "--params", params, "--format", "json", "--fail-on", "none")
    f = next(f for f in json.loads(r.stdout)["findings"] if f["rule_id"] == "s3-bucket-object-lock-retention")
    assert f["status"] == "fail" and "policy: 3650" in f["message"]
    params.write_text("params:\n  min_retention_dayz: 1\n")
    r = run_enamel("scan", "--resources", p, "--params", params)
    assert r.returncode == 2 and "min_retention_dayz" in r.stderr


def test_collect_writes_a_resources_file_that_scans_the_same(tmp_path):
    out = tmp_path / "collected.json"
    r = run_enamel("collect", "--resources", PRACTICE, "-o", out)
    assert r.returncode == 0, r.stderr
    a = run_enamel("scan", "--resources", PRACTICE, "--format", "json", "--fail-on", "none")
    b = run_enamel("scan", "--resources", out, "--format", "json", "--fail-on", "none")
    key = lambda rep: sorted((f["rule_id"], f["resource"]["id"], f["status"]) for f in json.loads(rep)["findings"])  # noqa: E731
    assert key(a.stdout) == key(b.stdout)


def test_several_formats_need_output_dir():
    r = run_enamel("scan", "--resources", PRACTICE, "--format", "json,sarif")
    assert r.returncode == 2 and "--output-dir" in r.stderr


def test_rules_list_and_show():
    r = run_enamel("rules", "list", "--provider", "aws")
    assert r.returncode == 0 and "s3-bucket-kms-encryption" in r.stdout
    r = run_enamel("rules", "show", "s3-bucket-kms-encryption")
    assert r.returncode == 0 and "164.312(a)(2)(iv): Encryption and decryption" in r.stdout
    r = run_enamel("rules", "show", "no-such-rule")
    assert r.returncode == 2 and "no rule with id" in r.stderr


def test_failed_render_keeps_previous_reports(tmp_path, monkeypatch, capsys):
    scan = ["scan", "--resources", str(ROOT / PRACTICE), "--output-dir", str(tmp_path), "--format", "json,html", "-q"]
    assert cli.main(scan) == 1
    before = {p.name: p.read_text() for p in tmp_path.iterdir()}

    def boom(report, ctx):
        raise RuntimeError("template exploded")

    import enamel_hipaa.outputs.html as html

    monkeypatch.setattr(html, "render", boom)
    assert cli.main(scan) == cli.EXIT_INTERNAL
    after = {p.name: p.read_text() for p in tmp_path.iterdir()}
    assert after == before  # nothing half-written, nothing lost, no temp files left
    assert "internal error" in capsys.readouterr().err


def test_terminal_table_escapes_markup(tmp_path):
    p = resources_file(tmp_path, [bucket("[bold]sneaky[/bold]", "Suspended")])
    r = run_enamel("scan", "--resources", p, "--fail-on", "none")
    assert "[bold]sneaky[/bold]" in r.stdout


def test_writing_to_a_device_keeps_the_device(tmp_path):
    """`-o /dev/null` must write through, never rename a temp file over the device node."""
    import os
    import stat

    r = run_enamel("collect", "--resources", PRACTICE, "-o", os.devnull)
    assert r.returncode == 0, r.stderr
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
