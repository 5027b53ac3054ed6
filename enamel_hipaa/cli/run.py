"""What every scanning command shares: collect with a progress bar, evaluate, present."""

from __future__ import annotations

import argparse
import os
import sys

from rich.console import Console

from enamel_hipaa.cli import options
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.params import load_params
from enamel_hipaa.core.report import EXIT_INCOMPLETE, exit_code
from enamel_hipaa.core.ruleset import RuleSet
from enamel_hipaa.outputs import RenderContext, github, render, write_reports
from enamel_hipaa.outputs.terminal import print_report
from enamel_hipaa.sources import Collection
from enamel_hipaa.workflows.scan import collect, evaluate_scan


# the extra each source needs (a missing one is exit 2 naming the pip command, not a crash)
SOURCE_EXTRAS = {"onprem": "onprem", "aws": "aws", "azure": "azure"}


def require_extras(sources) -> None:
    from enamel_hipaa.core.extras import require_extra

    for cfg in sources:
        if cfg.kind in SOURCE_EXTRAS:
            require_extra(SOURCE_EXTRAS[cfg.kind], what=f"scan --{cfg.kind}")
        elif cfg.kind == "pulumi" and cfg.programs:
            require_extra("pulumi", what="scan --pulumi")


def _collect(config, ruleset: RuleSet, out: Console) -> Collection:
    require_extras(config.sources)
    show_progress = out.is_terminal and not config.outputs.ci and not config.outputs.quiet
    # the data-class scope settings, so the AWS source skips reads only PHI-scoped rules use
    extra = {"params": load_params(config.params_file, ruleset.rules)} if config.params_file else None
    return collect(config.sources, ruleset, out, show_progress=show_progress, tenant=config.tenant, extra=extra)


def present(config, report: dict, ruleset: RuleSet) -> int:
    """Write the file formats, print the table, and compute the exit code."""
    o = config.outputs
    ctx = RenderContext(rules=ruleset.by_id(), catalogue=ruleset.catalogue)
    file_formats = [f for f in o.formats if f != "table"]
    to_stdout = False
    written = []
    if file_formats:
        if o.output_dir:
            written = write_reports(report, file_formats, o.output_dir, ctx)
            if not o.quiet:
                Console(stderr=True, no_color=o.ci, highlight=False).print(
                    "wrote " + ", ".join(str(p) for p in written)
                )
        elif len(file_formats) == 1:
            sys.stdout.write(render(file_formats[0], report, ctx))
            to_stdout = True
        else:
            raise InputError("command line", "several file formats need --output-dir DIR")
    if "table" in o.formats and not o.quiet:
        ns = argparse.Namespace(ci=o.ci, no_color=not o.color)
        print_report(
            report, options.console(ns, stderr=to_stdout), show_pass=o.show_pass, reports_written=bool(written)
        )
    export(config, report)
    if o.ci and os.environ.get("GITHUB_ACTIONS"):
        (sys.stderr if to_stdout else sys.stdout).write(github.render(report))
    f = config.failure
    code = exit_code(report, f.fail_on, f.fail_on_error, f.count_unknown)
    if code == EXIT_INCOMPLETE and (o.quiet or "table" not in o.formats):
        # the table says it otherwise; a quiet or file-only run still says why it exits 3
        errors = len(report["errors"])
        unevaluated = report["summary"]["by_status"].get("error", 0)
        print(
            f"enamel: incomplete scan: {errors} source error(s), {unevaluated} check(s) could not be evaluated"
            " (exit 3; the report lists them)",
            file=sys.stderr,
        )
    return code


def run_scan(config, collection: Collection, ruleset: RuleSet, started_at: str) -> tuple[int, str | None]:
    result = evaluate_scan(config, collection, ruleset, started_at)
    return present(config, result.report, ruleset), result.scan_id


def export(config, report: dict) -> None:
    """Security Hub and webhook deliveries asked for by the outputs config."""
    o = config.outputs
    if o.security_hub:
        from enamel_hipaa.core.extras import require_extra

        require_extra("aws", what="--security-hub")
        import boto3

        from enamel_hipaa.outputs.asff import export_asff

        result = export_asff(report, boto3.session.Session(), region=o.security_hub_region)
        if result.get("failed"):
            raise InputError("Security Hub", f"{len(result['failed'])} of {result['sent']} findings were rejected")
    if o.webhook_env:
        url = os.environ.get(o.webhook_env)
        if not url:
            raise InputError("command line", f"--webhook-env: environment variable {o.webhook_env} is not set")
        from enamel_hipaa.outputs.webhook import notify

        notify(url, report["findings"], tenant=report["scan"].get("tenant"))
