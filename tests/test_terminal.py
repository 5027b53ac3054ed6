"""The terminal summary under a real pseudo-terminal at 80 and 120 columns, piped (COLUMNS),
and with NO_COLOR / the no_color flag: every line fits, no column collapses to nothing,
colour only on a terminal that wants it, the "see the reports" hint only when reports exist."""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

import big_scan
from conftest import ROOT, shipped_rules
from enamel_hipaa.outputs.terminal import DEFAULT_PIPED_WIDTH, make_console, print_report

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
CHILD = """
import json, sys
from enamel_hipaa.outputs.terminal import make_console, print_report
report = json.load(open(sys.argv[1]))
print_report(report, make_console(no_color=sys.argv[2] == "1"), max_rows=int(sys.argv[3]))
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from enamel_hipaa.core.engine import evaluate
    from enamel_hipaa.core.model import Resource
    from enamel_hipaa.core.report import build

    d = tmp_path_factory.mktemp("term")
    path = big_scan.write_resources(d / "r.json", 12, seed=3, prefix="bright-smile-dental-xray-archive-long-name")
    rs = shipped_rules()
    res = [Resource(**r) for r in json.loads(path.read_text())["resources"]]
    rep = build(
        evaluate([r for r in rs.rules if r.resource == "aws.s3_bucket"], res),
        [],
        started_at="2026-11-28T06:00:00Z",
        tenant="Bright Smile Dental",
        sources=["file"],
        rules_digest=rs.digest,
        fail_on="high",
    )
    out = d / "report.json"
    out.write_text(json.dumps(rep))
    return out


def run_in_pty(argv: list[str], cols: int, env_extra: dict | None = None, timeout: float = 120) -> str:
    """Run argv with its stdout and stderr on a pseudo-terminal of `cols` columns; return the output."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, cols, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "CI")}
    env.update({"TERM": "xterm-256color", **(env_extra or {})})
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, close_fds=True)
    os.close(slave)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    return b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


def child(report: Path, cols: int, no_color: bool = False, env_extra=None, rows: int = 8) -> str:
    return run_in_pty([sys.executable, "-c", CHILD, str(report), "1" if no_color else "0", str(rows)], cols, env_extra)


def visible_lines(out: str) -> list[str]:
    return [ANSI.sub("", line) for line in out.splitlines()]


def check_fits(out: str, cols: int, report_path: Path, rows: int) -> None:
    lines = visible_lines(out)
    assert lines and max(len(line) for line in lines) <= cols, max(lines, key=len)
    report = json.loads(report_path.read_text())
    shown = [f for f in report["findings"] if f["status"] not in ("pass", "skip")][:rows]
    flat = "".join(line.strip(" │┃|") for line in lines)  # folded cells joined back
    for f in shown:  # nothing squeezed to zero width: every rule and resource is there in full
        assert f["rule_id"] in flat.replace(" ", "") or f["rule_id"] in "".join(lines)
        assert f["resource"]["name"] in flat.replace(" ", "")


def test_pass_80_columns_stacks_each_finding_and_every_line_fits(report):
    out = child(report, 80)
    check_fits(out, 80, report, 8)
    assert "┃" not in out and "│" not in out  # stacked, not a squeezed table
    assert len(visible_lines(out)) <= 8 * 4 + 3  # three lines a finding, a fourth when the observation wraps


def test_pass_120_columns_keeps_findings_short(report):
    out = child(report, 120)
    check_fits(out, 120, report, 8)
    assert len(visible_lines(out)) <= 8 * 4 + 3  # a few lines per finding, not 17


def test_pass_160_columns_table_with_ids_in_full(report):
    out = child(report, 160)
    lines = visible_lines(out)
    assert max(len(line) for line in lines) <= 160
    body = [line for line in lines if line.startswith(("│", "┃"))]
    assert body and len(body) <= 8 * 3 + 2, len(body)
    rep = json.loads(report.read_text())
    shown = [f for f in rep["findings"] if f["status"] not in ("pass", "skip")][:8]
    for f in shown:  # each id sits whole on one line of its cell
        assert any(f["rule_id"] in line for line in body) and any(f["resource"]["name"] in line for line in body)


def test_pass_colour_on_a_terminal_and_none_with_no_color_env_or_flag(report):
    assert ANSI.search(child(report, 120))
    assert not ANSI.search(child(report, 120, env_extra={"NO_COLOR": "1"}))
    assert not ANSI.search(child(report, 120, no_color=True))


def test_pass_piped_output_honours_columns_and_has_no_colour(report):
    rep = json.loads(report.read_text())
    for env, width in (
        ({"COLUMNS": "80"}, 80),
        ({"COLUMNS": "200"}, 200),
        ({}, DEFAULT_PIPED_WIDTH),
        ({"COLUMNS": "junk"}, DEFAULT_PIPED_WIDTH),
    ):
        buf = io.StringIO()
        console = make_console(env=env, file=buf)
        assert console.width == width and not console.is_terminal
        print_report(rep, console, max_rows=8)
        out = buf.getvalue()
        assert not ANSI.search(out) and max(len(line) for line in out.splitlines()) <= width


def test_pass_piped_subprocess_honours_columns(report):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CI")}
    r = subprocess.run(
        [sys.executable, "-c", CHILD, str(report), "0", "8"],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "90"},
        cwd=ROOT,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert not ANSI.search(r.stdout) and max(map(len, lines)) <= 90 and len(lines) > 10


def test_pass_more_hint_points_at_reports_only_when_they_were_written(report):
    rep = json.loads(report.read_text())
    for written, expected, absent in (
        (True, "(see the reports)", "--output-dir"),
        (False, "--output-dir", "see the reports"),
    ):
        buf = io.StringIO()
        print_report(rep, make_console(env={}, file=buf), max_rows=2, reports_written=written)
        assert expected in buf.getvalue() and absent not in buf.getvalue()


def test_pass_ci_console_has_no_colour_even_on_a_terminal():
    console = make_console(ci=True, env={})
    assert console.no_color and not console.is_terminal


def test_pass_real_cli_at_80_columns_never_collapses_a_column(report, tmp_path):
    out = run_in_pty(
        [sys.executable, "-m", "enamel_hipaa.cli", "scan", "--resources", str(report.parent / "r.json")], 80
    )
    lines = visible_lines(out)
    assert max(len(line) for line in lines) <= 80
    assert "bright-smile-dental-xray-archive-long-name" in "".join(line.strip(" │┃") for line in lines)
