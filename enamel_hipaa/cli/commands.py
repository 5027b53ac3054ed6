"""The CLI's commands. Each returns an exit code; bad input raises InputError."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path


from enamel_hipaa.cli import options

from enamel_hipaa import __version__
from enamel_hipaa.workflows import crosscheck
from enamel_hipaa.core import paths
from enamel_hipaa.sources import Collection
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.report import EXIT_OK, now_iso
from enamel_hipaa.core.ruleset import load_rules
from enamel_hipaa.cli.run import _collect, run_scan


def cmd_scan(args) -> int:
    started = now_iso()
    config = options.scan_config(args)
    ruleset = config.selection.apply(load_rules(list(config.rule_dirs)))
    collection = _collect(config, ruleset, options.console(args, stderr=True))
    return run_scan(config, collection, ruleset, started)[0]


def cmd_collect(args) -> int:
    from enamel_hipaa.sources.resources_file import write

    started = now_iso()
    config = options.scan_config(args)
    ruleset = config.selection.apply(load_rules(list(config.rule_dirs)))
    collection = _collect(config, ruleset, options.console(args, stderr=True))
    write(args.output, collection, __version__, started)
    if collection.findings:  # checkov's verdicts are findings, not resources
        print(
            f"note: {len(collection.findings)} IaC findings are not stored in a resources file; "
            "run enamel scan --iac to report them",
            file=sys.stderr,
        )
    print(
        f"wrote {len(collection.resources)} resources and {len(collection.errors)} errors to {args.output}",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_demo(args) -> int:
    from enamel_hipaa.workflows.demo import collect_demo

    started = now_iso()
    config = options.scan_config(args)
    config = replace(
        config,
        waivers_file=config.waivers_file or str(paths.demo_dir() / "waivers.yaml"),
        tenant=config.tenant or "Bright Smile Dental (demo)",
    )
    ruleset = config.selection.apply(load_rules(list(config.rule_dirs)))
    collection = crosscheck.enrich(collect_demo(ruleset, options.console(args, stderr=True)))
    return run_scan(config, collection, ruleset, started)[0]


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
    console = options.console(args)
    if action == "list":
        ruleset = options.selection(args).apply(ruleset)
        if args.format == "json":
            rows = [
                {
                    "id": r.id,
                    "title": r.title,
                    "severity": r.severity,
                    "provider": r.provider,
                    "resource": r.resource,
                    "hipaa": list(r.hipaa),
                    "references": r.references,
                    "path": r.path,
                }
                for r in ruleset.rules
            ]
            sys.stdout.write(json.dumps(rows, indent=2) + "\n")
            return EXIT_OK
        from rich.table import Table

        table = Table(title=f"{len(ruleset.rules)} rules")
        for col in ("id", "severity", "resource"):
            table.add_column(col, no_wrap=True)
        for col in ("HIPAA", "title"):
            table.add_column(col, overflow="fold")
        for r in ruleset.rules:
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
    from enamel_hipaa.workflows.attest import migrate_file, write_starter

    if args.attest_command == "migrate":
        path = migrate_file(args.register, args.output)
        print(f"wrote version-2 register {path}" if path else f"{args.register} is already version 2", file=sys.stderr)
        return EXIT_OK
    if args.attest_command != "init":
        raise InputError("command line", "attest needs an action: init or migrate")
    ruleset = load_rules(args.rules)
    config = options.scan_config(args)
    collection = _collect(config, ruleset, options.console(args, stderr=True)) if config.sources else Collection()
    path = write_starter(args.output, collection, args.tenant, args.force)
    print(f"wrote starter attestation register {path}", file=sys.stderr)
    return EXIT_OK


def cmd_tenants(args) -> int:
    from enamel_hipaa.cli.tenants import cmd_tenants as run

    return run(args)


def cmd_drift(args) -> int:
    from enamel_hipaa.cli.history import cmd_drift as drift

    return drift(args, _collect, options.console(args, stderr=args.format != "table"))


def cmd_history(args) -> int:
    from enamel_hipaa.cli.history import cmd_history as hist

    return hist(args, options.console(args))


def cmd_report(args) -> int:
    from enamel_hipaa.cli.history import cmd_report as report

    return report(args, options.console(args, stderr=True))
