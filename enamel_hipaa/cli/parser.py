"""The command line's grammar: every command and option, and nothing else (commands turn
the parsed options into typed configs and call a workflow)."""

from __future__ import annotations

import argparse

from enamel_hipaa import __version__
from enamel_hipaa.cli.history import add_parsers as add_history_parsers
from enamel_hipaa.cli.sources import add_source_arguments
from enamel_hipaa.core.model import SEVERITIES
from enamel_hipaa.core.report import EXIT_BAD_INPUT
from enamel_hipaa.outputs import FORMATS
from enamel_hipaa.outputs.history import DEFAULT_RETENTION_DAYS

FILE_FORMATS = tuple(FORMATS)
FORMAT_CHOICES = ("table",) + FILE_FORMATS + ("all",)


def add_history_arguments(parser, record_default: bool | None = False) -> None:
    """History options. `record_default=None` means the command always records."""
    g = parser.add_argument_group("history")
    if record_default is not None:
        g.add_argument(
            "--record", action="store_true", default=record_default, help="record this scan in the history database"
        )
    g.add_argument(
        "--history",
        metavar="PATH|URL",
        help="history database: a SQLite path or a postgresql:// URL (credentials from PG* variables, "
        "~/.pgpass or a service file; never in the URL) (default: env ENAMEL_HISTORY, config "
        "history.path, else the user state directory)",
    )
    g.add_argument(
        "--history-retention-days",
        metavar="DAYS",
        type=int,
        help=f"prune scans older than this when recording (default {DEFAULT_RETENTION_DAYS})",
    )
    g.add_argument(
        "--config",
        metavar="FILE",
        help="settings file (default: env ENAMEL_CONFIG, else <user config dir>/enamel/config.yaml)",
    )


def add_mail_arguments(parser) -> None:
    g = parser.add_argument_group("email (SMTP; password only from env ENAMEL_SMTP_PASSWORD)")
    g.add_argument(
        "--email",
        metavar="TO[,TO]",
        help="recipients, comma-separated (required, except with --tenants: each tenant's own list)",
    )
    g.add_argument("--out", metavar="DIR", help="write the email as a .eml file here instead of sending it")
    g.add_argument("--smtp-host", help="SMTP server (env ENAMEL_SMTP_HOST, config smtp.host)")
    g.add_argument("--smtp-port", type=int, help="port (env ENAMEL_SMTP_PORT; default 587 STARTTLS, 465 implicit)")
    g.add_argument("--smtp-user", help="login user (env ENAMEL_SMTP_USER)")
    g.add_argument("--smtp-from", help="sender address (env ENAMEL_SMTP_FROM)")
    g.add_argument("--smtp-tls", choices=("starttls", "implicit"), help="TLS mode (default starttls)")
    g.add_argument("--smtp-ca-file", metavar="FILE", help="CA bundle to verify the server (default: system store)")
    g.add_argument(
        "--smtp-insecure",
        action="store_true",
        help="allow a plain connection without TLS (refused unless the host is loopback)",
    )


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse prints usage too; keep it short)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _csv(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip())


def _severities(text: str) -> tuple[str, ...]:
    out = _csv(text.lower())
    bad = [s for s in out if s not in SEVERITIES]
    if bad or not out:
        raise argparse.ArgumentTypeError(
            f"unknown severity {', '.join(bad) or text!r} (choose from {', '.join(SEVERITIES)})"
        )
    return out


def _formats(text: str) -> list[str]:
    out: list[str] = []
    for part in text.split(","):
        part = part.strip().lower()
        if part == "md":
            part = "markdown"
        if part not in FORMAT_CHOICES:
            raise argparse.ArgumentTypeError(f"unknown format {part!r} (choose from {', '.join(FORMAT_CHOICES)})")
        for f in ("table",) + FILE_FORMATS if part == "all" else (part,):
            if f not in out:
                out.append(f)
    return out


def _add_common(p: argparse.ArgumentParser, default_formats: str = "table", default_out: str | None = None):
    g = p.add_argument_group("rules and policy")
    g.add_argument(
        "--rules",
        metavar="DIR",
        action="append",
        default=[],
        help="extra rules directory (<provider>/<id>.yaml); a rule with a built-in id replaces it",
    )
    g.add_argument(
        "--rule",
        dest="select_rules",
        metavar="GLOB",
        action="append",
        default=[],
        help="run only rules whose id matches (repeatable; e.g. 's3-*')",
    )
    g.add_argument(
        "--skip-rule", metavar="GLOB", action="append", default=[], help="do not run these rules (repeatable)"
    )
    g.add_argument(
        "--severity",
        metavar="LIST",
        type=_severities,
        default=(),
        help="only rules of these severities, comma-separated (e.g. critical,high)",
    )
    g.add_argument(
        "--provider",
        dest="select_providers",
        metavar="LIST",
        type=_csv,
        default=(),
        help="only rules of these providers (aws, azure, onprem, attestation), comma-separated",
    )
    g.add_argument(
        "--hipaa",
        metavar="PARAGRAPH",
        action="append",
        default=[],
        help="only rules citing this paragraph or its subparagraphs (e.g. 164.312(a)); repeatable",
    )
    g.add_argument("--params", metavar="FILE", help="parameter overrides (YAML: params:, rules:)")
    g.add_argument("--waivers", metavar="FILE", help="waivers file (YAML)")
    g.add_argument("--tenant", metavar="NAME", help="tenant (practice) name shown in reports")
    g.add_argument(
        "--project",
        metavar="FILE",
        help="project configuration: a tenants file with one practice (default: ./enamel.yaml when no "
        "source option is given); its sources, selection, params, waivers and fail_on apply, and "
        "command-line options override them",
    )
    o = p.add_argument_group("output")
    o.add_argument(
        "--format",
        type=_formats,
        default=_formats(default_formats),
        help=f"comma-separated: {', '.join(FORMAT_CHOICES)} (default {default_formats})",
    )
    o.add_argument("--output-dir", metavar="DIR", default=default_out, help="write file formats here, each atomically")
    o.add_argument(
        "--fail-on",
        choices=SEVERITIES + ("none",),
        default=None,
        help="exit 1 when a fail/unknown finding is at or above this severity (default high)",
    )
    o.add_argument(
        "--fail-on-error",
        action="store_true",
        help="exit 3 when the scan is incomplete (the default since 0.2; kept for old scripts)",
    )
    o.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="do not exit 3 when the scan is incomplete: exit by findings only (the pre-0.2 behaviour)",
    )
    o.add_argument(
        "--no-fail-on-unknown",
        dest="count_unknown",
        action="store_false",
        help="do not count 'unknown' findings towards --fail-on",
    )
    o.add_argument(
        "--ci",
        action="store_true",
        help="CI mode: no colours or progress bars, GitHub annotations when GITHUB_ACTIONS is set",
    )
    o.add_argument(
        "--baseline", metavar="FILE", help="fail only on findings that are not in this baseline (see --write-baseline)"
    )
    o.add_argument(
        "--write-baseline",
        metavar="FILE",
        help="record this scan's fail/unknown findings as a baseline (written atomically)",
    )
    o.add_argument("--show-pass", action="store_true", help="list passing checks in the terminal table")
    o.add_argument("--no-color", action="store_true", help="no colours (also when NO_COLOR is set)")
    o.add_argument(
        "--security-hub",
        action="store_true",
        help="also send the findings to AWS Security Hub (ASFF, BatchImportFindings; standard credentials)",
    )
    o.add_argument("--security-hub-region", metavar="REGION", help="Security Hub region (default: the session's)")
    o.add_argument(
        "--webhook-env",
        metavar="NAME",
        help="name of the environment variable holding a Slack/Teams webhook URL: new critical/high "
        "problems are posted there (the URL is a secret: never on the command line)",
    )
    o.add_argument("-q", "--quiet", action="store_true", help="no terminal table")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="enamel", description="HIPAA auditor for dental X-ray archives.")
    p.add_argument("--version", action="version", version=f"enamel {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    scan = sub.add_parser("scan", help="collect from sources, evaluate the rules, report")
    add_source_arguments(scan)
    _add_common(scan)
    add_history_arguments(scan)

    collect = sub.add_parser("collect", help="collect normalised resources into a file (no evaluation)")
    add_source_arguments(collect)
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
    ts.add_argument(
        "--max-api-calls",
        type=int,
        metavar="N",
        help="cap on cloud API calls in flight at once, across all tenants (default: no cap)",
    )
    ts.add_argument(
        "--format",
        type=_formats,
        default=_formats("json,html,markdown,csv"),
        help="per-tenant report formats (JSON is always written)",
    )
    ts.add_argument("--rules", metavar="DIR", action="append", default=[])
    ts.add_argument(
        "--fail-on-error", action="store_true", help="exit 3 when a tenant is incomplete (the default since 0.2)"
    )
    ts.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="do not exit 3 when a tenant is incomplete (the pre-0.2 behaviour)",
    )
    ts.add_argument("--ci", action="store_true", help="CI mode: no colours")
    ts.add_argument("-q", "--quiet", action="store_true")
    add_history_arguments(ts)  # --record/--history: record each tenant's scan, trend in the roll-up
    td = tsub.add_parser(
        "discover",
        help="write or update tenant entries from AWS Organizations or Azure "
        "Lighthouse (read-only; shows a diff, writes only with --write)",
    )
    td.add_argument("file", help="tenants file to create or update (hand edits are kept)")
    src = td.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--aws-organization", action="store_true", help="accounts of the organization (management account)"
    )
    src.add_argument("--azure-lighthouse", action="store_true", help="subscriptions the identity sees (Lighthouse)")
    td.add_argument(
        "--group-by",
        metavar="ou|tag:KEY|management-group",
        help="how accounts/subscriptions group into practices (default: ou for AWS, tag:practice for Azure)",
    )
    td.add_argument(
        "--role-name",
        metavar="PATTERN",
        default="EnamelAudit",
        help="audit role name in each account; fields {tenant} {TENANT} {account} {group}",
    )
    td.add_argument(
        "--external-id-env",
        metavar="PATTERN",
        default="ENAMEL_EXTID_{TENANT}",
        help="NAME of the environment variable holding each tenant's ExternalId (a pattern)",
    )
    td.add_argument("--regions", metavar="R1,R2", type=_csv, default=(), help="regions for each AWS account")
    td.add_argument("--profile", metavar="P", help="AWS profile of the management account")
    td.add_argument("--identity-tenant-id", metavar="ID", help="Azure: the MSP's Entra tenant id")
    td.add_argument("--identity-client-id", metavar="ID", help="Azure: the MSP's app (client) id")
    td.add_argument("--client-secret-env", metavar="NAME", help="Azure: env var NAME holding the app's secret")
    td.add_argument("--write", action="store_true", help="write the file (default: print the diff only)")
    tm = tsub.add_parser("merge", help="merge shard output directories into one roll-up")
    tm.add_argument("dirs", nargs="+", metavar="DIR")
    tm.add_argument("--output-dir", metavar="DIR", required=True)
    tm.add_argument("--rules", metavar="DIR", action="append", default=[])

    attest = sub.add_parser("attest", help="attestation register tools (administrative safeguards)")
    asub = attest.add_subparsers(dest="attest_command", metavar="ACTION", parser_class=_Parser)
    init = asub.add_parser("init", help="write a commented starter register from what a scan finds")
    add_source_arguments(init)
    init.add_argument("-o", "--output", metavar="FILE", required=True, help="register to write (YAML)")
    init.add_argument("--force", action="store_true", help="replace an existing file")
    init.add_argument("--tenant", metavar="NAME", help="practice name to put in the register")
    init.add_argument("--rules", metavar="DIR", action="append", default=[])
    mig = asub.add_parser("migrate", help="rewrite a version-1 register as version 2 (new sections unfilled)")
    mig.add_argument("register", help="the register (YAML) to migrate")
    mig.add_argument("-o", "--output", metavar="FILE", help="write here instead of in place (atomically)")

    rules = sub.add_parser("rules", help="list, show or validate rules")
    rsub = rules.add_subparsers(dest="rules_command", metavar="ACTION", parser_class=_Parser)
    ls = rsub.add_parser("list", help="list rules")
    ls.add_argument("--rules", metavar="DIR", action="append", default=[])
    ls.add_argument(
        "--provider",
        dest="select_providers",
        metavar="LIST",
        type=_csv,
        default=(),
        help="only these providers (aws, azure, onprem, attestation), comma-separated",
    )
    ls.add_argument("--severity", metavar="LIST", type=_severities, default=(), help="only these severities")
    ls.add_argument(
        "--hipaa",
        metavar="PARAGRAPH",
        action="append",
        default=[],
        help="only rules citing this paragraph or its subparagraphs; repeatable",
    )
    ls.add_argument(
        "--rule",
        dest="select_rules",
        metavar="GLOB",
        action="append",
        default=[],
        help="only rules whose id matches; repeatable",
    )
    ls.add_argument("--format", choices=("table", "json"), default="table")
    show = rsub.add_parser("show", help="show one rule")
    show.add_argument("id")
    show.add_argument("--rules", metavar="DIR", action="append", default=[])
    val = rsub.add_parser("validate", help="validate a rules directory (default: the built-in rules)")
    val.add_argument("dir", nargs="?")
    add_history_parsers(sub, add_source_arguments, _add_common, add_history_arguments, add_mail_arguments)
    return p
