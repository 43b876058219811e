"""The write stage: Article in, files / JSONL / SQLite out. Public API: ``open_writers``.

    with open_writers(settings.write) as sink:
        paths = sink.write(article)

Output layout under ``output_dir``:
    <h0h1>/<h2h3>/<slug>-<hash16>.txt    "text"   (hash = sha256 of naming.key_url: a same-site
                                                  canonical URL, else the final URL)
    <h0h1>/<h2h3>/<slug>-<hash16>.json   "json"
    articles.jsonl                       "jsonl"  (WriteSettings.jsonl_name)
    articles.sqlite (+ -wal, -shm)       "sqlite" (WriteSettings.sqlite_name)
    .lock                                flock held while writers are open
    .tmp-*                               in-progress writes; removed when writers next open

This module is the one place where OSError and sqlite3.Error become WriteError.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from scraper.config import WriteSettings
from scraper.errors import ConfigError, WriteError
from scraper.models import Article
from scraper.write import fsio
from scraper.write.files import FileWriter
from scraper.write.full import STORAGE_FULL, oserror_is_full, sqlite_is_full
from scraper.write.jsonl import JsonlWriter
from scraper.write.sqlite import SqliteWriter

__all__ = ["ArticleSink", "Writer", "open_writers"]

UNSAFE_PATH = "unsafe_path"


class Writer(Protocol):
    def write(self, article: Article) -> list[Path]: ...
    def close(self) -> None: ...


@contextlib.contextmanager
def _storage_errors(url: str | None = None, database: Path | None = None) -> Iterator[None]:
    """Turn storage failures into WriteError: code "storage_full" when out of space (see
    full.py; ``database`` is the SQLite file a sqlite3.Error may come from), "unsafe_path" for
    a symlink planted in the output directory, else "write_error"."""
    try:
        yield
    except OSError as exc:
        code = "write_error"
        if oserror_is_full(exc):
            code = STORAGE_FULL
        elif exc.errno == errno.ELOOP:
            code = UNSAFE_PATH
        raise WriteError(_describe(exc), url=url, code=code) from exc
    except sqlite3.Error as exc:
        full = database is not None and sqlite_is_full(exc, database)
        code = STORAGE_FULL if full else "write_error"
        raise WriteError(f"sqlite: {exc}", url=url, code=code) from exc


def _describe(exc: OSError) -> str:
    """The OS's words and the file, without the "[Errno N]" prefix."""
    text = exc.strerror or str(exc)
    return f"{text}: {exc.filename}" if exc.filename else text


class ArticleSink:
    """Hands each article to every configured writer, in order.

    Order: SQLite, files, then JSONL. If a writer fails the rest are skipped and WriteError is
    raised, so the caller must treat the article as unsaved and retry it later. SQLite and the
    files are idempotent, so the retry rewrites them; JSONL, the only append-only format, goes
    last so a failure earlier never leaves a JSONL line for an article that was not saved.
    """

    def __init__(self, writers: Sequence[Writer]) -> None:
        self._writers = tuple(writers)

    @property
    def writers(self) -> tuple[Writer, ...]:
        return self._writers

    def write(self, article: Article) -> list[Path]:
        paths: list[Path] = []
        for writer in self._writers:
            with _storage_errors(article.url, getattr(writer, "database", None)):
                paths.extend(writer.write(article))
        return paths


@contextlib.contextmanager
def open_writers(settings: WriteSettings) -> Iterator[ArticleSink]:
    """Open every writer ``settings.formats`` asks for; close them all on exit.

    Raises ConfigError if formats are requested without an output_dir, and WriteError if the
    output directory cannot be prepared (including: another writer holds it).
    """
    stack = contextlib.ExitStack()
    try:
        with _storage_errors():
            sink = _open_all(settings, stack)
        yield sink
    finally:
        with _storage_errors():
            stack.close()


def _open_all(settings: WriteSettings, stack: contextlib.ExitStack) -> ArticleSink:
    formats = set(settings.formats)
    if not formats:
        return ArticleSink([])
    if settings.output_dir is None:
        raise ConfigError("write.output_dir must be set to write " + ", ".join(settings.formats))
    root = _prepare_output_dir(settings.output_dir, stack)
    writers: list[Writer] = []
    if "sqlite" in formats:
        with _storage_errors(database=root / settings.sqlite_name):
            writers.append(SqliteWriter(root, settings.sqlite_name))
        stack.callback(writers[-1].close)
    if formats & {"text", "json"}:
        writers.append(
            FileWriter(root, text="text" in formats, json="json" in formats, fsync=settings.fsync)
        )
    if "jsonl" in formats:
        writers.append(JsonlWriter(root, settings.jsonl_name, fsync=settings.fsync))
        stack.callback(writers[-1].close)
    return ArticleSink(writers)


def _prepare_output_dir(output_dir: Path, stack: contextlib.ExitStack) -> Path:
    """Create, resolve and lock the output directory, then clear temp files of a crashed run."""
    output_dir.mkdir(parents=True, exist_ok=True)
    root = output_dir.resolve(strict=True)
    root_fd = fsio.open_dir(root)
    try:
        lock_fd = fsio.lock_output_dir(root_fd)
        stack.callback(os.close, lock_fd)
        fsio.remove_temps(root_fd)
    finally:
        os.close(root_fd)
    return root
