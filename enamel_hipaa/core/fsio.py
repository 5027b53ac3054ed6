"""Writing files so that readers never see half of one."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


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
