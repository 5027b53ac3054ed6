"""Terminal summary with rich: a findings table (problems first) and status counts."""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

STYLE = {"fail": "bold red", "unknown": "yellow", "error": "magenta", "waived": "cyan",
         "pass": "green", "skip": "dim"}


def print_report(report: dict, console: Console, max_rows: int = 60, show_pass: bool = False) -> None:
    scan, summary = report["scan"], report["summary"]
    shown = [f for f in report["findings"] if show_pass or f["status"] not in ("pass", "skip")]
    table = Table(title=f"Enamel findings{' - ' + scan['tenant'] if scan.get('tenant') else ''}",
                  show_lines=False, expand=False)
    table.add_column("severity", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("rule", no_wrap=True)
    table.add_column("resource", overflow="fold", max_width=40)
    table.add_column("HIPAA", no_wrap=True)
    table.add_column("observed", overflow="fold")
    for f in shown[:max_rows]:
        r = f["resource"]
        observed = f["message"].split(" (expected: ")[0]
        table.add_row(f["severity"], f"[{STYLE[f['status']]}]{f['status']}[/]", escape(f["rule_id"]),
                      escape(f"{r.get('name') or r['id']}"), f["hipaa"][0] + ("+" if len(f["hipaa"]) > 1 else ""),
                      escape(observed))
    if shown:
        console.print(table)
    if len(shown) > max_rows:
        console.print(f"... and {len(shown) - max_rows} more (see the reports)")
    counts = "  ".join(f"[{STYLE[s]}]{s} {n}[/]" for s, n in summary["by_status"].items())
    console.print(f"{summary['total']} findings: {counts}")
    if not scan.get("complete", True):
        console.print("[magenta]incomplete scan:[/] "
                      f"{len(report['errors'])} source error(s), {summary['by_status'].get('error', 0)} "
                      "check(s) could not be evaluated ('error')")
    marked = [f for f in report["findings"] if f.get("baseline")]
    if marked:
        new = sum(f["baseline"] == "new" for f in marked)
        console.print(f"baseline: {new} new failing finding(s), {len(marked) - new} already in the baseline (not gating)")
    if summary.get("expired_waivers"):
        console.print(f"[yellow]{summary['expired_waivers']} waiver(s) expired and no longer apply[/]")
