"""Report renderers: each module has `render(report, ctx) -> str`. `write_reports` writes
several formats into a directory as one set: every file is first written in full to a
staging folder inside the directory, then the set is swapped in by renames (with the old
files kept aside until every rename succeeded, and put back if one fails). A crash or a
full disk part-way leaves the previous set of reports intact, never a mix."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
import os
import shutil
import tempfile
from pathlib import Path

from enamel_hipaa.core.fsio import atomic_write, write_error  # noqa: F401  (re-exported: renderers write through it)

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
    rules: dict = field(default_factory=dict)  # rule id -> Rule
    catalogue: dict = field(default_factory=dict)  # citation -> {title, family, safeguard}
    # open problems over time, oldest first: [{"date" or "started_at", "open"}] (HTML trend chart)
    trend: list = field(default_factory=list)
    # (resource type, id) -> {"path", "start_line"}: where a resource without a finding location
    # is declared (a Pulumi program: sources.pulumi.positions) or read from (a resources file)
    locations: dict = field(default_factory=dict)


def render(fmt: str, report: dict, ctx: RenderContext) -> str:
    module, _ = FORMATS[fmt]
    return importlib.import_module(module).render(report, ctx)


def write_reports(report: dict, formats, out_dir: str | Path, ctx: RenderContext) -> list[Path]:
    """Render every format first (a renderer error writes nothing), then swap the set in."""
    out_dir = Path(out_dir)
    rendered = [(FORMATS[f][1], render(f, report, ctx)) for f in formats]
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(out_dir, exc) from None
    if not out_dir.is_dir():
        raise write_error(out_dir, NotADirectoryError())
    try:
        swap_in(out_dir, rendered)
    except OSError as exc:
        raise write_error(out_dir, exc) from None
    return [out_dir / name for name, _ in rendered]


def swap_in(out_dir: Path, files: list[tuple[str, str]]) -> None:
    """Write `files` (name, text) to a staging folder in `out_dir`, then rename them into
    place as a set; on any failure the folder holds exactly the files it held before."""
    stage = Path(tempfile.mkdtemp(prefix=".enamel-staging-", dir=out_dir))
    aside = stage / ".previous"
    moved: list[str] = []  # names whose new file is in place
    kept: list[str] = []  # names whose old file is in `aside`
    try:
        mask = os.umask(0)
        os.umask(mask)
        for name, text in files:
            with open(stage / name, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(stage / name, 0o666 & ~mask)
        aside.mkdir()
        for name, _ in files:
            target = out_dir / name
            if target.is_symlink() or target.exists():
                if not target.is_file():
                    raise IsADirectoryError(21, "not a regular file", str(target))
                os.replace(target, aside / name)
                kept.append(name)
            os.replace(stage / name, target)
            moved.append(name)
    except BaseException:
        for name in reversed(moved):  # take the new files out again ...
            try:
                os.unlink(out_dir / name)
            except OSError:
                pass
        for name in kept:  # ... and put the previous ones back
            try:
                os.replace(aside / name, out_dir / name)
            except OSError:
                pass
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def citation_title(ctx: RenderContext, c: str) -> str:
    entry = ctx.catalogue.get(c)
    return f"{c} {entry['title']}" if entry else c
