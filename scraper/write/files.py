"""The "text" and "json" formats: one .txt and/or one .json file per article, written atomically.

Layout: ``<output_dir>/<h0h1>/<h2h3>/<slug>-<hash16>.{txt,json}`` (see naming.py). Writing the
same article again replaces its own files, including ones named after an older title.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from scraper.models import Article
from scraper.write import fsio
from scraper.write.encode import json_document, render_text
from scraper.write.naming import ArticleName, article_name

_EXTENSIONS = ("txt", "json")


class FileWriter:
    """Writes each article as files under ``root``, which must already be resolved."""

    def __init__(self, root: Path, *, text: bool, json: bool, fsync: bool) -> None:
        self._root = root
        self._text = text
        self._json = json
        self._fsync = fsync

    def write(self, article: Article) -> list[Path]:
        name = article_name(article)
        files: list[tuple[str, bytes]] = []
        if self._text:
            files.append((name.file("txt"), render_text(article)))
        if self._json:
            files.append((name.file("json"), json_document(article)))
        shard_dir = self._root.joinpath(*name.shard)
        dir_fd = self._open_shard(name)
        try:
            with _located(shard_dir):
                staged = fsio.stage_all(dir_fd, files, sync=self._fsync)
                fsio.commit_all(dir_fd, staged)
            _remove_old_names(dir_fd, name)
            if self._fsync:  # make the renames (and removals) durable
                os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return [shard_dir / final for final, _ in files]

    def close(self) -> None:
        """Nothing stays open between writes."""

    def _open_shard(self, name: ArticleName) -> int:
        fd = fsio.open_dir(self._root)
        try:
            for depth, part in enumerate(name.shard):
                with _located(self._root.joinpath(*name.shard[:depth])):
                    child = fsio.open_subdir(fd, part, create=True, sync=self._fsync)
                os.close(fd)
                fd = child
            _check_inside(self._root, self._root.joinpath(*name.shard))
        except BaseException:
            os.close(fd)
            raise
        return fd


@contextlib.contextmanager
def _located(directory: Path) -> Iterator[None]:
    """Name a refused symlink by its full path, so whoever must remove it can find it."""
    try:
        yield
    except OSError as exc:
        if exc.errno != errno.ELOOP or not exc.filename or Path(exc.filename).is_absolute():
            raise
        raise fsio.symlink_refused(str(directory / exc.filename)) from exc


def _check_inside(root: Path, directory: Path) -> None:
    # The fds above already refuse symlinks; this re-checks the promise on the resolved path,
    # so a future change to naming can never write outside the output directory unnoticed.
    if not directory.resolve(strict=True).is_relative_to(root):
        raise fsio.symlink_refused(str(directory))


def _remove_old_names(dir_fd: int, name: ArticleName) -> None:
    """Drop files this article left under an earlier slug (its title changed), so a re-scrape
    overwrites instead of adding a second copy. Same hash suffix means same key URL."""
    current = {name.file(ext) for ext in _EXTENSIONS}
    stale_endings = tuple(f"{name.hash_suffix}.{ext}" for ext in _EXTENSIONS)
    with os.scandir(dir_fd) as entries:
        stale = [
            entry.name
            for entry in entries
            if entry.name.endswith(stale_endings)
            and entry.name not in current
            and not entry.name.startswith(fsio.TEMP_PREFIX)
            and not entry.is_dir(follow_symlinks=False)
        ]
    for old in stale:
        os.unlink(old, dir_fd=dir_fd)
