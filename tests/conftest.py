import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from scanner import paths
from scanner.ruleset import load_rules

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def ruleset():
    return load_rules()


def run_enamel(*args, cwd=None, env=None, timeout=120):
    """Run the real CLI in a subprocess (exit codes, stderr, no tracebacks)."""
    return subprocess.run([sys.executable, "-m", "scanner.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd or ROOT, env=env, timeout=timeout)


@pytest.fixture
def enamel():
    return run_enamel


def validate_report(report: dict) -> None:
    """Every JSON report a test writes is validated against the shipped schema."""
    schema = json.loads((paths.schema_dir() / "report.schema.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls(schema, format_checker=cls.FORMAT_CHECKER).validate(report)
