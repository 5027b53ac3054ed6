"""`enamel report weekly --tenants FILE`: scan every tenant (each with its own sources),
record each scan in the history, and send each tenant ONE email built only from its own
report and history, to the recipients its entry in the tenants file lists."""

from __future__ import annotations

import tempfile
from pathlib import Path

from enamel_hipaa.outputs import history, mailer
from enamel_hipaa.workflows import tenants
from enamel_hipaa.outputs import RenderContext
from enamel_hipaa.core.report import EXIT_OK
from enamel_hipaa.core.ruleset import load_rules
from enamel_hipaa.workflows.weekly import compose, eml_name


def weekly_per_tenant(
    tenants_file: str,
    only: list[str] | None,
    rule_dirs,
    run_options,
    jobs: int,
    smtp,
    sender: str,
    out: str | None,
    console,
) -> int:
    """`run_options(out_dir)` -> tenants.RunOptions (recording into the history)."""
    chosen = tenants.select(tenants.load_tenants(tenants_file), only=only)
    ruleset = load_rules(list(rule_dirs))
    with tempfile.TemporaryDirectory(prefix="enamel-weekly-") as scratch:
        opts = run_options(Path(scratch))
        results = tenants.scan_all(chosen, ruleset, opts, jobs)
        ctx = RenderContext(rules=ruleset.by_id(), catalogue=ruleset.catalogue)
        conn = history.connect(opts.history)
        try:
            for r in results:
                _deliver(r, conn, ctx, ruleset, sender, smtp, out, console)
        finally:
            conn.close()
    return 3 if any(r.exit_code == 3 for r in results) else EXIT_OK


def _deliver(result, conn, ctx, ruleset, sender, smtp, out, console) -> None:
    name = result.tenant.name
    if result.report is None:
        console.print(f"{name}: no email: the scan could not run ({result.error})", markup=False)
        return
    if not result.tenant.recipients:
        console.print(f"{name}: no email: no recipients in the tenants file", markup=False)
        return
    to = list(result.tenant.recipients)
    msg, _ = compose(conn, result.report, ctx, ruleset.rules, sender, to)
    if out:
        console.print(f"{name}: wrote {mailer.write_eml(msg, out, eml_name(result.report))}", markup=False)
    else:
        mailer.send(msg, smtp)
        console.print(f"{name}: sent the weekly report to {', '.join(to)} via {smtp.where}", markup=False)
