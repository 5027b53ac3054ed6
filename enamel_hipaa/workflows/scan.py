"""One scan, without any terminal or file output: collect from the chosen sources, then
evaluate, waive and build the JSON report. Used by `enamel scan`, `demo` and `tenants`."""

from __future__ import annotations

from dataclasses import dataclass, field

from enamel_hipaa.workflows import crosscheck
from enamel_hipaa.sources import Collection, collect_source
from enamel_hipaa.core.engine import apply_waivers, evaluate
from enamel_hipaa.core.errors import InputError
from enamel_hipaa.core.params import check_params, load_params
from enamel_hipaa.core.report import build
from enamel_hipaa.core.ruleset import RuleSet
from enamel_hipaa.core.waivers import load_waivers


@dataclass
class ScanContext:
    """What collectors get: nothing global, everything they need (a tenant's scan gets its
    own context, so sessions and credentials never leak between tenants)."""

    type_schemas: dict
    tenant: str | None = None
    console: object = None
    progress: object = None
    extra: dict = field(default_factory=dict)
    ruleset: RuleSet | None = None


def collect(
    sources,
    ruleset: RuleSet,
    console=None,
    show_progress: bool = False,
    extra: dict | None = None,
    tenant: str | None = None,
) -> Collection:
    """Collect from typed source configs (`sources.config`), in order."""
    ctx = ScanContext(
        type_schemas=ruleset.type_schemas, tenant=tenant, console=console, extra=dict(extra or {}), ruleset=ruleset
    )
    if not sources:
        raise InputError("command line", "no source given (e.g. --resources FILE; see enamel scan --help)")
    total = Collection()
    if show_progress:
        from rich.progress import Progress

        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("collecting", total=len(sources))
            ctx.progress = progress
            for cfg in sources:
                progress.update(task, description=f"collecting {cfg.kind}")
                total.extend(collect_source(cfg, ctx))
                progress.advance(task)
    else:
        for cfg in sources:
            total.extend(collect_source(cfg, ctx))
    return crosscheck.enrich(total)


def make_report(
    collection: Collection,
    ruleset: RuleSet,
    *,
    tenant: str | None,
    started_at: str,
    fail_on: str,
    params_file: str | None = None,
    params: dict | None = None,
    params_origin: str = "params",
    waivers_file: str | None = None,
) -> dict:
    """Evaluate the rules on a collection and build the JSON report. Parameters come from a
    params file or an inline mapping (a tenants file), validated the same way."""
    if params_file:
        params = load_params(params_file, ruleset.rules)
    elif params:
        params = check_params(params, ruleset.rules, params_origin)
    waivers = load_waivers(waivers_file, {r.id for r in ruleset.rules}) if waivers_file else []
    findings = evaluate(
        ruleset.rules, collection.resources, params, collection.errors, type_schemas=ruleset.type_schemas
    )
    findings.extend(collection.findings)
    findings = apply_waivers(findings, waivers)
    return build(
        findings,
        collection.errors,
        started_at=started_at,
        tenant=tenant,
        sources=collection.sources,
        rules_digest=ruleset.digest,
        fail_on=fail_on,
        waivers=waivers,
        unsupported_types=collection.unsupported_types,
        notices=collection.notices,
    )


def record_scan(history_cfg, report: dict, resources) -> str:
    """Record a scan in the history database the config names; returns the scan id."""
    from enamel_hipaa.outputs import history

    path, days = history.resolve(history_cfg.path, history_cfg.retention_days, history_cfg.settings_file)
    conn = history.connect(path)
    try:
        return history.record(conn, report, resources, days)
    finally:
        conn.close()


@dataclass(frozen=True)
class ScanResult:
    report: dict
    scan_id: str | None = None  # the recorded scan, when the config records


def evaluate_scan(config, collection: Collection, ruleset: RuleSet, started_at: str) -> ScanResult:
    """Evaluate a collection under a ScanConfig: report, baseline, and (if asked) history."""
    from enamel_hipaa.workflows import baseline

    report = make_report(
        collection,
        ruleset,
        tenant=config.tenant,
        started_at=started_at,
        fail_on=config.failure.fail_on,
        params_file=config.params_file,
        params=config.params,
        params_origin=config.params_origin,
        waivers_file=config.waivers_file,
    )
    baseline.use(config.baseline, config.write_baseline, report)
    scan_id = record_scan(config.history, report, collection.resources) if config.history.record else None
    return ScanResult(report=report, scan_id=scan_id)
