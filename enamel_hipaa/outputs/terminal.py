"""Terminal summary with rich: the findings (problems first) and the status counts.

Readable at any width: from WIDE columns on, a table whose every column keeps a minimum
width; below that, each finding is stacked on three short lines (never a zero-width
column). `make_console` decides width and colour: a terminal's own width; when piped,
COLUMNS if set (else DEFAULT_PIPED_WIDTH); colour off with NO_COLOR (any non-empty value),
the `no_color` flag or in CI."""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.markup import escape as _markup_escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from enamel_hipaa.core import cleantext
from enamel_hipaa.outputs.plain import observed

STYLE = {"fail": "bold red", "unknown": "yellow", "error": "magenta", "waived": "cyan", "pass": "green", "skip": "dim"}
SEV_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "blue", "info": "dim"}
WIDE = 140  # a table from here on; below, stacked lines
DEFAULT_PIPED_WIDTH = 120
MIN_WIDTH = 40


def escape(s) -> str:
    """Data for the terminal: no escape sequences or controls (cleantext), no rich markup."""
    return _markup_escape(cleantext.terminal(s))


def _columns_env(env) -> int | None:
    try:
        n = int(env.get("COLUMNS", ""))
    except ValueError:
        return None
    return n if n > 0 else None


def make_console(ci: bool = False, no_color: bool = False, stderr: bool = False, env=None, file=None) -> Console:
    """The console every command prints through. `env` defaults to os.environ (tests pass one)."""
    env = os.environ if env is None else env
    no_color = bool(no_color or ci or env.get("NO_COLOR"))
    stream = file or (sys.stderr if stderr else sys.stdout)
    is_tty = (not ci) and hasattr(stream, "isatty") and stream.isatty()
    width = None
    if not is_tty:
        width = max(MIN_WIDTH, _columns_env(env) or DEFAULT_PIPED_WIDTH)
    return Console(
        file=stream,
        no_color=no_color,
        color_system=None if no_color else "auto",
        highlight=False,
        soft_wrap=False,
        force_terminal=False if not is_tty else None,
        width=width,
        emoji=False,
    )


def _resource(f: dict) -> str:
    r = f["resource"]
    return str(r.get("name") or r.get("id") or "?")


def _hipaa(f: dict) -> str:
    return f["hipaa"][0] + (f" +{len(f['hipaa']) - 1}" if len(f["hipaa"]) > 1 else "") if f["hipaa"] else ""


def _table(rows: list[dict], title: str, width: int) -> Table:
    """severity | status | rule over resource | HIPAA | observed; ids are never folded while
    the table is at least WIDE columns (their column is as wide as the longest, up to 50)."""
    longest = max([len(f["rule_id"]) for f in rows] + [len(_resource(f)) for f in rows] + [16])
    table = Table(title=title, show_lines=False, expand=False, pad_edge=False)
    table.add_column("severity", no_wrap=True, min_width=8)
    table.add_column("status", no_wrap=True, min_width=7)
    table.add_column("rule / resource", overflow="fold", min_width=min(longest, 50), max_width=min(longest, 50))
    table.add_column("HIPAA", no_wrap=True, min_width=13)
    table.add_column("observed", overflow="fold", min_width=24, ratio=1)
    for f in rows:
        who = Text(cleantext.terminal(f["rule_id"]))
        who.append("\n" + cleantext.terminal(_resource(f)), style="cyan")
        table.add_row(
            Text(f["severity"], style=SEV_STYLE[f["severity"]]),
            Text(f["status"], style=STYLE[f["status"]]),
            who,
            _hipaa(f),
            escape(observed(f)),
        )
    return table


def _stacked(console: Console, rows: list[dict], title: str) -> None:
    console.print(Text(cleantext.terminal(title), style="bold"))
    for f in rows:
        head = Text()
        head.append(f["severity"].upper(), style=SEV_STYLE[f["severity"]])
        head.append("  ")
        head.append(f["status"], style=STYLE[f["status"]])
        head.append("  ")
        head.append(f["rule_id"], style="bold")
        head.append(f"  {_hipaa(f)}")
        console.print(head, overflow="fold")
        console.print(
            Padding(Text(cleantext.terminal(_resource(f)), style="cyan"), (0, 0, 0, 2), expand=False), overflow="fold"
        )
        console.print(
            Padding(Text(cleantext.terminal(observed(f))), (0, 0, 0, 2), expand=False),
            overflow="fold",
        )


def print_report(
    report: dict, console: Console, max_rows: int = 60, show_pass: bool = False, reports_written: bool = False
) -> None:
    """`reports_written`: report files were written this run (the "see the reports" hint points there)."""
    scan, summary = report["scan"], report["summary"]
    shown = [f for f in report["findings"] if show_pass or f["status"] not in ("pass", "skip")]
    title = f"Enamel findings{' - ' + escape(scan['tenant']) if scan.get('tenant') else ''}"
    if shown:
        if console.width >= WIDE:
            console.print(_table(shown[:max_rows], title, console.width))
        else:
            _stacked(console, shown[:max_rows], title)
    if len(shown) > max_rows:
        more = len(shown) - max_rows
        console.print(
            f"... and {more} more (see the reports)"
            if reports_written
            else f"... and {more} more not shown (write them all with --output-dir DIR)"
        )
    counts = "  ".join(f"[{STYLE[s]}]{s} {n}[/]" for s, n in summary["by_status"].items())
    console.print(f"{summary['total']} findings: {counts}")
    if not scan.get("complete", True):
        console.print(
            "[magenta]incomplete scan:[/] "
            f"{len(report['errors'])} source error(s), {summary['by_status'].get('error', 0)} "
            "check(s) could not be evaluated ('error')"
        )
    for src, types in (report.get("unsupported_types") or {}).items():
        listed = ", ".join(f"{t} x{n}" for t, n in list(types.items())[:6]) + (" ..." if len(types) > 6 else "")
        console.print(
            f"[yellow]not judged[/] ({escape(src)}): {sum(types.values())} resource(s) of {len(types)} type(s) "
            f"Enamel does not understand: {escape(listed)}"
        )
    for n in report.get("notices") or []:
        console.print(f"[yellow]notice[/] ({escape(n['source'])}): {escape(n['message'])}")
    marked = [f for f in report["findings"] if f.get("baseline")]
    if marked:
        new = sum(f["baseline"] == "new" for f in marked)
        console.print(
            f"baseline: {new} new failing finding(s), {len(marked) - new} already in the baseline (not gating)"
        )
    if summary.get("expired_waivers"):
        console.print(f"[yellow]{summary['expired_waivers']} waiver(s) expired and no longer apply[/]")
