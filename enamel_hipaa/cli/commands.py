"""The CLI's commands. Each returns an exit code; bad input raises InputError."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from rich.console import Console

from enamel_hipaa import __version__
from enamel_hipaa.workflows import baseline, crosscheck
from enamel_hipaa.core import paths
from enamel_hipaa.sources import Collection, modules
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.outputs import RenderContext, github, render, write_reports
from enamel_hipaa.outputs.terminal import print_report
from enamel_hipaa.core.report import EXIT_OK, exit_code, now_iso
from enamel_hipaa.core.ruleset import RuleSet, load_rules
from enamel_hipaa.workflows.scan import collect, make_report


def _console(args, stderr: bool = False) -> Console:
    ci = getattr(args, "ci", False)
    console = Console(stderr=stderr, no_color=ci, highlight=False, soft_wrap=False,
                      force_terminal=None if not ci else False)
    if not console.is_terminal:  # logs and CI: wide enough that tables stay readable
        console.width = max(console.width, 160)
    return console


def _collect(args, ruleset: RuleSet, console: Console) -> Collection:
    show_progress = console.is_terminal and not getattr(args, "ci", False) and not getattr(args, "quiet", False)
    return collect(args, ruleset, console, show_progress=show_progress)


def run_scan(args, collection: Collection, ruleset: RuleSet, started_at: str, console: Console) -> int:
    report = make_report(collection, ruleset, params_file=args.params, waivers_file=args.waivers,
                         tenant=args.tenant, started_at=started_at, fail_on=args.fail_on)
    baseline.use(args, report)
    if getattr(args, "record", False):
        from enamel_hipaa.outputs.history import record_report
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
    if args.ci and os.environ.get("GITHUB_ACTIONS"):
        (sys.stderr if to_stdout else sys.stdout).write(github.render(report))
    fail_on_error = args.fail_on_error or args.ci
    return exit_code(report, args.fail_on, fail_on_error, args.count_unknown)


def cmd_scan(args) -> int:
    started = now_iso()
    ruleset = load_rules(args.rules)
    console = _console(args, stderr=True)
    collection = _collect(args, ruleset, console)
    return run_scan(args, collection, ruleset, started, console)


def cmd_collect(args) -> int:
    from enamel_hipaa.sources.resources_file import write
    started = now_iso()
    ruleset = load_rules(getattr(args, "rules", []))
    collection = _collect(args, ruleset, _console(args, stderr=True))
    write(args.output, collection, __version__, started)
    if collection.findings:  # checkov's verdicts are findings, not resources
        print(f"note: {len(collection.findings)} IaC findings are not stored in a resources file; "
              "run enamel scan --iac to report them", file=sys.stderr)
    print(f"wrote {len(collection.resources)} resources and {len(collection.errors)} errors to {args.output}",
          file=sys.stderr)
    return EXIT_OK


def cmd_demo(args) -> int:
    from enamel_hipaa.workflows.demo import collect_demo
    started = now_iso()
    ruleset = load_rules(args.rules)
    console = _console(args, stderr=True)
    collection = crosscheck.enrich(collect_demo(ruleset, console))
    if args.waivers is None:
        args.waivers = str(paths.demo_dir() / "waivers.yaml")
    if args.tenant is None:
        args.tenant = "Bright Smile Dental (demo)"
    return run_scan(args, collection, ruleset, started, console)


def cmd_tenants(args) -> int:
    from enamel_hipaa.outputs import rollup
    from enamel_hipaa.workflows import tenants
    action = args.tenants_command
    if action is None:
        raise InputError("command line", "tenants needs an action: scan FILE or merge DIR...")
    ruleset = load_rules(args.rules)
    out = Path(args.output_dir)
    if action == "merge":
        written = rollup.write_rollup(rollup.build_rollup(tenants.read_status_dirs(args.dirs), ruleset.catalogue), out)
        print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
        return EXIT_OK
    chosen = tenants.select(tenants.load_tenants(args.file),
                            only=[n.strip() for n in args.only.split(",")] if args.only else None,
                            shard=tenants.parse_shard(args.shard) if args.shard else None)
    console = _console(args, stderr=True)
    opts = tenants.run_options(args, out)

    def done(r):
        if not args.quiet:
            state = "ok" if r.complete else f"INCOMPLETE: {r.error or 'a source failed'}"
            console.print(f"{r.tenant.name}: {state} (exit {r.exit_code})", markup=False)
    results = tenants.scan_all(chosen, ruleset, opts, args.jobs, on_done=done)
    scanned = {r.tenant.name for r in results}
    roll = rollup.build_rollup(tenants.read_status_dirs([str(out)], scanned), ruleset.catalogue) if results else None
    if roll is not None:
        rollup.write_rollup(roll, out)
        if not args.quiet:
            console.print(f"{len(results)} tenants scanned; roll-up in {out}/rollup.html", markup=False)
    codes = [r.exit_code for r in results]
    return 3 if 3 in codes else (1 if 1 in codes else EXIT_OK)


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


def cmd_attest(args) -> int:
    from enamel_hipaa.workflows.attest import write_starter
    if args.attest_command != "init":
        raise InputError("command line", "attest needs an action: init")
    ruleset = load_rules(args.rules)
    scanned = any(m.wanted(args) for m in modules().values())
    collection = _collect(args, ruleset, _console(args, stderr=True)) if scanned else Collection()
    path = write_starter(args.output, collection, args.tenant, args.force)
    print(f"wrote starter attestation register {path}", file=sys.stderr)
    return EXIT_OK


def cmd_drift(args) -> int:
    from enamel_hipaa.cli.history import cmd_drift as drift
    return drift(args, _collect, _console(args, stderr=args.format != "table"))


def cmd_history(args) -> int:
    from enamel_hipaa.cli.history import cmd_history as hist
    return hist(args, _console(args))


def cmd_report(args) -> int:
    from enamel_hipaa.cli.history import cmd_report as report
    return report(args, cmd_scan, _console(args, stderr=True))
