"""The "jsonl" format: one JSON object per line, appended to a single file.

A record is visible only once its whole line, newline included, is in the file: each line goes
out in one write and is fsynced; a failed write is cut back off; and a line torn by a crash
(no trailing newline) is truncated away when the file is next opened. The file is an append
log: re-scraping an article whose text changed appends a newer line, so readers keep the last
line per URL.

Writing an article whose latest line already has the same content appends nothing, so a crawl
that re-does a page after a crash (its output was written, but the crash came before the crawl
state recorded it) does not duplicate the line. Articles are told apart by the key URL the
SQLite writer uses (naming.key_url: a same-site canonical URL, else the final URL) and compared
by content fingerprint, which covers the body words only: a change of title or other metadata
alone is not appended (the SQLite and JSON outputs, rewritten in place, carry it). Only the
latest line per key counts, so text that changes and then changes back is appended again and
"last line per URL" stays right. On open the writer reads the file once, line by line, keeping
a 16-byte digest of each key and its latest fingerprint, never the records.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scraper.models import Article
from scraper.write import fsio
from scraper.write.encode import jsonl_line, scrub
from scraper.write.naming import key_for, key_url

_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
_TAIL_CHUNK = 64 * 1024
_READ_CHUNK = 1024 * 1024


class JsonlWriter:
    def __init__(self, root: Path, name: str, *, fsync: bool) -> None:
        self.path = root / name
        self._fsync = fsync
        self._fd = _open_log(root, name, fsync=fsync)
        try:
            self.truncated_bytes = truncate_partial_line(self._fd, fsync=fsync)
            self._latest = _index(self._fd)
        except BaseException:
            os.close(self._fd)
            raise

    def write(self, article: Article) -> list[Path]:
        key = _key_digest(key_url(article))
        if self._latest.get(key) == article.fingerprint:
            return [self.path]
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
        self._latest[key] = article.fingerprint
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


def _key_digest(key: str) -> bytes:
    # Lines on disk went through scrub(), so keys are compared in that form on both sides.
    return hashlib.blake2b(scrub(key).encode("utf-8"), digest_size=16).digest()


def _index(fd: int) -> dict[bytes, str]:
    """Key digest -> fingerprint of the latest line for that key, read from the whole file."""
    latest: dict[bytes, str] = {}
    for record in _read_records(fd):
        canonical, landed = (
            record.get("canonical_url"),
            record.get("final_url") or record.get("url"),
        )
        fingerprint = record.get("fingerprint")
        if isinstance(landed, str) and isinstance(fingerprint, str):
            key = key_for(canonical if isinstance(canonical, str) else None, landed)
            latest[_key_digest(key)] = fingerprint
    return latest


def _read_records(fd: int) -> Iterator[dict[str, Any]]:
    """Each line of the file that parses as a JSON object, streamed."""
    for line in _read_lines(fd):
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a damaged line is left alone; it just cannot match anything
        if isinstance(record, dict):
            yield record


def _read_lines(fd: int) -> Iterator[bytes]:
    # pread leaves the descriptor's offset alone (irrelevant for O_APPEND writes anyway).
    offset, pending = 0, b""
    while chunk := os.pread(fd, _READ_CHUNK, offset):
        offset += len(chunk)
        *lines, pending = (pending + chunk).split(b"\n")
        yield from lines
    if pending:
        yield pending
