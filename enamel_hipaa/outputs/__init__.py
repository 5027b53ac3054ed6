"""Report renderers: each module has `render(report, ctx) -> str`. `write_reports` writes
several formats into a directory, each file atomically (temp file + rename), so a crash
never leaves a half-written report and never clobbers the previous one with a partial."""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

from enamel_hipaa.core.fsio import atomic_write  # noqa: F401  (re-exported: renderers write through it)

# format name -> (module, file name)
FORMATS: dict[str, tuple[str, str]] = {
    "json": ("enamel_hipaa.outputs.json_report", "enamel-report.json"),
    "sarif": ("enamel_hipaa.outputs.sarif", "enamel-report.sarif"),
    "junit": ("enamel_hipaa.outputs.junit", "enamel-junit.xml"),
    "markdown": ("enamel_hipaa.outputs.markdown", "enamel-report.md"),
    "csv": ("enamel_hipaa.outputs.csv_report", "enamel-report.csv"),
    "html": ("enamel_hipaa.outputs.html", "enamel-report.html"),
    "ocsf": ("enamel_hipaa.outputs.ocsf", "enamel-report.ocsf.json"),
}
ALL_FILE_FORMATS = tuple(FORMATS)


@dataclass
class RenderContext:
    rules: dict = field(default_factory=dict)       # rule id -> Rule
    catalogue: dict = field(default_factory=dict)   # citation -> {title, family, safeguard}
    # open problems over time, oldest first: [{"date" or "started_at", "open"}] (HTML trend chart)
    trend: list = field(default_factory=list)
    # (resource type, id) -> {"path", "start_line"}: where a resource without a finding location
    # is declared (a Pulumi program: sources.pulumi.positions) or read from (a resources file)
    locations: dict = field(default_factory=dict)


def render(fmt: str, report: dict, ctx: RenderContext) -> str:
    module, _ = FORMATS[fmt]
    return importlib.import_module(module).render(report, ctx)


def write_reports(report: dict, formats, out_dir: str | Path, ctx: RenderContext) -> list[Path]:
    """Render every format first (a renderer error writes nothing), then replace each file."""
    out_dir = Path(out_dir)
    rendered = [(out_dir / FORMATS[f][1], render(f, report, ctx)) for f in formats]
    for path, text in rendered:
        atomic_write(path, text)
    return [p for p, _ in rendered]


def citation_title(ctx: RenderContext, c: str) -> str:
    entry = ctx.catalogue.get(c)
    return f"{c} {entry['title']}" if entry else c
