"""The one translation from parsed options to typed configs (and the terminal console)."""
from __future__ import annotations

import argparse

from rich.console import Console

from enamel_hipaa.cli.sources import sources_from_args
from enamel_hipaa.outputs.mailer import SmtpOptions
from enamel_hipaa.workflows.config import FailurePolicy, HistoryConfig, OutputConfig, ScanConfig


def console(ns: argparse.Namespace, stderr: bool = False) -> Console:
    ci = getattr(ns, "ci", False)
    out = Console(stderr=stderr, no_color=ci, highlight=False, soft_wrap=False,
                  force_terminal=None if not ci else False)
    if not out.is_terminal:  # logs and CI: wide enough that tables stay readable
        out.width = max(out.width, 160)
    return out


def history_config(ns: argparse.Namespace, record: bool | None = None) -> HistoryConfig:
    return HistoryConfig(record=bool(getattr(ns, "record", False) if record is None else record),
                         path=getattr(ns, "history", None),
                         retention_days=getattr(ns, "history_retention_days", None),
                         settings_file=getattr(ns, "config", None))


def failure_policy(ns: argparse.Namespace) -> FailurePolicy:
    return FailurePolicy(fail_on=getattr(ns, "fail_on", "high"),
                         fail_on_error=not getattr(ns, "allow_incomplete", False),
                         count_unknown=getattr(ns, "count_unknown", True))


def output_config(ns: argparse.Namespace) -> OutputConfig:
    return OutputConfig(formats=tuple(getattr(ns, "format", ("table",))), output_dir=getattr(ns, "output_dir", None),
                        quiet=getattr(ns, "quiet", False), show_pass=getattr(ns, "show_pass", False),
                        ci=getattr(ns, "ci", False))


def scan_config(ns: argparse.Namespace, *, record: bool | None = None, **overrides) -> ScanConfig:
    """`enamel scan` (and demo, report weekly) options as a ScanConfig."""
    values = dict(
        sources=sources_from_args(ns) if hasattr(ns, "resources") else (),
        rule_dirs=tuple(getattr(ns, "rules", ()) or ()),
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
    return ScanConfig(**values)


def smtp_options(ns: argparse.Namespace) -> SmtpOptions:
    return SmtpOptions(host=ns.smtp_host, port=ns.smtp_port, user=ns.smtp_user, sender=ns.smtp_from,
                       tls=ns.smtp_tls, ca_file=ns.smtp_ca_file, insecure=ns.smtp_insecure)
