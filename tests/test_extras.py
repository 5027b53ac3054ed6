"""Missing extras: a one-line error naming the extra and the pip command (exit 2 at the CLI),
never an internal ModuleNotFoundError; the demo skips the parts it cannot run here, says so,
and stays a complete scan of what it ran. "Core only" is simulated in a subprocess whose
import system hides the extras' modules."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.extras import EXTRA_MODULES, install_command, missing_modules, require_extra

HIDE = """
import importlib.abc, sys
HIDDEN = {hidden!r}
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, Hide())
"""


def core_only(
    code: str, hidden=("pulumi", "pulumi_aws", "json5", "crossplane", "pynetdicom", "pydicom", "moto", "boto3", "flask")
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", HIDE.format(hidden=list(hidden)) + code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_pass_installed_extras_are_not_reported_missing():
    assert missing_modules(EXTRA_MODULES["pulumi"]) == []  # the dev install has every extra
    require_extra("pulumi")  # no error


@pytest.mark.parametrize("extra", ["demo", "pulumi", "onprem"])
def test_fail_missing_extra_names_the_extra_and_the_pip_command(extra):
    with pytest.raises(InputError) as e:
        require_extra(extra, [*EXTRA_MODULES[extra], "enamel_no_such_module"], what=f"enamel {extra}")
    msg = str(e.value)
    assert msg.startswith("command line: ") and "\n" not in msg
    assert f"'{extra}' extra" in msg and install_command(extra) in msg and "enamel_no_such_module" in msg


def test_fail_core_only_install_reports_each_extra_without_a_traceback():
    code = (
        "from enamel_hipaa.core.extras import require_extra, NEEDS\n"
        "from enamel_hipaa.core.errors import InputError\n"
        "for what, extra in NEEDS.items():\n"
        "    if extra in ('azure',): continue\n"
        "    try:\n        require_extra(extra, what=what)\n        print('OK', what)\n"
        "    except InputError as e:\n        print(e)\n"
    )
    r = core_only(code)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert any(
        "enamel demo needs the 'demo' extra" in line and "pip install 'enamel-hipaa[demo]'" in line for line in lines
    )
    assert any("scan --pulumi needs the 'pulumi' extra" in line for line in lines)
    assert any("scan --onprem needs the 'onprem' extra" in line for line in lines)
    assert "Traceback" not in r.stdout + r.stderr


def test_pass_demo_without_extras_skips_parts_and_says_which():
    code = (
        "import json\nfrom enamel_hipaa.workflows.demo import demo_plan\n"
        "parts, skipped = demo_plan()\nprint(json.dumps([[p.__name__ for p in parts], skipped]))\n"
    )
    r = core_only(code)
    assert r.returncode == 0, r.stderr
    parts, skipped = json.loads(r.stdout)
    assert parts == ["practice_part", "attestation_part"]
    assert len(skipped) == 3 and all("skipped" in s and "pip install 'enamel-hipaa[" in s for s in skipped)


def test_pass_demo_with_every_extra_runs_every_part():
    from enamel_hipaa.workflows.demo import PARTS, demo_plan

    parts, skipped = demo_plan()
    assert parts == PARTS and skipped == []
