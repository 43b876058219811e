"""The "sqlite" format: one ``articles`` row per article, keyed by naming.key_url (its canonical
URL when that names the same site, else its final URL).

WAL with synchronous=NORMAL: a committed row survives any crash of this process (power loss may
roll back the last commits, never corrupt the file). Each article is one transaction, upserted,
so re-scraping updates the row in place and a failed write leaves the previous row as it was.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Any

from scraper.models import Article
from scraper.write import fsio
from scraper.write.encode import scrub, to_json
from scraper.write.naming import key_url

BUSY_TIMEOUT_MS = 5000
KEY_COLUMN = "key_url"  # same-site canonical_url, else final_url: see naming.key_url
# One column per key of Article.to_dict(); tests check the two stay in step.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("url", "TEXT NOT NULL"),
    ("final_url", "TEXT NOT NULL"),
    ("canonical_url", "TEXT"),
    ("title", "TEXT"),
    ("authors", "TEXT NOT NULL"),  # JSON array
    ("published", "TEXT"),
    ("modified", "TEXT"),
    ("language", "TEXT"),
    ("site_name", "TEXT"),
    ("description", "TEXT"),
    ("image", "TEXT"),
    ("tags", "TEXT NOT NULL"),  # JSON array
    ("text", "TEXT NOT NULL"),
    ("word_count", "INTEGER NOT NULL"),
    ("fingerprint", "TEXT NOT NULL"),
    ("fetched_at", "TEXT"),
    ("extractor_version", "TEXT NOT NULL"),
    ("encoding", "TEXT"),
    ("encoding_source", "TEXT"),
    ("quality", "REAL NOT NULL DEFAULT 1.0"),
    ("quality_reasons", "TEXT NOT NULL DEFAULT '[]'"),  # JSON array
)
_JSON_COLUMNS = frozenset({"authors", "tags", "quality_reasons"})
_NAMES = [name for name, _ in COLUMNS]

# Built from the constants above only; no value from a page ever reaches the SQL text.
SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS articles (\n    {KEY_COLUMN} TEXT PRIMARY KEY NOT NULL,\n    "
    + ",\n    ".join(f"{name} {decl}" for name, decl in COLUMNS)
    + "\n)"
)
UPSERT = (
    f"INSERT INTO articles ({KEY_COLUMN}, {', '.join(_NAMES)}) "
    f"VALUES (:{KEY_COLUMN}, {', '.join(':' + name for name in _NAMES)}) "
    f"ON CONFLICT({KEY_COLUMN}) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _NAMES)
)


class SqliteWriter:
    def __init__(self, root: Path, name: str) -> None:
        self.path = root / name
        self.database = self.path  # what open_writers asks when a write fails (write/full.py)
        _refuse_planted_links(root, name)
        # isolation_level=None: transactions are begun and ended explicitly below.
        # check_same_thread=False: a crawl opens its writers on the event loop's thread and
        # writes from one dedicated writer thread, one article at a time.
        self._conn = sqlite3.connect(
            self.path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute(SCHEMA)
            _add_missing_columns(self._conn)
        except BaseException:
            self._conn.close()
            raise

    def write(self, article: Article) -> list[Path]:
        row = article_row(article)
        # IMMEDIATE takes the write lock up front, so a busy database fails here, not mid-way.
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.execute(UPSERT, row)
            self._conn.execute("COMMIT")
        except BaseException:
            # SQLite may already have rolled back on its own (e.g. SQLITE_FULL).
            if self._conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
            raise
        return [self.path]

    def close(self) -> None:
        self._conn.close()


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Columns added since a database was created (every one has a default), so an output
    database from an older version keeps working instead of failing every write."""
    present = {row[1] for row in conn.execute("PRAGMA table_info(articles)")}
    for name, decl in COLUMNS:
        if name not in present:
            conn.execute(f"ALTER TABLE articles ADD COLUMN {name} {decl}")


def article_row(article: Article) -> dict[str, Any]:
    record = article.to_dict()
    row: dict[str, Any] = {KEY_COLUMN: scrub(key_url(article))}
    for name in _NAMES:
        value = record[name]
        if name in _JSON_COLUMNS:
            row[name] = to_json(value)
        elif isinstance(value, str):
            row[name] = scrub(value)  # sqlite3 cannot bind a str holding lone surrogates
        else:
            row[name] = value
    return row


def _refuse_planted_links(root: Path, name: str) -> None:
    # sqlite3.connect follows symlinks; the database and its side files must be real files.
    dir_fd = fsio.open_dir(root)
    try:
        fsio.refuse_symlinks(dir_fd, [name, f"{name}-wal", f"{name}-shm", f"{name}-journal"])
    finally:
        os.close(dir_fd)
