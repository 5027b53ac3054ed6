"""The one translation from parsed options to typed configs (and the terminal console)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from enamel_hipaa.cli.sources import sources_from_args
from enamel_hipaa.outputs.mailer import SmtpOptions
from enamel_hipaa.workflows.config import FailurePolicy, HistoryConfig, OutputConfig, RuleSelection, ScanConfig


def console(ns: argparse.Namespace, stderr: bool = False):
    """Honours --ci, --no-color, NO_COLOR and COLUMNS (when piped)."""
    from enamel_hipaa.outputs.terminal import make_console

    return make_console(ci=getattr(ns, "ci", False), no_color=getattr(ns, "no_color", False), stderr=stderr)


def history_config(ns: argparse.Namespace, record: bool | None = None) -> HistoryConfig:
    return HistoryConfig(
        record=bool(getattr(ns, "record", False) if record is None else record),
        path=getattr(ns, "history", None),
        retention_days=getattr(ns, "history_retention_days", None),
        settings_file=getattr(ns, "config", None),
    )


def failure_policy(ns: argparse.Namespace) -> FailurePolicy:
    return FailurePolicy(
        fail_on=getattr(ns, "fail_on", None) or "high",
        fail_on_error=not getattr(ns, "allow_incomplete", False),
        count_unknown=getattr(ns, "count_unknown", True),
    )


def output_config(ns: argparse.Namespace) -> OutputConfig:
    return OutputConfig(
        formats=tuple(getattr(ns, "format", ("table",))),
        output_dir=getattr(ns, "output_dir", None),
        quiet=getattr(ns, "quiet", False),
        show_pass=getattr(ns, "show_pass", False),
        ci=getattr(ns, "ci", False),
        color=not getattr(ns, "no_color", False),
        security_hub=getattr(ns, "security_hub", False),
        security_hub_region=getattr(ns, "security_hub_region", None),
        webhook_env=getattr(ns, "webhook_env", None),
    )


def scan_config(ns: argparse.Namespace, *, record: bool | None = None, **overrides) -> ScanConfig:
    """`enamel scan` (and demo, report weekly) options as a ScanConfig."""
    values = dict(
        sources=sources_from_args(ns) if hasattr(ns, "resources") else (),
        rule_dirs=tuple(getattr(ns, "rules", ()) or ()),
        selection=selection(ns),
        params_file=getattr(ns, "params", None),
        waivers_file=getattr(ns, "waivers", None),
        tenant=getattr(ns, "tenant", None),
        baseline=getattr(ns, "baseline", None),
        write_baseline=getattr(ns, "write_baseline", None),
        failure=failure_policy(ns),
        outputs=output_config(ns),
        history=history_config(ns, record),
    )
    values.update(overrides)
    config = ScanConfig(**values)
    project = getattr(ns, "project", None)
    if project is None and not config.sources and hasattr(ns, "resources") and Path("enamel.yaml").is_file():
        project = "enamel.yaml"
    return with_project(config, project, ns) if project else config


def with_project(config: ScanConfig, path: str, ns: argparse.Namespace) -> ScanConfig:
    """A project file (a tenants file with one practice, or --tenant NAME of several) fills
    what the command line left unset."""
    from enamel_hipaa.core.errors import InputError
    from enamel_hipaa.workflows.config import TenantSourceError, selection_from_spec, tenant_sources
    from enamel_hipaa.workflows.tenants import load_tenants, select

    tenants = load_tenants(path)
    if config.tenant:
        tenants = select(tenants, only=[config.tenant])
    if len(tenants) != 1:
        raise InputError(path, f"{len(tenants)} tenants: name one with --tenant NAME")
    t = tenants[0]
    spec = t.spec
    selection = config.selection if config.selection != RuleSelection() else selection_from_spec(spec)
    try:
        groups = tenant_sources(spec, t.source, t.name)
    except TenantSourceError as exc:
        raise InputError(path, str(exc)) from None
    sources = config.sources or tuple(s for group in groups for s in group)
    fail_on = getattr(ns, "fail_on", None) or spec.get("fail_on") or "high"
    return replace(
        config,
        sources=sources,
        selection=selection,
        tenant=config.tenant or t.name,
        params=config.params if config.params_file else spec.get("params"),
        params_origin=f"{path} params",
        waivers_file=config.waivers_file or spec.get("waivers"),
        failure=replace(config.failure, fail_on=fail_on),
    )


def selection(ns: argparse.Namespace) -> RuleSelection:
    return RuleSelection(
        ids=tuple(getattr(ns, "select_rules", ()) or ()),
        skip=tuple(getattr(ns, "skip_rule", ()) or ()),
        severities=tuple(getattr(ns, "severity", ()) or ()),
        providers=tuple(getattr(ns, "select_providers", ()) or ()),
        hipaa=tuple(getattr(ns, "hipaa", ()) or ()),
    )


def smtp_options(ns: argparse.Namespace) -> SmtpOptions:
    return SmtpOptions(
        host=ns.smtp_host,
        port=ns.smtp_port,
        user=ns.smtp_user,
        sender=ns.smtp_from,
        tls=ns.smtp_tls,
        ca_file=ns.smtp_ca_file,
        insecure=ns.smtp_insecure,
    )
