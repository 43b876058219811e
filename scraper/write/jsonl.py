"""The "jsonl" format: one JSON object per line, appended to a single file.

A record is visible only once its whole line, newline included, is in the file: each line goes
out in one write and is fsynced; a failed write is cut back off; and a line torn by a crash
(no trailing newline) is truncated away when the file is next opened. The file is an append
log: re-scraping an article appends a newer line, so readers keep the last line per URL.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from scraper.models import Article
from scraper.write import fsio
from scraper.write.encode import jsonl_line

_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
_TAIL_CHUNK = 64 * 1024


class JsonlWriter:
    def __init__(self, root: Path, name: str, *, fsync: bool) -> None:
        self.path = root / name
        self._fsync = fsync
        self._fd = _open_log(root, name, fsync=fsync)
        try:
            self.truncated_bytes = truncate_partial_line(self._fd, fsync=fsync)
        except BaseException:
            os.close(self._fd)
            raise

    def write(self, article: Article) -> list[Path]:
        line = jsonl_line(article)
        start = os.fstat(self._fd).st_size
        try:
            fsio.write_all(self._fd, line)
            if self._fsync:
                os.fsync(self._fd)
        except BaseException:
            # Leave the file as it was; the error itself is what the caller needs to see.
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, start)
            raise
        return [self.path]

    def close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)


def _open_log(root: Path, name: str, *, fsync: bool) -> int:
    dir_fd = fsio.open_dir(root)
    try:
        existed = _exists(dir_fd, name)
        try:
            fd = os.open(name, _OPEN_FLAGS, 0o666, dir_fd=dir_fd)
        except OSError as exc:
            if fsio.is_symlink(dir_fd, name):
                raise fsio.symlink_refused(name) from exc
            raise
        if fsync and not existed:
            os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", str(root / name))
    return fd


def _exists(dir_fd: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def truncate_partial_line(fd: int, *, fsync: bool) -> int:
    """Cut everything after the last newline (a record a crash left half-written).
    Returns how many bytes were removed."""
    size = os.fstat(fd).st_size
    keep = 0
    end = size
    while end > 0:
        start = max(0, end - _TAIL_CHUNK)
        newline = os.pread(fd, end - start, start).rfind(b"\n")
        if newline >= 0:
            keep = start + newline + 1
            break
        end = start
    if keep < size:
        os.ftruncate(fd, keep)
        if fsync:
            os.fsync(fd)
    return size - keep
