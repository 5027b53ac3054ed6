"""DICOM file stores (export, temp and cache folders): count files whose DICOM header
carries PHI (patient name, ID or birth date) and the oldest one's age. Headers only
(stop_before_pixels, a handful of tags); the PHI values are never kept or printed.

Unreadable is not empty: a file or folder the scanner cannot open (permissions, I/O
errors) may hold PHI, so when any was met and no PHI was found, the PHI count and age are
`$error` (the rules report `error`, never `pass`). Only regular files are opened: a FIFO or
a device in the folder is skipped, never read (it would block or never end)."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from enamel_hipaa.core.model import Resource, error_value, unknown

PHI_TAGS = ("PatientName", "PatientID", "PatientBirthDate")
DEFAULT_MAX_FILES = 20000


UNREADABLE = "unreadable"


def _has_phi(path: str) -> bool | None | str:
    """True/False for a DICOM file, None for a file that is not DICOM (or not a regular
    file), UNREADABLE for one that could not be opened or read."""
    from pydicom import dcmread
    from pydicom.errors import InvalidDicomError

    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:  # removed while we walked: nothing left to hold PHI
        return None
    except OSError:
        return UNREADABLE
    try:
        with os.fdopen(fd, "rb") as fh:
            ds = dcmread(fh, stop_before_pixels=True, specific_tags=list(PHI_TAGS))
            return any(str(ds.get(t, "") or "").strip() for t in PHI_TAGS)
    except OSError:
        return UNREADABLE
    except (InvalidDicomError, ValueError, EOFError, KeyError, TypeError, AttributeError):
        return None


def under(path: Path, roots: list[Path]) -> bool:
    p = path.resolve()
    return any(p == r.resolve() or r.resolve() in p.parents for r in roots)


def collect(entry: dict, approved: list[Path], now: float | None = None) -> Resource:
    path = Path(entry["path"])
    name = entry["name"]
    limit = int(entry.get("max_files", DEFAULT_MAX_FILES))
    props: dict = {"path": str(path), "exists": path.is_dir(), "on_approved_archive": under(path, approved)}

    def res(**kw):
        return Resource(
            type="onprem.dicom_file_store", id=f"store:{path}", name=name, source="file", properties=props, **kw
        )

    if not path.is_dir():
        return res(error=f"{path}: folder not found or not a directory")
    now = now or time.time()
    scanned = dicom = phi = 0
    oldest = None
    truncated = False
    unreadable: list[str] = []
    for root, dirs, files in os.walk(path, onerror=lambda exc: unreadable.append(str(exc.filename or path))):
        dirs.sort()
        for f in sorted(files):
            if scanned >= limit:
                truncated = True
                break
            full = os.path.join(root, f)
            scanned += 1
            verdict = _has_phi(full)
            if verdict == UNREADABLE:
                unreadable.append(full)
                continue
            if verdict is None:
                continue
            dicom += 1
            if verdict:
                phi += 1
                try:
                    mtime = os.stat(full).st_mtime
                except OSError:
                    continue
                oldest = mtime if oldest is None else min(oldest, mtime)
        if truncated:
            break
    props.update(
        files_scanned=scanned,
        dicom_files=dicom,
        truncated=truncated,
        phi_files=phi
        if (phi or not truncated)
        else unknown(f"folder walk stopped after reading {scanned} files (max_files {limit})"),
        oldest_phi_age_days=unknown(
            f"folder walk stopped after reading {scanned} files (max_files {limit}); older files may "
            f"remain unread (raise max_files)"
        )
        if truncated
        else (int((now - oldest) // 86400) if oldest is not None else 0),
    )
    if unreadable:
        props["unreadable"] = len(unreadable)
        why = f"{len(unreadable)} file(s) or folder(s) could not be read (e.g. {unreadable[0]})"
        if not phi:  # what we could not read may hold PHI: no count is a pass
            props["phi_files"] = error_value(why)
        if oldest is None:
            props["oldest_phi_age_days"] = error_value(why)
    return res()
