"""CLI parsers and commands for the scan history: `enamel drift`, `enamel history list`
and `enamel report weekly`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from enamel_hipaa.outputs import history, mailer
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.report import EXIT_FINDINGS, EXIT_OK

DRIFT_FORMATS = ("table", "json", "markdown")


def add_parsers(sub, add_sources, add_common, add_history, add_mail) -> None:
    d = sub.add_parser("drift", help="what changed between recorded scans, or plan vs live (--desired)")
    d.add_argument("--tenant", metavar="NAME", help="tenant whose scans to compare (default: the only one)")
    when = d.add_mutually_exclusive_group()
    when.add_argument(
        "--since", metavar="DURATION", help="compare with the last scan at or before this long ago (7d, 12h, 2w)"
    )
    when.add_argument("--from", dest="from_scan", metavar="SCAN", help="baseline scan id (or unique prefix)")
    d.add_argument("--to", dest="to_scan", metavar="SCAN", help="scan to compare (default: the latest)")
    d.add_argument(
        "--waiver-days",
        type=int,
        default=30,
        metavar="DAYS",
        help="list waivers expiring within this many days (default 30)",
    )
    d.add_argument(
        "--desired",
        action="store_true",
        help="plan-vs-live: plan/state resources from the sources below are the desired side, "
        "all other resources the live side",
    )
    d.add_argument("--rules", metavar="DIR", action="append", default=[], help="extra rules directory")
    d.add_argument("--format", choices=DRIFT_FORMATS, default="table")
    d.add_argument("--output", metavar="FILE", help="write json/markdown here (atomically) instead of stdout")
    d.add_argument(
        "--fail-on-drift",
        action="store_true",
        help="exit 1 on new failures (scan drift) or differing properties (plan drift)",
    )
    add_history(d, record_default=None)
    add_sources(d)

    h = sub.add_parser("history", help="list recorded scans")
    hsub = h.add_subparsers(dest="history_command", metavar="ACTION", parser_class=type(h))
    ls = hsub.add_parser("list", help="list recorded scans (oldest first)")
    ls.add_argument("--tenant", metavar="NAME")
    ls.add_argument("--all-tenants", action="store_true")
    ls.add_argument("--format", choices=("table", "json"), default="table")
    add_history(ls, record_default=None)

    r = sub.add_parser("report", help="scheduled reports")
    rsub = r.add_subparsers(dest="report_command", metavar="KIND", parser_class=type(r))
    w = rsub.add_parser("weekly", help="scan, record, and email the weekly drift report (or --out DIR)")
    add_sources(w)
    add_common(w)
    add_history(w, record_default=None)
    add_mail(w)
    m = w.add_argument_group("MSP: one email per tenant, to that tenant's recipients")
    m.add_argument("--tenants", metavar="FILE", help="tenants file: scan every tenant (its own sources) and email each")
    m.add_argument("--only", metavar="T1,T2", help="only these tenants")
    m.add_argument("--jobs", type=int, default=4, metavar="K", help="tenants scanned at once (default 4)")
    m.add_argument("--max-api-calls", type=int, metavar="N", help="cap on cloud API calls in flight, all tenants")


def _open_history(args):
    from enamel_hipaa.cli.options import history_config

    h = history_config(args)
    path, _ = history.resolve(h.path, h.retention_days, h.settings_file)
    if not path.exists():
        raise InputError(str(path), "no scan history here yet (record scans with enamel scan --record)")
    return history.connect(path)


def _emit(text: str, output: str | None) -> None:
    if output:
        from pathlib import Path

        from enamel_hipaa.outputs import atomic_write

        atomic_write(Path(output), text)
    else:
        sys.stdout.write(text)


def cmd_drift(args, collect, console) -> int:
    from enamel_hipaa.workflows import drift as drift_mod
    from enamel_hipaa.outputs.drift import print_drift, render_json, render_markdown
    from enamel_hipaa.core.ruleset import load_rules

    ruleset = load_rules(args.rules)
    if args.desired:
        if args.since or args.from_scan or args.to_scan:
            raise InputError("command line", "--desired compares sources, not recorded scans: drop --since/--from/--to")
        from enamel_hipaa.cli.options import scan_config

        collection = collect(scan_config(args), ruleset, console)
        result = drift_mod.plan_drift(collection.resources, ruleset.rules, collection.errors)
    else:
        conn = _open_history(args)
        try:
            tenant = history.tenant_of(conn, args.tenant)
            frm, to, how = drift_mod.pick_scans(conn, tenant, args.since, args.from_scan, args.to_scan)
            result = drift_mod.scan_drift(conn, frm, to, ruleset.rules, tenant, how, args.waiver_days)
        finally:
            conn.close()
    if args.format == "json":
        _emit(render_json(result), args.output)
    elif args.format == "markdown":
        _emit(render_markdown(result), args.output)
    else:
        print_drift(result, console)
    s = result["summary"]
    drifted = s.get("new", 0) + s.get("differs", 0)
    return EXIT_FINDINGS if args.fail_on_drift and drifted else EXIT_OK


def cmd_history(args, console) -> int:
    if args.history_command != "list":
        raise InputError("command line", "history needs an action: list")
    conn = _open_history(args)
    try:
        rows = history.scans(conn, args.tenant, any_tenant=args.all_tenants or args.tenant is None)
    finally:
        conn.close()
    if args.format == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_OK
    from rich.table import Table

    table = Table(title=f"{len(rows)} recorded scans")
    for col in ("id", "tenant", "started", "complete", "open problems"):
        table.add_column(col)
    for s in rows:
        table.add_row(
            s["id"],
            s["tenant"] or "",
            s["started_at"],
            "yes" if s["complete"] else "no",
            str(sum(s["summary"]["by_severity"].values())),
        )
    console.print(table)
    return EXIT_OK


def smtp_and_sender(args):
    """(SMTP settings or None with --out, sender): a bad TLS policy is refused before scanning."""
    from enamel_hipaa.cli.options import smtp_options
    from enamel_hipaa.core.settings import load_settings

    conf = load_settings(args.config).get("smtp", {})
    smtp = None if args.out else mailer.resolve(smtp_options(args), conf)
    sender = (
        smtp.sender
        if smtp
        else (args.smtp_from or os.environ.get("ENAMEL_SMTP_FROM") or conf.get("from") or "enamel@localhost")
    )
    return smtp, sender


def cmd_report(args, console) -> int:
    """Scan exactly like `enamel scan --record`, then compose and send (or write) the email."""
    if args.report_command != "weekly":
        raise InputError("command line", "report needs a kind: weekly")
    from enamel_hipaa.cli import options
    from enamel_hipaa.workflows.weekly import compose, eml_name

    if args.tenants:
        return _weekly_tenants(args, console)
    if not args.email:
        raise InputError("command line", "report weekly needs --email TO[,TO] (or --tenants FILE)")
    to = mailer.recipients(args.email)
    smtp, sender = smtp_and_sender(args)
    from enamel_hipaa.cli.run import _collect, run_scan
    from enamel_hipaa.core.report import now_iso
    from enamel_hipaa.core.ruleset import load_rules

    started = now_iso()
    config = options.scan_config(args, record=True)  # next week's drift needs this week's scan
    ruleset = config.selection.apply(load_rules(list(config.rule_dirs)))
    _, scan_id = run_scan(config, _collect(config, ruleset, console), ruleset, started)
    path, _ = history.resolve(config.history.path, config.history.retention_days, config.history.settings_file)
    conn = history.connect(path)
    try:
        from enamel_hipaa.outputs import RenderContext

        report = history.load_report(conn, scan_id)
        ctx = RenderContext(rules=ruleset.by_id(), catalogue=ruleset.catalogue)
        msg, _ = compose(conn, report, ctx, ruleset.rules, sender, to)
    finally:
        conn.close()
    if args.out:
        path = mailer.write_eml(msg, args.out, eml_name(report))
        console.print(f"wrote {path}", markup=False)
    else:
        mailer.send(msg, smtp)
        console.print(f"sent the weekly report to {', '.join(to)} via {smtp.where}", markup=False)
    return EXIT_OK


def _weekly_tenants(args, console) -> int:
    from enamel_hipaa.cli import options
    from enamel_hipaa.cli.sources import sources_from_args
    from enamel_hipaa.workflows.tenants import make_run_options
    from enamel_hipaa.workflows.tenants_weekly import weekly_per_tenant

    if args.email:
        raise InputError(
            "command line",
            "--email and --tenants exclude each other: each tenant's recipients come from the tenants file",
        )
    if sources_from_args(args):
        raise InputError(
            "command line", "--tenants takes each tenant's sources from the tenants file: drop the source options"
        )
    smtp, sender = smtp_and_sender(args)
    hist = options.history_config(args, record=True)  # next week's drift needs this week's scans

    def run_options(scratch):
        return make_run_options(
            Path(args.output_dir) if args.output_dir else scratch,
            formats=[f for f in args.format if f != "table"],
            max_api_calls=args.max_api_calls,
            history=hist,
        )

    only = [n.strip() for n in args.only.split(",")] if args.only else None
    return weekly_per_tenant(args.tenants, only, args.rules, run_options, args.jobs, smtp, sender, args.out, console)
