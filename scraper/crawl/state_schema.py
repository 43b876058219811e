"""The crawl state database: schema, opening, error mapping, and how values are stored.

Tables (schema version 1, kept in ``PRAGMA user_version``):

    urls      every URL ever queued, one row each: the frontier and its history
    stories   one row per distinct story, known by its lead URL
    story_sketch  the bottom-k shingle hashes of each story's lead text, indexed by value:
              how near copies find their story (state_stories.py)
    articles  the article JSON of every URL recorded, upserted: what the output is derived from;
              ``exported`` = 0 marks the outbox, articles not yet written to the output
    runs      one row per crawl run with its summary
    robots    the robots.txt cache per origin

Times are stored as ISO 8601 text in UTC with a fixed width, so text order is time order.
Sketch values are stored as signed 64-bit integers, since SQLite has no unsigned type.
States made before 2026-11 have a ``urls.simhash`` column; it is no longer written or read.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from scraper.errors import ConfigError, ScraperError, WriteError
from scraper.write.full import STORAGE_FULL, sqlite_is_full

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 5000
STATUSES = ("pending", "changed", "done", "failed", "skipped")

# The tables reference each other (urls.story_id -> stories, stories.lead_url -> urls); SQLite
# checks foreign keys when rows change, not when tables are created, so the order is free.
_TABLES = (
    """CREATE TABLE urls (
        url           TEXT PRIMARY KEY NOT NULL,
        source        TEXT NOT NULL,
        status        TEXT NOT NULL
                      CHECK (status IN ('pending', 'changed', 'done', 'failed', 'skipped')),
        discovered_at TEXT NOT NULL,
        published     TEXT,
        failures      INTEGER NOT NULL DEFAULT 0,  -- runs with a transient failure
        failed_run    INTEGER,                     -- last run counted in failures
        reason        TEXT,                        -- last failure code or skip reason
        tried_at      TEXT,                        -- last fetch attempt, whatever the outcome
        fetched_at    TEXT,                        -- last 200 or 304
        etag          TEXT,
        last_modified TEXT,
        fingerprint   TEXT,
        canonical_url TEXT,
        story_id      INTEGER REFERENCES stories (id)
    )""",
    "CREATE INDEX urls_due ON urls (source, status, discovered_at)",
    "CREATE INDEX urls_fingerprint ON urls (fingerprint) WHERE fingerprint IS NOT NULL",
    """CREATE TABLE stories (
        id         INTEGER PRIMARY KEY,
        lead_url   TEXT NOT NULL REFERENCES urls (url),
        created_at TEXT NOT NULL
    )""",
    # WITHOUT ROWID: the primary key serves a story's refresh, and the key index (which holds
    # the primary key too) answers the candidate query without touching the table.
    """CREATE TABLE story_sketch (
        story_id INTEGER NOT NULL REFERENCES stories (id),
        key      INTEGER NOT NULL,
        PRIMARY KEY (story_id, key)
    ) WITHOUT ROWID""",
    "CREATE INDEX story_sketch_key ON story_sketch (key)",
    """CREATE TABLE articles (
        url         TEXT PRIMARY KEY NOT NULL REFERENCES urls (url),
        key_url     TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        story_id    INTEGER NOT NULL REFERENCES stories (id),
        fetched_at  TEXT NOT NULL,
        json        TEXT NOT NULL,
        exported    INTEGER NOT NULL DEFAULT 0 CHECK (exported IN (0, 1))
    )""",
    "CREATE INDEX articles_outbox ON articles (fetched_at) WHERE exported = 0",
    """CREATE TABLE runs (
        id         INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        ended_at   TEXT,
        stats      TEXT
    )""",
    """CREATE TABLE robots (
        origin     TEXT PRIMARY KEY NOT NULL,
        verdict    TEXT NOT NULL,
        body       TEXT NOT NULL,
        fetched_at TEXT NOT NULL
    )""",
)

_CORRUPT = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
_UNOPENABLE = frozenset({sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY})
# Misuse of the API or a broken invariant is a bug and should surface as itself.
_BUGS = (sqlite3.ProgrammingError, sqlite3.InterfaceError, sqlite3.IntegrityError)


def state_error(exc: sqlite3.Error, path: Path) -> ScraperError:
    """The ScraperError a failed state operation means for the user."""
    primary = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
    if primary in _CORRUPT:
        return ConfigError(
            f"crawl state {path} is corrupt or not an SQLite database ({exc}); "
            "move it away to start afresh",
            code="state_corrupt",
        )
    if primary in _UNOPENABLE:
        return ConfigError(f"cannot open crawl state {path}: {exc}", code="state_unusable")
    if sqlite_is_full(exc, path):
        return WriteError(f"crawl state {path}: out of space ({exc})", code=STORAGE_FULL)
    return WriteError(f"crawl state {path}: {exc}", code="state_error")


@contextlib.contextmanager
def db_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except _BUGS:
        raise
    except sqlite3.Error as exc:
        raise state_error(exc, path) from exc


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the state database at ``path``, schema checked and current."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the directory of crawl state {path}: {exc}") from exc
    with db_errors(path):
        # isolation_level=None: the state module begins and ends every transaction itself.
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            _configure(conn)
            _ensure_schema(conn, path)
        except BaseException:
            conn.close()
            raise
    return conn


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # Reading the header first makes a non-database file fail here, before any write.
    conn.execute("PRAGMA user_version").fetchone()
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    # NORMAL under WAL: no commit is lost to a crash of this process; power loss may roll back
    # the last commits but never corrupts the file.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")


def _ensure_schema(conn: sqlite3.Connection, path: Path) -> None:
    # IMMEDIATE so that two processes opening a new file cannot both create the tables.
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
        has_tables = int(tables.fetchone()[0]) > 0
        if version > SCHEMA_VERSION:
            raise ConfigError(
                f"crawl state {path} has schema version {version}; this scraper knows up to "
                f"{SCHEMA_VERSION} (it was written by a newer version)"
            )
        if version == 0 and has_tables:
            raise ConfigError(f"{path} is an SQLite database but not a crawl state")
        if version == 0:
            for statement in _TABLES:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def time_text(moment: datetime) -> str:
    """UTC, microseconds, fixed width. A naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def to_signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value
