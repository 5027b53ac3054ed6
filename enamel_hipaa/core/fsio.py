"""Writing files so that readers never see half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from enamel_hipaa.core.errors import InputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_error(path, exc: OSError) -> InputError:
    """An output that cannot be written (a read-only or full disk, a file where a folder
    should be) is a usage problem naming the path: exit 2, not a crash."""
    why = exc.strerror or type(exc).__name__
    if isinstance(exc, (NotADirectoryError, FileExistsError)):
        why = "a file is in the way where a folder is needed"
    return InputError(str(path), f"cannot write: {why}")


def atomic_write(path: Path, text: str, mode: int | None = None) -> None:
    """Write `text` to a temp file beside `path` and rename it into place. `mode` defaults to
    0666 less the umask (what a plain open() gives); pass 0o600 for files holding PHI.
    An OSError is an InputError naming the path (the previous file is left untouched)."""
    path = Path(path)
    try:
        _atomic_write(path, text, mode)
    except OSError as exc:
        raise write_error(path, exc) from None


def _atomic_write(path: Path, text: str, mode: int | None) -> None:
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
