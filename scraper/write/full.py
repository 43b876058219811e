"""Is a failed write "out of space"? For OSError and for SQLite, which hides the errno.

An OSError carries its errno: ENOSPC (disk full), EFBIG (past the file size limit, RLIMIT_FSIZE)
and EDQUOT (quota) all mean there is no room. SQLite turns ENOSPC into SQLITE_FULL, but every
other failed write, EFBIG and EDQUOT included, into SQLITE_IOERR_WRITE, and Python's sqlite3
does not expose the errno behind it (no sqlite3_system_errno). So for SQLITE_IOERR_WRITE we look
at the files themselves: one of the database's files at the process's file size limit, or a
filesystem with (almost) no free blocks, means there was no room; anything else is a real I/O
error and stays one.
"""

from __future__ import annotations

import errno
import os
import resource
import sqlite3
from pathlib import Path

STORAGE_FULL = "storage_full"
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})
# A write that failed for lack of room stopped within one write of the limit; SQLite writes a
# page (4 KiB) or a WAL frame at a time, so 64 KiB is generous without being vague.
_ROOM_MARGIN = 64 * 1024
_SIDE_FILES = ("", "-wal", "-journal")


def oserror_is_full(exc: OSError) -> bool:
    return exc.errno in FULL_ERRNOS


def sqlite_is_full(exc: sqlite3.Error, database: Path) -> bool:
    """Whether ``exc``, raised on the SQLite file ``database``, means out of space."""
    code = getattr(exc, "sqlite_errorcode", 0) or 0
    if code & 0xFF == sqlite3.SQLITE_FULL:
        return True
    if code != sqlite3.SQLITE_IOERR_WRITE:
        return False
    return _at_size_limit(database) or _no_free_space(database.parent)


def _at_size_limit(database: Path) -> bool:
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft == resource.RLIM_INFINITY:
        return False
    for suffix in _SIDE_FILES:
        try:
            size = Path(f"{database}{suffix}").stat().st_size
        except OSError:
            continue
        if size + _ROOM_MARGIN >= soft:
            return True
    return False


def _no_free_space(directory: Path) -> bool:
    try:
        stats = os.statvfs(directory)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < _ROOM_MARGIN
