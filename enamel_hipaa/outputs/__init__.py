"""Report renderers: each module has `render(report, ctx) -> str`. `write_reports` writes
several formats into a directory, each file atomically (temp file + rename), so a crash
never leaves a half-written report and never clobbers the previous one with a partial."""
from __future__ import annotations

import importlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

# format name -> (module, file name)
FORMATS: dict[str, tuple[str, str]] = {
    "json": ("enamel_hipaa.outputs.json_report", "enamel-report.json"),
    "sarif": ("enamel_hipaa.outputs.sarif", "enamel-report.sarif"),
    "junit": ("enamel_hipaa.outputs.junit", "enamel-junit.xml"),
    "markdown": ("enamel_hipaa.outputs.markdown", "enamel-report.md"),
    "csv": ("enamel_hipaa.outputs.csv_report", "enamel-report.csv"),
    "html": ("enamel_hipaa.outputs.html", "enamel-report.html"),
}
ALL_FILE_FORMATS = tuple(FORMATS)


@dataclass
class RenderContext:
    rules: dict = field(default_factory=dict)       # rule id -> Rule
    catalogue: dict = field(default_factory=dict)   # citation -> {title, family, safeguard}


def render(fmt: str, report: dict, ctx: RenderContext) -> str:
    module, _ = FORMATS[fmt]
    return importlib.import_module(module).render(report, ctx)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, text: str, mode: int | None = None) -> None:
    """Write `text` to a temp file beside `path` and rename it into place. `mode` defaults to
    0666 less the umask (what a plain open() gives); pass 0o600 for files holding PHI."""
    if path.exists() and not path.is_file():
        # /dev/null, /dev/stdout, a FIFO: write through; renaming over them would replace a
        # device node with a regular file
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode if mode is not None else 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


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
