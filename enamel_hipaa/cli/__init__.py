"""The `enamel` command: wiring only (parse args -> collect -> evaluate -> render).

Exit codes (contract): 0 nothing at or above --fail-on; 1 findings at or above it;
2 usage or bad input (one line naming file and place); 3 incomplete scan with
--fail-on-error; 4 internal error (a bug: please report it)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from enamel_hipaa import __version__
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.outputs.history import add_arguments as add_history_arguments
from enamel_hipaa.cli.history import add_parsers as add_history_parsers
from enamel_hipaa.core.model import SEVERITIES
from enamel_hipaa.core.report import EXIT_BAD_INPUT

EXIT_INTERNAL = 4
FILE_FORMATS = ("json", "sarif", "junit", "markdown", "csv", "html")
FORMAT_CHOICES = ("table",) + FILE_FORMATS + ("all",)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse prints usage too; keep it short)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _formats(text: str) -> list[str]:
    out: list[str] = []
    for part in text.split(","):
        part = part.strip().lower()
        if part == "md":
            part = "markdown"
        if part not in FORMAT_CHOICES:
            raise argparse.ArgumentTypeError(f"unknown format {part!r} (choose from {', '.join(FORMAT_CHOICES)})")
        for f in (("table",) + FILE_FORMATS if part == "all" else (part,)):
            if f not in out:
                out.append(f)
    return out


def _add_common(p: argparse.ArgumentParser, default_formats: str = "table", default_out: str | None = None):
    g = p.add_argument_group("rules and policy")
    g.add_argument("--rules", metavar="DIR", action="append", default=[],
                   help="extra rules directory (<provider>/<id>.yaml); a rule with a built-in id replaces it")
    g.add_argument("--params", metavar="FILE", help="parameter overrides (YAML: params:, rules:)")
    g.add_argument("--waivers", metavar="FILE", help="waivers file (YAML)")
    g.add_argument("--tenant", metavar="NAME", help="tenant (practice) name shown in reports")
    o = p.add_argument_group("output")
    o.add_argument("--format", type=_formats, default=_formats(default_formats),
                   help=f"comma-separated: {', '.join(FORMAT_CHOICES)} (default {default_formats})")
    o.add_argument("--output-dir", metavar="DIR", default=default_out,
                   help="write file formats here, each atomically")
    o.add_argument("--fail-on", choices=SEVERITIES + ("none",), default="high",
                   help="exit 1 when a fail/unknown finding is at or above this severity (default high)")
    o.add_argument("--fail-on-error", action="store_true",
                   help="exit 3 when the scan is incomplete (a source failed)")
    o.add_argument("--no-fail-on-unknown", dest="count_unknown", action="store_false",
                   help="do not count 'unknown' findings towards --fail-on")
    o.add_argument("--ci", action="store_true",
                   help="CI mode: no colours or progress bars, --fail-on-error on, GitHub annotations "
                        "when GITHUB_ACTIONS is set")
    o.add_argument("--baseline", metavar="FILE",
                   help="fail only on findings that are not in this baseline (see --write-baseline)")
    o.add_argument("--write-baseline", metavar="FILE",
                   help="record this scan's fail/unknown findings as a baseline (written atomically)")
    o.add_argument("--show-pass", action="store_true", help="list passing checks in the terminal table")
    o.add_argument("-q", "--quiet", action="store_true", help="no terminal table")


def _add_sources(p: argparse.ArgumentParser):
    from enamel_hipaa.sources import modules
    g = p.add_argument_group("sources")
    for mod in modules().values():
        mod.add_arguments(g)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="enamel", description="HIPAA auditor for dental X-ray archives.")
    p.add_argument("--version", action="version", version=f"enamel {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    scan = sub.add_parser("scan", help="collect from sources, evaluate the rules, report")
    _add_sources(scan)
    _add_common(scan)
    add_history_arguments(scan)

    collect = sub.add_parser("collect", help="collect normalised resources into a file (no evaluation)")
    _add_sources(collect)
    collect.add_argument("-o", "--output", metavar="FILE", required=True, help="resources file to write (JSON)")

    demo = sub.add_parser("demo", help="scan the bundled example practice (no cloud account needed)")
    _add_common(demo, default_formats="all", default_out="reports/out")

    tenants = sub.add_parser("tenants", help="scan many tenants (an MSP's practices) and roll them up")
    tsub = tenants.add_subparsers(dest="tenants_command", metavar="ACTION", parser_class=_Parser)
    ts = tsub.add_parser("scan", help="scan every tenant of a tenants file, in parallel")
    ts.add_argument("file", help="tenants file (YAML); a single practice's enamel.yaml has one tenant")
    ts.add_argument("--only", metavar="T1,T2", help="only these tenants")
    ts.add_argument("--shard", metavar="I/N", help="this job's slice: tenants whose stable hash mod N is I (0-based)")
    ts.add_argument("--output-dir", metavar="DIR", default="reports/tenants", help="one directory per tenant + roll-up")
    ts.add_argument("--jobs", type=int, default=4, metavar="K", help="tenants scanned at once (default 4)")
    ts.add_argument("--max-api-calls", type=int, metavar="N",
                    help="cap on cloud API calls in flight at once, across all tenants (default: no cap)")
    ts.add_argument("--format", type=_formats, default=_formats("json,html,markdown,csv"),
                    help="per-tenant report formats (JSON is always written)")
    ts.add_argument("--rules", metavar="DIR", action="append", default=[])
    ts.add_argument("--fail-on-error", action="store_true", help="exit 3 when a tenant is incomplete")
    ts.add_argument("--ci", action="store_true", help="CI mode: no colours, --fail-on-error on")
    ts.add_argument("-q", "--quiet", action="store_true")
    add_history_arguments(ts)  # --record/--history: record each tenant's scan, trend in the roll-up
    tm = tsub.add_parser("merge", help="merge shard output directories into one roll-up")
    tm.add_argument("dirs", nargs="+", metavar="DIR")
    tm.add_argument("--output-dir", metavar="DIR", required=True)
    tm.add_argument("--rules", metavar="DIR", action="append", default=[])

    attest = sub.add_parser("attest", help="attestation register tools (administrative safeguards)")
    asub = attest.add_subparsers(dest="attest_command", metavar="ACTION", parser_class=_Parser)
    init = asub.add_parser("init", help="write a commented starter register from what a scan finds")
    _add_sources(init)
    init.add_argument("-o", "--output", metavar="FILE", required=True, help="register to write (YAML)")
    init.add_argument("--force", action="store_true", help="replace an existing file")
    init.add_argument("--tenant", metavar="NAME", help="practice name to put in the register")
    init.add_argument("--rules", metavar="DIR", action="append", default=[])

    rules = sub.add_parser("rules", help="list, show or validate rules")
    rsub = rules.add_subparsers(dest="rules_command", metavar="ACTION", parser_class=_Parser)
    ls = rsub.add_parser("list", help="list rules")
    ls.add_argument("--rules", metavar="DIR", action="append", default=[])
    ls.add_argument("--provider", help="only this provider (aws, azure, onprem, attestation, ...)")
    show = rsub.add_parser("show", help="show one rule")
    show.add_argument("id")
    show.add_argument("--rules", metavar="DIR", action="append", default=[])
    val = rsub.add_parser("validate", help="validate a rules directory (default: the built-in rules)")
    val.add_argument("dir", nargs="?")
    add_history_parsers(sub, _add_sources, _add_common)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        from enamel_hipaa.cli import commands
        return getattr(commands, f"cmd_{args.command}")(args)
    except InputError as exc:
        print(f"enamel: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("enamel: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, unless debugging
        if os.environ.get("ENAMEL_DEBUG"):
            raise
        print(f"enamel: internal error: {type(exc).__name__}: {exc} (set ENAMEL_DEBUG=1 for a traceback)",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
