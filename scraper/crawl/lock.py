"""RunLock: at most one crawl per state database, even when cron starts runs that overlap.

The lock is an exclusive ``flock`` on ``<state_path>.lock``. The kernel drops it when the holder
dies, however it dies (kill -9 included), so it can never go stale the way a PID file does. The
holder's pid is written into the file only so that the run that is refused can say who holds it.

A forked child (a multiprocessing pool under the "fork" start method) inherits the descriptor
and with it the lock, which then outlives the parent until the child exits; start extraction
workers with "spawn" or "forkserver".

The lock file is never deleted: unlinking it would let a waiter lock the old, unlinked inode
while a newcomer locks a new file of the same name, and both would run.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path
from typing import Self

from scraper.closing import Closing
from scraper.errors import ConfigError, ScraperError

_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
_PID_BYTES = 32


class CrawlLockedError(ScraperError):
    """Another process is crawling with the same state database."""

    default_code = "crawl_locked"

    def __init__(self, message: str, *, holder_pid: int | None) -> None:
        super().__init__(message)
        self.holder_pid = holder_pid


class RunLock(Closing):
    """``with RunLock(settings.crawl.state_path):`` holds the crawl lock for the block."""

    def __init__(self, state_path: Path) -> None:
        self.path = Path(f"{state_path}.lock")
        self._fd = -1

    @property
    def held(self) -> bool:
        return self._fd >= 0

    def acquire(self) -> None:
        """Take the lock without waiting; CrawlLockedError (naming the holder's pid) if taken."""
        if self.held:
            return
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            shown = "unknown pid" if holder is None else f"pid {holder}"
            raise CrawlLockedError(
                f"another crawl ({shown}) is using {self.path}", holder_pid=holder
            ) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        except OSError:
            pass  # the pid is only for the message of a refused run; the flock is what counts
        self._fd = fd

    def close(self) -> None:
        """Release the lock (no-op if not held)."""
        if self._fd < 0:
            return
        fd, self._fd = self._fd, -1
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)  # so a stale pid is never shown after a clean exit
        os.close(fd)  # closing the only descriptor releases the flock

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def _open(self) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, _OPEN_FLAGS, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ConfigError(f"refusing the symlink at lock file {self.path}") from exc
            raise ConfigError(f"cannot open lock file {self.path}: {exc.strerror}") from exc


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, _PID_BYTES, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
