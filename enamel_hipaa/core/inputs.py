"""Reading input files with bounded work: only regular files (a FIFO or a device would block
or never end), a size limit, strict UTF-8, and JSON parsed strictly (duplicate keys,
NaN/Infinity, integers over Python's 4300-digit limit and deep nesting are input errors
naming the file and the line, never a crash).

Limits can be raised for unusually large estates with ENAMEL_MAX_INPUT_BYTES and
ENAMEL_MAX_DEPTH.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from enamel_hipaa.core.errors import InputError

DEFAULT_MAX_BYTES = 128 * 2**20
DEFAULT_MAX_DEPTH = 100


def max_bytes() -> int:
    return _env_int("ENAMEL_MAX_INPUT_BYTES", DEFAULT_MAX_BYTES)


def max_depth() -> int:
    return _env_int("ENAMEL_MAX_DEPTH", DEFAULT_MAX_DEPTH)


def _env_int(name: str, default: int) -> int:
    try:
        v = int(os.environ.get(name, ""))
        return v if v > 0 else default
    except ValueError:
        return default


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_bytes(path: str | Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; InputError otherwise. Opened
    non-blocking, so a FIFO is refused instead of waiting for a writer."""
    limit = limit or max_bytes()
    name = str(path)
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise InputError(name, "file not found") from None
    except IsADirectoryError:
        raise InputError(name, "is a directory, not a file") from None
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(name, f"is {_kind(st.st_mode)}; only regular files are read as input")
        if st.st_size > limit:
            raise InputError(
                name, f"too large ({st.st_size} bytes; the limit is {limit}, raise it with ENAMEL_MAX_INPUT_BYTES)"
            )
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise InputError(name, f"too large (over {limit} bytes; raise it with ENAMEL_MAX_INPUT_BYTES)")
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def decode(data: bytes, name: str, encoding: str = "utf-8") -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(name, f"not UTF-8 text (byte {exc.start}: {exc.reason})", line=line) from None


def read_text(path: str | Path, encoding: str = "utf-8", limit: int | None = None) -> str:
    """A regular file's text: size-limited, strictly decoded."""
    return decode(read_bytes(path, limit), str(path), encoding)


class _Duplicate(Exception):
    def __init__(self, key: str):
        self.key = key


def _pairs(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise _Duplicate(k)
        out[k] = v
    return out


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def loads_json(text: str, name: str) -> Any:
    """Strict JSON: duplicate keys, NaN/Infinity, integers over 4300 digits and nesting
    deeper than the limit are InputErrors naming the file and (where known) the line."""
    try:
        data = json.loads(text, object_pairs_hook=_pairs, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputError(name, f"invalid JSON: {exc.msg}", line=exc.lineno) from None
    except _Duplicate as dup:
        raise InputError(name, f"duplicate key {dup.key!r}", line=_line_of_duplicate(text, dup.key)) from None
    except RecursionError:
        raise InputError(name, f"nested too deeply (the limit is {max_depth()} levels)") from None
    except ValueError as exc:  # integer digit limit, NaN/Infinity
        raise InputError(name, f"invalid JSON: {str(exc).splitlines()[0][:160]}") from None
    check_depth(data, name)
    return data


def _line_of_duplicate(text: str, key: str) -> int | None:
    """The line of the second occurrence of `"key":` inside one object (best effort)."""
    needle = json.dumps(key)
    seen_at: list[int] = []
    pos = text.find(needle)
    while pos != -1:
        seen_at.append(pos)
        pos = text.find(needle, pos + 1)
    if len(seen_at) < 2:
        return None
    # the duplicate is normally the first repeat that is a key (followed by a colon)
    keys = [p for p in seen_at if text[p + len(needle) :].lstrip().startswith(":")]
    hit = keys[1] if len(keys) > 1 else seen_at[1]
    return text.count("\n", 0, hit) + 1


def check_depth(data: Any, name: str, limit: int | None = None) -> None:
    """InputError if `data` nests lists/mappings deeper than the limit (iterative walk)."""
    limit = limit or max_depth()
    stack = [(data, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            if d > limit:
                raise InputError(name, f"nested too deeply (over {limit} levels)")
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            if d > limit:
                raise InputError(name, f"nested too deeply (over {limit} levels)")
            stack.extend((x, d + 1) for x in v)


def load_json(path: str | Path, encoding: str = "utf-8") -> Any:
    return loads_json(read_text(path, encoding), str(path))
