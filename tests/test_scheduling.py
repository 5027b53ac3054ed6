"""The scheduling examples in deploy/ parse, and each runs the intended command: an
`enamel report weekly` invocation our own CLI parser accepts."""

import configparser
import re
import shlex
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT
from enamel_hipaa.cli import build_parser

DEPLOY = ROOT / "deploy"
SYSTEMD = DEPLOY / "systemd"
ENAMEL_BIN = "/opt/enamel/.venv/bin/enamel"


def enamel_args(command: str) -> list[str]:
    """The arguments after the enamel executable in a shell command line."""
    words = shlex.split(command)
    i = next(i for i, w in enumerate(words) if w == "enamel" or w.endswith("/enamel"))
    rest = words[i + 1 :]
    return rest[: rest.index(">>")] if ">>" in rest else rest


def check_weekly(args: list[str]) -> None:
    assert args[:2] == ["report", "weekly"]
    ns = build_parser().parse_args(args)
    assert ns.command == "report" and ns.report_command == "weekly" and ns.email
    assert ns.resources  # the same source options as `enamel scan`
    assert not ns.smtp_insecure and ns.out is None  # really sends, over TLS
    assert "PASSWORD" not in " ".join(args)


def unit(path):
    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str
    cp.read(path)
    return cp


def test_pass_systemd_service_runs_the_weekly_report():
    svc = unit(SYSTEMD / "enamel-weekly.service")
    s = svc["Service"]
    assert s["Type"] == "oneshot" and s["ExecStart"].startswith(ENAMEL_BIN)
    check_weekly(enamel_args(s["ExecStart"]))
    assert s["EnvironmentFile"] == "/etc/enamel/smtp.env" and s["NoNewPrivileges"] == "yes"
    assert s["ReadWritePaths"] == "/var/lib/enamel" == s["StateDirectory"].replace("enamel", "/var/lib/enamel")
    # repeated keys (configparser keeps the last): the history lives in the state directory
    assert (
        "\nEnvironment=ENAMEL_HISTORY=/var/lib/enamel/history.sqlite3\n"
        in (SYSTEMD / "enamel-weekly.service").read_text()
    )


def test_pass_systemd_timer_fires_weekly_and_targets_the_service():
    t = unit(SYSTEMD / "enamel-weekly.timer")
    assert t["Timer"]["Unit"] == "enamel-weekly.service" and t["Timer"]["Persistent"] == "true"
    assert t["Install"]["WantedBy"] == "timers.target"
    tool = shutil.which("systemd-analyze")
    if tool:  # systemd's own parser of the calendar expression
        r = subprocess.run(
            [tool, "calendar", "--iterations=2", t["Timer"]["OnCalendar"]], capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 0, r.stderr
        days = re.findall(r"(?:Next elapse|Iter\. #\d): (\w+) (\S+)", r.stdout)
        assert [d for d, _ in days] == ["Mon", "Mon"], r.stdout


def test_pass_systemd_units_verify(tmp_path):
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze not installed")
    # verify needs ExecStart's executable to exist: point it at this checkout's enamel
    enamel = shutil.which("enamel", path=str(ROOT / ".venv" / "bin")) or shutil.which("enamel")
    if enamel is None:
        enamel = sys.executable
    text = (SYSTEMD / "enamel-weekly.service").read_text().replace(ENAMEL_BIN, enamel)
    (tmp_path / "enamel-weekly.service").write_text(text)
    shutil.copy(SYSTEMD / "enamel-weekly.timer", tmp_path)
    r = subprocess.run(
        [tool, "verify", str(tmp_path / "enamel-weekly.service"), str(tmp_path / "enamel-weekly.timer")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    ours = [line for line in r.stderr.splitlines() if "enamel-weekly" in line]
    assert r.returncode == 0 and ours == [], r.stderr


def test_pass_cron_line_is_weekly_and_runs_the_weekly_report():
    lines = [
        ln
        for ln in (DEPLOY / "cron" / "enamel-weekly.crontab").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert len(lines) == 1
    minute, hour, dom, month, dow, command = lines[0].split(None, 5)
    assert (minute, hour, dom, month, dow) == ("0", "7", "*", "*", "1")
    steps = [s.strip() for s in command.split(";")]
    assert steps[:3] == ["set -a", ". /etc/enamel/smtp.env", "set +a"]  # password from a 0600 env file
    assert steps[3].startswith(ENAMEL_BIN)
    check_weekly(enamel_args(steps[3]))


def test_pass_github_actions_schedule_runs_the_weekly_report():
    wf = yaml.safe_load((DEPLOY / "github-actions" / "enamel-weekly.yml").read_text())
    on = wf[True] if True in wf else wf["on"]  # YAML 1.1 reads the key `on` as true
    assert on["schedule"] == [{"cron": "0 7 * * 1"}]
    steps = wf["jobs"]["weekly"]["steps"]
    [step] = [s for s in steps if "enamel report weekly" in s.get("run", "")]
    assert step["env"]["ENAMEL_SMTP_PASSWORD"] == "${{ secrets.ENAMEL_SMTP_PASSWORD }}"
    args = enamel_args(step["run"])
    check_weekly(args)
    [cache] = [s for s in steps if s.get("uses", "").startswith("actions/cache@")]
    assert cache["with"]["path"] == args[args.index("--history") + 1]  # history survives between runs
