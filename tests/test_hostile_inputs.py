"""Bounded work and a clear exit 2 on hostile input files, for every input kind (issue 20):
alias bombs, deep nesting, huge integers, FIFOs and devices, non-UTF-8 bytes, duplicate
keys; output-path problems (a file where the folder should be, a read-only folder, a full
disk) leave the previous reports intact and exit 2."""

import errno
import json
import os
import time
from pathlib import Path

import pytest
import yaml

from enamel_hipaa.cli import main
from enamel_hipaa.core import inputs, yamlsrc
from enamel_hipaa.core.errors import InputError

BASE = Path(__file__).parent / "rule_cases" / "_base" / "aws.s3_bucket.yaml"

BOMB = (
    "\n".join(
        ["a: &a [" + ",".join(['"lol"'] * 9) + "]"]
        + [f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]" for p, c in zip("abcdefgh", "bcdefghi")]
    )
    + "\n"
)


def _resources(tmp_path) -> Path:
    p = tmp_path / "ok.yaml"
    p.write_text(
        yaml.safe_dump(
            {
                "resources": [
                    {
                        "type": "aws.s3_bucket",
                        "id": "b",
                        "source": "live",
                        "properties": yaml.safe_load(BASE.read_text()),
                    }
                ]
            }
        )
    )
    return p


# input kind -> argv builder (the hostile file is F; `ok` is a valid resources file)
KINDS = {
    "resources": lambda f, ok, d: ["scan", "--resources", f],
    "waivers": lambda f, ok, d: ["scan", "--resources", ok, "--waivers", f],
    "params": lambda f, ok, d: ["scan", "--resources", ok, "--params", f],
    "config": lambda f, ok, d: ["scan", "--resources", ok, "--record", "--config", f],
    "attestation": lambda f, ok, d: ["scan", "--attest", f],
    "baseline": lambda f, ok, d: ["scan", "--resources", ok, "--baseline", f],
    "inventory": lambda f, ok, d: ["scan", "--onprem", f],
    "tenants": lambda f, ok, d: ["tenants", "scan", f, "--output-dir", d],
    "pulumi-preview": lambda f, ok, d: ["scan", "--pulumi-preview", f],
    "pulumi-state": lambda f, ok, d: ["scan", "--pulumi-state", f],
    "terraform-plan": lambda f, ok, d: ["scan", "--terraform-plan", f],
    "cloudformation": lambda f, ok, d: ["scan", "--cloudformation", f],
}
JSON_KINDS = {"pulumi-preview", "pulumi-state", "terraform-plan"}


def _run(argv, capsys) -> tuple[int, str, float]:
    t0 = time.monotonic()
    code = main(argv)
    took = time.monotonic() - t0
    err = capsys.readouterr().err
    return code, err, took


def _hostile(tmp_path, kind: str, what: str) -> str:
    suffix = ".json" if kind in JSON_KINDS else ".yaml"
    p = tmp_path / f"hostile{suffix}"
    if what == "alias-bomb":
        p.write_text(BOMB)
    elif what == "deep-nesting":
        p.write_text("[" * 3000 + "]" * 3000 + "\n")
    elif what == "huge-integer":
        p.write_text('{"version": ' + "9" * 5000 + "}\n")
    elif what == "not-utf8":
        p.write_bytes(b'{"version": 1, "x": "\xff\xfe\xfa"}\n')
    elif what == "duplicate-key":
        p.write_text('{"version": 1, "version": 2}\n')
    elif what == "complex-key":  # found by the long fuzz run: a list as a mapping key
        p.write_text("version: 1\n? [a, b]\n: 1\n")
    elif what == "fifo":
        os.mkfifo(p)
    elif what == "device":
        return "/dev/zero"
    return str(p)


@pytest.mark.parametrize(
    "what",
    ["alias-bomb", "deep-nesting", "huge-integer", "not-utf8", "duplicate-key", "complex-key", "fifo", "device"],
)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_hostile_input_file_exits_2_fast_with_one_line(tmp_path, capsys, kind, what):
    ok = str(_resources(tmp_path))
    f = _hostile(tmp_path, kind, what)
    code, err, took = _run(KINDS[kind](f, ok, str(tmp_path / "out")), capsys)
    assert code == 2, err
    assert took < 10
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("enamel: error: ") and f in lines[0], err
    assert "internal error" not in err


FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    "kind,seed,where,value,place",
    [
        # found by the fuzz suite: a boolean where CloudFormation's Tags list should be
        (
            "cloudformation",
            "cloudformation/written/s3-unencrypted-bucket.json",
            ("Resources", "XrayUploads", "Properties", "Tags"),
            True,
            "resource XrayUploads",
        ),
        # a list where a planned resource's type should be (unhashable in the converter)
        (
            "terraform-plan",
            "terraform/real/tfcompliance-s3-kms.json",
            ("planned_values", "root_module", "resources", 0, "type"),
            [],
            "planned resource 0",
        ),
        # a string where a planned resource's values should be
        (
            "terraform-plan",
            "terraform/real/tfcompliance-s3-kms.json",
            ("planned_values", "root_module", "resources", 0, "values"),
            "x",
            "aws_s3_bucket.bucket",
        ),
    ],
)
def test_plan_or_template_value_of_the_wrong_type_exits_2_naming_file_and_resource(
    tmp_path, capsys, kind, seed, where, value, place
):
    _wrong_value_exits_2(tmp_path, capsys, kind, seed, where, value, place)


def _wrong_value_exits_2(tmp_path, capsys, kind, seed, where, value, place, more=None) -> None:
    """The seed file with `value` planted at `where` (and `more` beside it) exits 2 in one
    line naming the file and `place`."""
    doc = json.loads((FIXTURES / seed).read_text())
    node = doc
    for k in where[:-1]:
        node = node[k]
    node[where[-1]] = value
    node.update(more or {})
    f = tmp_path / "hostile.json"
    f.write_text(json.dumps(doc))
    code, err, _ = _run(KINDS[kind](str(f), "", str(tmp_path)), capsys)
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and str(f) in lines[0] and place in lines[0], err


@pytest.mark.parametrize(
    "kind,seed,where,value,place",
    [
        # found by the long fuzz run (exit 4 before): wrong types in a preview step or a state resource
        ("pulumi-preview", "pulumi/preview.json", ("steps", 0, "op"), ["same"], "steps/0/op"),
        ("pulumi-preview", "pulumi/preview.json", ("steps", 0, "newState", "urn"), {"x": 1}, "steps/0/newState/urn"),
        ("pulumi-preview", "pulumi/preview.json", ("steps", 0, "newState", "type"), None, "steps/0/newState"),
        (
            "pulumi-state",
            "pulumi/stack-export.json",
            ("deployment", "resources", 1, "propertyDependencies"),
            [1],
            "deployment/resources/1/propertyDependencies",
        ),
        (
            "pulumi-state",
            "pulumi/stack-export.json",
            ("deployment", "resources", 1, "urn"),
            1.5,
            "deployment/resources/1/urn",
        ),
    ],
)
def test_pulumi_record_of_the_wrong_type_exits_2_naming_the_step(tmp_path, capsys, kind, seed, where, value, place):
    more = {"urn": "x"} if where[-1] == "type" else None  # and a URN that names no type
    _wrong_value_exits_2(tmp_path, capsys, kind, seed, where, value, place, more)


def test_rules_validate_refuses_an_alias_bomb_in_a_rule_file(tmp_path, capsys):
    d = tmp_path / "rules" / "aws"
    d.mkdir(parents=True)
    (d / "bomb-rule.yaml").write_text(BOMB)
    code, err, took = _run(["rules", "validate", str(tmp_path / "rules")], capsys)
    assert code == 2 and took < 10 and "alias" in err


def test_alias_bomb_is_refused_before_it_expands():
    t0 = time.monotonic()
    with pytest.raises(InputError, match="alias bomb"):
        yamlsrc.loads(BOMB, "bomb.yaml")
    assert time.monotonic() - t0 < 1.0


def test_a_few_aliases_are_still_fine():
    data, _ = yamlsrc.loads("d: &d {a: 1, b: [1, 2]}\nx: *d\ny: {<<: *d, c: 3}\n", "ok.yaml")
    assert data["x"] == {"a": 1, "b": [1, 2]} and data["y"]["c"] == 3


def test_duplicate_key_in_json_names_the_line(tmp_path):
    p = tmp_path / "r.json"
    p.write_text('{\n  "resources": [],\n  "errors": [],\n  "resources": []\n}\n')
    with pytest.raises(InputError) as ei:
        yamlsrc.load_data(p)
    assert ei.value.line == 4 and "duplicate key 'resources'" in str(ei.value)


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}'])
def test_non_finite_json_numbers_are_refused(text):
    with pytest.raises(InputError, match="not a JSON number"):
        inputs.loads_json(text, "x.json")


def test_oversized_input_is_refused_with_the_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("ENAMEL_MAX_INPUT_BYTES", "100")
    p = tmp_path / "big.yaml"
    p.write_text("a: " + "x" * 200 + "\n")
    with pytest.raises(InputError, match="too large"):
        yamlsrc.load(p)


# ---------------------------------------------------------------------------------------
# output paths


def _scan_to(out, ok) -> list[str]:
    return ["scan", "--resources", ok, "--format", "json,csv,markdown,junit,sarif,html", "--output-dir", str(out)]


def test_output_dir_that_is_a_file_exits_2(tmp_path, capsys):
    ok = str(_resources(tmp_path))
    f = tmp_path / "a-file"
    f.write_text("x")
    code, err, _ = _run(_scan_to(f, ok), capsys)
    assert code == 2 and str(f) in err and "internal error" not in err


def test_read_only_output_dir_exits_2_and_writes_nothing(tmp_path, capsys, monkeypatch):
    ok = str(_resources(tmp_path))
    out = tmp_path / "out"
    out.mkdir()

    def denied(*a, **k):  # the tests run as root, where chmod 555 would not stop a write
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("enamel_hipaa.outputs.tempfile.mkdtemp", denied)
    code, err, _ = _run(_scan_to(out, ok), capsys)
    assert code == 2 and "Permission denied" in err and str(out) in err
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("fail_at", [1, 3, 6])
def test_full_disk_part_way_leaves_the_previous_reports_intact(tmp_path, capsys, monkeypatch, fail_at):
    ok = str(_resources(tmp_path))
    out = tmp_path / "out"
    assert main(_scan_to(out, ok)) in (0, 1)
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert len(before) == 6
    for p in out.iterdir():  # mark the previous set so a mix would show
        p.write_bytes(before[p.name] + b"\n")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real_fsync, calls = os.fsync, []

    def fsync(fd):
        calls.append(fd)
        if len(calls) == fail_at:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    code, err, _ = _run(_scan_to(out, ok), capsys)
    assert code == 2 and "No space left on device" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_failed_rename_part_way_puts_the_previous_set_back(tmp_path, capsys, monkeypatch):
    ok = str(_resources(tmp_path))
    out = tmp_path / "out"
    assert main(_scan_to(out, ok)) in (0, 1)
    capsys.readouterr()
    before = {p.name: p.read_bytes() + b"old" for p in out.iterdir()}
    for name, data in before.items():
        (out / name).write_bytes(data)
    real_replace, calls = os.replace, []

    def replace(a, b):
        calls.append(a)
        if len(calls) == 7:  # old file aside, new file in, ... then the 4th file fails
            raise OSError(errno.EIO, "Input/output error")
        return real_replace(a, b)

    monkeypatch.setattr(os, "replace", replace)
    code, err, _ = _run(_scan_to(out, ok), capsys)
    assert code == 2
    monkeypatch.setattr(os, "replace", real_replace)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_reports_are_written_and_no_staging_folder_is_left(tmp_path, capsys):
    ok = str(_resources(tmp_path))
    out = tmp_path / "out"
    assert main(_scan_to(out, ok)) in (0, 1)
    names = sorted(p.name for p in out.iterdir())
    assert not any(n.startswith(".enamel-") for n in names) and len(names) == 6
    json.loads((out / "enamel-report.json").read_text())


@pytest.mark.parametrize("sub", ["{op: eq, value: x}", "{key: grantee}", "[1]", "{all: []}", "{not: 3}"])
def test_rules_validate_every_sub_condition_without_key_or_op_exits_2_with_file_and_line(tmp_path, capsys, sub):
    d = tmp_path / "rules" / "aws"
    d.mkdir(parents=True)
    f = d / "odd-rule.yaml"
    f.write_text(
        "id: odd-rule\ntitle: A title that is long enough\nseverity: high\nresource: aws.s3_bucket\n"
        'hipaa: ["164.312(a)(1)"]\nassert:\n  key: acl.public_grants\n  op: every\n'
        f'  value: {sub}\nmessage: "bucket {{name}}"\nremediation: Do the right thing with it.\n'
    )
    code, err, _ = _run(["rules", "validate", str(tmp_path / "rules")], capsys)
    assert code == 2 and f"{f}:" in err and "internal error" not in err, err
