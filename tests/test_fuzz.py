"""Fuzzing the real CLI, in-process (`enamel_hipaa.cli.main`), over every input kind:
resources (YAML and JSON), rules, waivers, params, config, tenants, attestation, baseline,
on-prem inventory with its Orthanc and nginx files, Pulumi preview and state, Terraform plan
JSON, CloudFormation templates (YAML with the short-form tags, and JSON).

Each input is a valid seed mutated by hypothesis: a hostile value planted at a random place
of the parsed document (wrong types, NaN/inf, huge or deep values, control and escape
characters, markers), or a textual mutation (hostile snippets such as alias bombs and deep
nesting inserted, slices cut, lines repeated, bytes flipped). The contract: the exit code
is 0, 1, 2 or 3 (never 4, an internal error), within 10 s of CPU per input.

`make test` runs the short profile (marker `fuzz`, a few examples per kind, well under
2 minutes). ENAMEL_FUZZ_LONG=1 runs the long one (ENAMEL_FUZZ_EXAMPLES per kind, default
3000: about 36,000 inputs) and prints the count, the slowest input and the peak RSS.
"""

import contextlib
import io
import copy
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from enamel_hipaa import cli
from enamel_hipaa.cli import main
from enamel_hipaa.core import paths, ruleset

pytestmark = pytest.mark.fuzz

ROOT = Path(__file__).resolve().parents[1]
LONG = os.environ.get("ENAMEL_FUZZ_LONG") == "1"
EXAMPLES = int(os.environ.get("ENAMEL_FUZZ_EXAMPLES", "3000")) if LONG else 6
STATS = {"inputs": 0, "exit4": 0, "over10s": 0, "max_seconds": 0.0, "max_wall_seconds": 0.0, "slowest": None}
PER_KIND: dict = {}
# the long profile keeps going after a bad input and saves it here (exit code, kind, bytes)
FAILURES = Path(os.environ.get("ENAMEL_FUZZ_FAILURES", tempfile.gettempdir() + "/enamel-fuzz-failures"))

SNIPPETS = [
    "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
    "[" * 2000 + "]" * 2000,
    "{" * 500,
    "9" * 5000,
    "-" + "9" * 4400,
    "NaN",
    "Infinity",
    ".inf",
    "-.nan",
    "\x00",
    "\x1b]8;;http://x\x1b\\",
    "\r=1+2\r",
    "\ufeff",
    "\udcff",
    "!!python/object:os.system",
    "!Ref",
    "!GetAtt a.b.c",
    "!If [X, !Ref AWS::NoValue]",
    "!Sub ${",
    "!Unknown x",
    "Fn::If:",
    "Condition: Nowhere",
    "&x *x",
    '{"$error": "x", "enabled": true}',
    '[{"$unknown": 1}]',
    "<<: *nowhere",
    "\t",
    "'",
    '"',
    "}",
    "]",
    ": :",
    "include a.conf;",
    "/* unterminated",
    "// c\n",
    ",,",
    "0x1F",
    "2026-13-45",
    "~",
    "null",
    "true",
    "[]",
    "{}",
]
HOSTILE_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=30),
        st.sampled_from(
            [
                "",
                "\x1b[31m",
                "=cmd|' /C calc'!A0",
                "\r\n",
                "a" * 5000,
                "{{ x }}",
                "TLSv1.2",
                "0.0.0.0/0",
                "arn:aws:s3:::x",
                "2026-01-01",
            ]
        ),
        st.just({"$error": "x", "k": 1}),
        st.just({"$unknown": 5}),
        st.just({"$error": "x"}),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)


def _paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for k, v in list(data.items())[:40]:
            yield from _paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data[:10]):
            yield from _paths(v, prefix + (i,))


def _plant(data, path, value):
    if not path:
        return value
    node = data
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return data


class _Tagged:
    """A CloudFormation short-form intrinsic (`!Ref x`), kept through a structured mutation."""

    def __init__(self, tag, value):
        self.tag, self.value = tag, value


class _CfnLoader(yaml.SafeLoader):
    pass


class _CfnDumper(yaml.SafeDumper):
    pass


def _load_tagged(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return _Tagged("!" + suffix, loader.construct_scalar(node))
    if isinstance(node, yaml.SequenceNode):
        return _Tagged("!" + suffix, loader.construct_sequence(node, deep=True))
    return _Tagged("!" + suffix, loader.construct_mapping(node, deep=True))


def _dump_tagged(dumper, t):
    if isinstance(t.value, list):
        return dumper.represent_sequence(t.tag, t.value)
    if isinstance(t.value, dict):
        return dumper.represent_mapping(t.tag, t.value)
    return dumper.represent_scalar(t.tag, str(t.value))


_CfnLoader.add_multi_constructor("!", _load_tagged)
_CfnDumper.add_representer(_Tagged, _dump_tagged)


def _load(text: str, fmt: str):
    if fmt == "json":
        return json.loads(text)
    return yaml.load(text, Loader=_CfnLoader) if fmt == "cfn" else yaml.safe_load(text)


def _dump(data, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, allow_nan=True)
    return yaml.dump(data, Dumper=_CfnDumper if fmt == "cfn" else yaml.SafeDumper, allow_unicode=True)


def _mutate(draw, text: str, fmt: str) -> bytes:
    how = draw(st.sampled_from(["structured", "structured", "snippet", "cut", "repeat", "flip"]))
    if how == "structured":
        try:
            data = _load(text, fmt)
        except Exception:  # noqa: BLE001 - not parseable as a whole (nginx): mutate the text
            how = "snippet"
        else:
            paths = list(_paths(data))
            path = draw(st.sampled_from(paths))
            # a copy: st.just() hands out the same dict every time, and the pop below would
            # change it for later draws (for nginx the planted value is the whole document),
            # so a replayed choice sequence drew from a different key list: FlakyStrategyDefinition
            data = _plant(data, path, copy.deepcopy(draw(HOSTILE_VALUES)))
            if draw(st.booleans()) and isinstance(data, dict) and data:  # sometimes drop a key as well
                data.pop(draw(st.sampled_from(sorted(map(str, data)))), None)
            try:
                out = _dump(data, fmt)
            except (ValueError, TypeError, yaml.YAMLError):
                out = text
            return out.encode("utf-8", "surrogatepass")
    raw = text.encode("utf-8")
    n = len(raw)
    if how == "snippet":
        at = draw(st.integers(0, n))
        return raw[:at] + draw(st.sampled_from(SNIPPETS)).encode("utf-8", "surrogatepass") + raw[at:]
    if how == "cut":
        a = draw(st.integers(0, n))
        b = draw(st.integers(a, min(n, a + 400)))
        return raw[:a] + raw[b:]
    if how == "repeat":
        lines = raw.splitlines(keepends=True) or [b""]
        i = draw(st.integers(0, len(lines) - 1))
        return b"".join(lines[: i + 1] + [lines[i]] * draw(st.integers(1, 3)) + lines[i + 1 :])
    data = bytearray(raw)
    for _ in range(draw(st.integers(1, 8))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


# ---------------------------------------------------------------------------------------
# seeds and how each kind is run

BASE_BUCKET = yaml.safe_load((ROOT / "tests/rule_cases/_base/aws.s3_bucket.yaml").read_text())
RESOURCES = yaml.safe_dump(
    {"resources": [{"type": "aws.s3_bucket", "id": "b", "source": "live", "properties": BASE_BUCKET}]}
)
RULE = (ROOT / "rules/aws/s3-bucket-no-public-grants.yaml").read_text()
ORTHANC = (
    '{\n  // comment\n  "Name": "pacs", "RemoteAccessAllowed": true, "AuthenticationEnabled": false,\n'
    '  "SslEnabled": false, "HttpPort": 8042, "DicomPort": 4242, "RegisteredUsers": {"a": "b",},\n}\n'
)
NGINX = (
    "events {}\nhttp {\n  include extra.conf;\n  server {\n    listen 80;\n    server_name pacs;\n"
    "    location / { proxy_pass http://127.0.0.1:8042; }\n  }\n}\n"
)


def _seed_dir(d: Path) -> None:
    (d / "ok.yaml").write_text(RESOURCES)
    (d / "orthanc.json").write_text(ORTHANC)
    (d / "nginx.conf").write_text(NGINX)
    (d / "extra.conf").write_text("add_header X-Frame-Options DENY;\n")
    (d / "rules" / "aws").mkdir(parents=True)


def _small_preview() -> dict:
    """A slice of the recorded preview (the S3, KMS and log resources): fast to scan."""
    doc = json.loads((ROOT / "tests/fixtures/pulumi/preview.json").read_text())
    keep = [
        s
        for s in doc["steps"]
        if any(t in json.dumps(s.get("newState", {}).get("type", "")) for t in ("s3", "kms", "cloudwatch"))
    ][:15]
    return {**doc, "steps": keep}


KINDS = {
    # kind: (file name, seed text or callable, format, argv(file, dir))
    "resources-yaml": ("r.yaml", RESOURCES, "yaml", lambda f, d: ["scan", "--resources", f]),
    "resources-json": (
        "r.json",
        json.dumps(yaml.safe_load(RESOURCES)),
        "json",
        lambda f, d: ["scan", "--resources", f],
    ),
    "rules": (
        "rules/aws/s3-bucket-no-public-grants.yaml",
        RULE,
        "yaml",
        lambda f, d: ["rules", "validate", f"{d}/rules"],
    ),
    "waivers": (
        "w.yaml",
        (ROOT / "enamel_hipaa/workflows/demo/waivers.yaml").read_text(),
        "yaml",
        lambda f, d: ["scan", "--resources", f"{d}/ok.yaml", "--waivers", f],
    ),
    "params": (
        "p.yaml",
        "params: {min_retention_days: 3650}\nrules:\n  log-group-retention: {min_retention_days: 400}\n",
        "yaml",
        lambda f, d: ["scan", "--resources", f"{d}/ok.yaml", "--params", f],
    ),
    "config": (
        "c.yaml",
        "history:\n  retention_days: 400\nsmtp:\n  host: 127.0.0.1\n  port: 2525\n",
        "yaml",
        lambda f, d: ["scan", "--resources", f"{d}/ok.yaml", "--record", "--history", f"{d}/h.db", "--config", f],
    ),
    "tenants": (
        "t.yaml",
        "version: 1\ntenants:\n  - name: clinic\n    resources: [ok.yaml]\n",
        "yaml",
        lambda f, d: ["tenants", "scan", f, "--output-dir", f"{d}/out", "--jobs", "1"],
    ),
    "attestation": (
        "a.yaml",
        (ROOT / "tests/fixtures/attestation/pass_register.yaml").read_text(),
        "yaml",
        lambda f, d: ["scan", "--attest", f],
    ),
    "baseline": ("b.json", None, "json", lambda f, d: ["scan", "--resources", f"{d}/ok.yaml", "--baseline", f]),
    "inventory": (
        "i.yaml",
        "version: 1\nsite: fuzz\ntimeout_seconds: 1\napproved_archive_paths: [/nowhere]\n"
        "orthanc:\n  - {name: o, config: orthanc.json, version: '1.10.1'}\n"
        "nginx:\n  - {name: n, config: nginx.conf}\n",
        "yaml",
        lambda f, d: ["scan", "--onprem", f],
    ),
    "orthanc-config": ("orthanc.json", ORTHANC, "text", lambda f, d: ["scan", "--onprem", f"{d}/inv.yaml"]),
    "nginx-config": ("nginx.conf", NGINX, "text", lambda f, d: ["scan", "--onprem", f"{d}/inv.yaml"]),
    "pulumi-preview": ("pv.json", json.dumps(_small_preview()), "json", lambda f, d: ["scan", "--pulumi-preview", f]),
    "pulumi-state": (
        "ps.json",
        (ROOT / "tests/fixtures/pulumi/stack-export.json").read_text(),
        "json",
        lambda f, d: ["scan", "--pulumi-state", f],
    ),
    # small real/hand-written seeds from tests/fixtures (an S3 bucket and a KMS key in a module;
    # parameters, conditions and short-form intrinsics; an unencrypted bucket): their provenance is in tests/fixtures/PROVENANCE.md
    "terraform-plan": (
        "plan.json",
        (ROOT / "tests/fixtures/terraform/real/tfcompliance-s3-kms.json").read_text(),
        "json",
        lambda f, d: ["scan", "--terraform-plan", f],
    ),
    "cloudformation-yaml": (
        "cfn.yaml",
        (ROOT / "tests/fixtures/cloudformation/written/conditions-parameters.yaml").read_text(),
        "cfn",
        lambda f, d: ["scan", "--cloudformation", f],
    ),
    "cloudformation-json": (
        "cfn.json",
        (ROOT / "tests/fixtures/cloudformation/written/s3-unencrypted-bucket.json").read_text(),
        "json",
        lambda f, d: ["scan", "--cloudformation", f],
    ),
}
INVENTORY = KINDS["inventory"][1]


def _baseline_seed() -> str:
    with tempfile.TemporaryDirectory() as d:
        Path(d, "ok.yaml").write_text(RESOURCES)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            main(["scan", "--resources", f"{d}/ok.yaml", "--write-baseline", f"{d}/b.json"])
        return Path(d, "b.json").read_text()


def _run_one(kind: str, data: bytes) -> tuple[int, float, str, float]:
    name, _, _, argv = KINDS[kind]
    with tempfile.TemporaryDirectory(prefix="enamel-fuzz-") as d:
        dd = Path(d)
        _seed_dir(dd)
        (dd / "inv.yaml").write_text(INVENTORY)
        target = dd / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        # CPU time of this process: the shared test machine's load would inflate wall time
        t0, w0 = time.process_time(), time.monotonic()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv(str(target), d))
            except SystemExit as exc:  # argparse
                code = exc.code if isinstance(exc.code, int) else 2
        took, wall = time.process_time() - t0, time.monotonic() - w0
        shutil.rmtree(dd, ignore_errors=True)
    return code, took, err.getvalue(), wall


_SEEDS: dict = {}
_RULE_CACHE: dict = {}


@pytest.fixture(scope="module", autouse=True)
def _builtin_rules_parsed_once():
    """Every scan reloads and schema-validates the ~270 built-in rule files and the citation
    catalogue (about 90 % of a fuzzed scan's time), and builds the argument parser. None of
    them is under test here, so the built-in rule set (`load_rules()` with no extra rules
    directory), each built-in rule file, the built-in catalogue and the parser are built once
    per run; every other rule file - the fuzzed ones - goes through the real loader each time.
    The CLI entry point is unchanged."""
    from enamel_hipaa.cli import commands, tenants
    from enamel_hipaa.workflows import tenants_weekly

    builtin = str(paths.rules_dir())
    real = {
        "rule_file": ruleset.load_rule_file,
        "catalogue": ruleset.load_catalogue,
        "load_rules": ruleset.load_rules,
        "parser": cli.build_parser,
    }
    parser = real["parser"]()

    def rule_file(path, catalogue, type_schemas):
        if not str(path).startswith(builtin):
            return real["rule_file"](path, catalogue, type_schemas)
        st = os.stat(path)
        key = (str(path), st.st_mtime_ns, st.st_size)
        if key not in _RULE_CACHE:
            _RULE_CACHE[key] = real["rule_file"](path, catalogue, type_schemas)
        return _RULE_CACHE[key]

    def catalogue(root):
        if str(root) != builtin:
            return real["catalogue"](root)
        if "catalogue" not in _RULE_CACHE:
            _RULE_CACHE["catalogue"] = real["catalogue"](root)
        return dict(_RULE_CACHE["catalogue"])

    def load_rules(extra=None, replace=False):
        if extra or replace:
            return real["load_rules"](extra, replace)
        if "ruleset" not in _RULE_CACHE:  # a frozen RuleSet of frozen Rules
            _RULE_CACHE["ruleset"] = real["load_rules"]()
        return _RULE_CACHE["ruleset"]

    modules = (ruleset, commands, tenants, tenants_weekly)
    ruleset.load_rule_file, ruleset.load_catalogue, cli.build_parser = rule_file, catalogue, lambda: parser
    for m in modules:
        m.load_rules = load_rules
    yield
    ruleset.load_rule_file, ruleset.load_catalogue, cli.build_parser = (
        real["rule_file"],
        real["catalogue"],
        real["parser"],
    )
    for m in modules:
        m.load_rules = real["load_rules"]


def _seed(kind: str) -> str:
    if kind not in _SEEDS:
        _SEEDS[kind] = _baseline_seed() if kind == "baseline" else KINDS[kind][1]
    return _SEEDS[kind]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_fuzzed_input_exits_0_to_3_within_10_seconds(kind):
    fmt = KINDS[kind][2]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not LONG,
        database=None,
        # no shrinking: the failure message carries the input, and shrinking a CLI run can take minutes
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def run(data):
        payload = (
            _mutate(data.draw, _seed(kind), "yaml" if fmt == "text" else fmt)
            if fmt != "text"
            else _mutate(data.draw, _seed(kind), "text")
        )
        code, took, err, wall = _run_one(kind, payload)
        STATS["inputs"] += 1
        PER_KIND[kind] = PER_KIND.get(kind, 0) + 1
        STATS["max_wall_seconds"] = max(STATS["max_wall_seconds"], wall)
        if took > STATS["max_seconds"]:
            STATS["max_seconds"], STATS["slowest"] = took, kind
        bad = code not in (0, 1, 2, 3) or took >= 10
        STATS["exit4"] += code == 4
        STATS["over10s"] += took >= 10
        if os.environ.get("ENAMEL_FUZZ_STATS"):  # progress of a long run, readable while it runs
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            Path(os.environ["ENAMEL_FUZZ_STATS"]).write_text(
                json.dumps({**STATS, "peak_rss_mb": round(rss), "per_kind": PER_KIND})
            )
        if bad and LONG:  # keep going: the run's totals count every bad input, each one saved
            FAILURES.mkdir(parents=True, exist_ok=True)
            (FAILURES / f"{kind}-{STATS['inputs']}-exit{code}-{took:.1f}s").write_bytes(payload)
            failed.append((code, took, err[-300:]))
            return
        assert code in (0, 1, 2, 3), (kind, code, err[-500:], payload[:300])
        assert took < 10, (kind, took, payload[:300])

    failed: list = []
    run()
    assert not failed, (kind, len(failed), failed[:3], str(FAILURES))


def test_fuzz_summary():
    """Prints the numbers of this run (the long profile quotes them in the notes)."""
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\nfuzz: {STATS['inputs']} inputs, {STATS['exit4']} exit 4, {STATS['over10s']} over 10 s, slowest "
        f"{STATS['max_seconds']:.2f}s CPU ({STATS['slowest']}; {STATS['max_wall_seconds']:.2f}s wall at most), "
        f"peak RSS {rss_mb:.0f} MB"
    )
    assert STATS["exit4"] == 0 and STATS["over10s"] == 0
    assert rss_mb < 1024
