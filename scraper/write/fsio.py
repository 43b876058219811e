"""Low-level file operations for the writers: directory fds, atomic replace, temp cleanup, lock.

Everything below the output directory is reached through directory file descriptors opened with
O_NOFOLLOW, so a symlink planted inside the output directory (in place of a shard directory or a
file) is refused instead of followed, and nothing can be redirected outside it between a check
and a write. Only the output directory itself may be a symlink: the user chose it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

TEMP_PREFIX = ".tmp-"
LOCK_NAME = ".lock"
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_SHARD_DEPTH = 2


def symlink_refused(name: str) -> OSError:
    return OSError(errno.ELOOP, "refusing a symlink planted in the output directory", name)


def open_dir(path: Path) -> int:
    return os.open(path, DIR_FLAGS)


def open_subdir(parent_fd: int, name: str, *, create: bool, sync: bool) -> int:
    """Open (and if asked create) a child directory; a symlink in its place is an error."""
    if create:
        try:
            os.mkdir(name, dir_fd=parent_fd)
        except FileExistsError:
            pass
        else:
            if sync:  # make the new directory entry itself durable
                os.fsync(parent_fd)
    try:
        return os.open(name, DIR_FLAGS, dir_fd=parent_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR) and is_symlink(parent_fd, name):
            raise symlink_refused(name) from exc
        raise


def is_symlink(dir_fd: int, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except FileNotFoundError:
        return False


def refuse_symlinks(dir_fd: int, names: Iterable[str]) -> None:
    for name in names:
        if is_symlink(dir_fd, name):
            raise symlink_refused(name)


def write_all(fd: int, data: bytes) -> None:
    """One write call for the whole buffer; loop only on a short write, whose retry then fails
    with the real error (ENOSPC, EFBIG) instead of silently losing the tail."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _unlink_quietly(dir_fd: int, name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name, dir_fd=dir_fd)


@dataclass(frozen=True, slots=True)
class Staged:
    """A complete, synced temp file waiting to be renamed over ``final``."""

    temp: str
    final: str


def _stage_one(dir_fd: int, final: str, data: bytes, *, sync: bool) -> Staged:
    temp = f"{TEMP_PREFIX}{secrets.token_hex(6)}-{final}"
    fd = os.open(temp, _NEW_FILE_FLAGS, 0o666, dir_fd=dir_fd)
    try:
        try:
            write_all(fd, data)
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        _unlink_quietly(dir_fd, temp)
        raise
    return Staged(temp, final)


def stage_all(dir_fd: int, files: Sequence[tuple[str, bytes]], *, sync: bool) -> list[Staged]:
    """Write every file to a temp name first, so running out of space (the likely failure)
    happens before any final file is touched; on failure no temp is left behind."""
    staged: list[Staged] = []
    try:
        for final, data in files:
            staged.append(_stage_one(dir_fd, final, data, sync=sync))
    except BaseException:
        discard(dir_fd, staged)
        raise
    return staged


def discard(dir_fd: int, staged: Iterable[Staged]) -> None:
    for item in staged:
        _unlink_quietly(dir_fd, item.temp)


def commit_all(dir_fd: int, staged: Sequence[Staged]) -> None:
    """Rename each temp over its final name. The caller fsyncs the directory afterwards."""
    for index, item in enumerate(staged):
        try:
            # os.replace would only swap out a planted link, never write through it; refusing
            # it makes tampering visible instead of silently repairing it.
            if is_symlink(dir_fd, item.final):
                raise symlink_refused(item.final)
            os.replace(item.temp, item.final, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            discard(dir_fd, staged[index:])
            raise


def remove_temps(root_fd: int, depth: int = _SHARD_DEPTH) -> int:
    """Delete temp files a crash left in the output directory and its shard directories."""
    removed = 0
    with os.scandir(root_fd) as entries:
        children = list(entries)
    for entry in children:
        if entry.name.startswith(TEMP_PREFIX) and not entry.is_dir(follow_symlinks=False):
            os.unlink(entry.name, dir_fd=root_fd)
            removed += 1
        elif depth > 0 and entry.is_dir(follow_symlinks=False) and _is_shard_name(entry.name):
            child_fd = open_subdir(root_fd, entry.name, create=False, sync=False)
            try:
                removed += remove_temps(child_fd, depth - 1)
            finally:
                os.close(child_fd)
    return removed


def _is_shard_name(name: str) -> bool:
    return len(name) == 2 and all(char in "0123456789abcdef" for char in name)


def lock_output_dir(root_fd: int) -> int:
    """Hold an exclusive flock for the writers' lifetime. Cleaning temp files and truncating a
    partial JSONL line on open are only safe if no other writer is mid-write in the same
    directory. The kernel drops the lock when the process dies, so it never goes stale."""
    fd = os.open(
        LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666, dir_fd=root_fd
    )
    try:
        _take_lock(fd)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _take_lock(fd: int) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        raise BlockingIOError(
            errno.EWOULDBLOCK, f"output directory is in use by another writer (pid {holder})"
        ) from None
    # The pid is only for the error message above; the flock is what excludes.
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
