"""The CLI's commands. Each returns an exit code; bad input raises InputError."""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from . import __version__, paths
from .collectors import Collection, modules
from .engine import apply_waivers, evaluate
from .errors import InputError
from .params import load_params
from .render import FORMATS, RenderContext, render, write_reports
from .render.terminal import print_report
from .report import EXIT_OK, build, exit_code, now_iso
from .ruleset import RuleSet, load_rules
from .waivers import load_waivers


@dataclass
class ScanContext:
    """What collectors get: nothing global, everything they need."""
    type_schemas: dict
    tenant: str | None = None
    console: Console | None = None
    progress: object = None
    extra: dict = field(default_factory=dict)


def _console(args, stderr: bool = False) -> Console:
    ci = getattr(args, "ci", False)
    console = Console(stderr=stderr, no_color=ci, highlight=False, soft_wrap=False,
                      force_terminal=None if not ci else False)
    if not console.is_terminal:  # logs and CI: wide enough that tables stay readable
        console.width = max(console.width, 160)
    return console


def _collect(args, ruleset: RuleSet, console: Console) -> Collection:
    ctx = ScanContext(type_schemas=ruleset.type_schemas, tenant=getattr(args, "tenant", None), console=console)
    chosen = [(name, m) for name, m in modules().items() if m.wanted(args)]
    if not chosen:
        raise InputError("command line", "no source given (e.g. --resources FILE; see enamel scan --help)")
    total = Collection()
    show_progress = console.is_terminal and not getattr(args, "ci", False) and not getattr(args, "quiet", False)
    if show_progress:
        from rich.progress import Progress
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("collecting", total=len(chosen))
            ctx.progress = progress
            for name, mod in chosen:
                progress.update(task, description=f"collecting {name}")
                total.extend(mod.collect(args, ctx))
                progress.advance(task)
    else:
        for _, mod in chosen:
            total.extend(mod.collect(args, ctx))
    return total


def run_scan(args, collection: Collection, ruleset: RuleSet, started_at: str, console: Console) -> int:
    params = load_params(args.params, ruleset.rules) if args.params else None
    waivers = load_waivers(args.waivers, {r.id for r in ruleset.rules}) if args.waivers else []
    findings = evaluate(ruleset.rules, collection.resources, params, collection.errors)
    findings.extend(collection.findings)
    apply_waivers(findings, waivers)
    report = build(findings, collection.errors, started_at=started_at, tenant=args.tenant,
                   sources=collection.sources, rules_digest=ruleset.digest, fail_on=args.fail_on,
                   waivers=waivers)
    if getattr(args, "record", False):
        from .history import record_report
        record_report(args, report, collection.resources)
    ctx = RenderContext(rules=ruleset.by_id(), catalogue=ruleset.catalogue)
    file_formats = [f for f in args.format if f != "table"]
    to_stdout = False
    if file_formats:
        if args.output_dir:
            written = write_reports(report, file_formats, args.output_dir, ctx)
            if not args.quiet:
                Console(stderr=True, no_color=args.ci, highlight=False).print(
                    "wrote " + ", ".join(str(p) for p in written))
        elif len(file_formats) == 1:
            sys.stdout.write(render(file_formats[0], report, ctx))
            to_stdout = True
        else:
            raise InputError("command line", "several file formats need --output-dir DIR")
    if "table" in args.format and not args.quiet:
        print_report(report, _console(args, stderr=to_stdout), show_pass=args.show_pass)
    fail_on_error = args.fail_on_error or args.ci
    return exit_code(report, args.fail_on, fail_on_error, args.count_unknown)


def cmd_scan(args) -> int:
    started = now_iso()
    ruleset = load_rules(args.rules)
    console = _console(args, stderr=True)
    collection = _collect(args, ruleset, console)
    return run_scan(args, collection, ruleset, started, console)


def cmd_collect(args) -> int:
    from .collectors.resources_file import write
    started = now_iso()
    ruleset = load_rules(getattr(args, "rules", []))
    collection = _collect(args, ruleset, _console(args, stderr=True))
    write(args.output, collection, __version__, started)
    print(f"wrote {len(collection.resources)} resources and {len(collection.errors)} errors to {args.output}",
          file=sys.stderr)
    return EXIT_OK


def cmd_demo(args) -> int:
    from .demo import collect_demo
    started = now_iso()
    ruleset = load_rules(args.rules)
    console = _console(args, stderr=True)
    collection = collect_demo(ruleset, console)
    if args.waivers is None:
        args.waivers = str(paths.demo_dir() / "waivers.yaml")
    if args.tenant is None:
        args.tenant = "Bright Smile Dental (demo)"
    return run_scan(args, collection, ruleset, started, console)


def cmd_rules(args) -> int:
    action = args.rules_command
    if action is None:
        raise InputError("command line", "rules needs an action: list, show ID or validate [DIR]")
    if action == "validate":
        if args.dir:
            ruleset = load_rules([args.dir], replace=True)
        else:
            ruleset = load_rules()
        print(f"{len(ruleset.rules)} rules valid ({ruleset.digest[:19]})")
        return EXIT_OK
    ruleset = load_rules(args.rules)
    console = _console(args)
    if action == "list":
        from rich.table import Table
        table = Table(title=f"{len(ruleset.rules)} rules")
        for col in ("id", "severity", "resource"):
            table.add_column(col, no_wrap=True)
        for col in ("HIPAA", "title"):
            table.add_column(col, overflow="fold")
        for r in ruleset.rules:
            if args.provider and r.provider != args.provider:
                continue
            table.add_row(r.id, r.severity, r.resource, " ".join(r.hipaa), r.title)
        console.print(table)
        return EXIT_OK
    rule = ruleset.by_id().get(args.id)
    if rule is None:
        raise InputError("command line", f"no rule with id {args.id!r} (see enamel rules list)")
    console.print(Path(rule.path).read_text(encoding="utf-8"), markup=False)
    for c in rule.hipaa:
        entry = ruleset.catalogue[c]
        console.print(f"{c}: {entry['title']} ({entry['safeguard']} safeguard, {entry['family']})", markup=False)
    return EXIT_OK


def cmd_drift(args) -> int:
    from .history_cli import cmd_drift as drift
    return drift(args, _collect, _console(args, stderr=args.format != "table"))


def cmd_history(args) -> int:
    from .history_cli import cmd_history as hist
    return hist(args, _console(args))


def cmd_report(args) -> int:
    from .history_cli import cmd_report as report
    return report(args, cmd_scan, _console(args, stderr=True))
