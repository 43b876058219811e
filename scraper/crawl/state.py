"""CrawlState: what a crawl has seen, fetched and concluded, kept in SQLite between runs.

Every method that changes something is one transaction, so a crash (even SIGKILL) leaves the
state as it was before the call or after it, never in between. The crawl loop relies on that.

Output goes through an outbox: ``record_article`` commits the article with ``exported = 0``,
the crawl writes it with the (idempotent) output writers, then ``mark_exported``. A crash
before the commit leaves the URL due, so it is simply done again; a crash after it leaves the
article in ``pending_exports``, which the next run writes out before anything else.

URL statuses:
    pending   queued, not fetched yet (or failed transiently in fewer than failure_limit runs)
    changed   fetched before, but a newer date was seen since: due for a conditional re-fetch
    done      fetched; its article (if any) is recorded, or the server said 304
    failed    given up: a permanent failure, or transient failures in failure_limit runs
    skipped   deliberately not fetched or not kept (robots_disallowed, too_old, no_content...)

Schema and storage details: state_schema.py. Row writes: state_records.py. Story linking:
state_stories.py.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from scraper.closing import Closing
from scraper.crawl.shingles import shingle_hashes
from scraper.crawl.state_records import (
    ensure_url,
    fail_url,
    mark_changed,
    mark_done,
    save_robots_row,
    store_article,
    to_json,
)
from scraper.crawl.state_schema import STATUSES, connect, db_errors, parse_time, time_text
from scraper.crawl.state_stories import LeadShingles, StoryResult, link_story

__all__ = ["CrawlState", "FrontierItem", "StoryResult"]


@dataclass(frozen=True, slots=True)
class FrontierItem:
    url: str
    source: str
    published: datetime | None
    status: str  # "pending" | "changed"


class CrawlState(Closing):
    """The crawl state database. Open with ``CrawlState.open(path)``; one writer at a time
    (take ``RunLock`` first). Methods raise ConfigError for a corrupt file and WriteError
    (code "storage_full" when the disk is full) for other storage failures."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._run_id: int | None = None
        self._leads = LeadShingles()

    @classmethod
    def open(cls, path: Path) -> CrawlState:
        return cls(connect(path), path)

    def close(self) -> None:
        self._conn.close()

    # -- frontier ------------------------------------------------------------------------------

    def add_links(
        self, source: str, links: Iterable[tuple[str, datetime | None]], *, now: datetime
    ) -> int:
        """Queue new URLs as pending; returns how many were new. A known URL is left alone,
        except that a done URL seen with a date newer than both its stored date and its last
        fetch becomes 'changed' (due for a conditional re-fetch)."""
        discovered = time_text(now)
        added = 0
        with self._transaction() as conn:
            for url, published in links:
                when = None if published is None else time_text(published)
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO urls (url, source, status, discovered_at, published) "
                    "VALUES (?, ?, 'pending', ?, ?)",
                    (url, source, discovered, when),
                )
                added += cursor.rowcount
                if cursor.rowcount == 0 and when is not None:
                    mark_changed(conn, url, when)
        return added

    def due(self, source: str, limit: int) -> list[FrontierItem]:
        """Pending and changed URLs of ``source``, oldest discovery first, at most ``limit``."""
        rows = self._read(
            "SELECT url, source, published, status FROM urls "
            "WHERE source = ? AND status IN ('pending', 'changed') "
            "ORDER BY discovered_at, rowid LIMIT ?",
            (source, max(limit, 0)),
        )
        return [
            FrontierItem(url, src, None if published is None else parse_time(published), status)
            for url, src, published, status in rows
        ]

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """(ETag, Last-Modified) of the last 200 for ``url``, for a conditional GET."""
        rows = self._read("SELECT etag, last_modified FROM urls WHERE url = ?", (url,))
        return (rows[0][0], rows[0][1]) if rows else (None, None)

    # -- outcomes of a fetch -------------------------------------------------------------------

    def record_article(
        self,
        url: str,
        *,
        source: str,
        article: Mapping[str, Any],
        etag: str | None,
        last_modified: str | None,
        fetched_at: datetime,
        shingles: frozenset[int] | None = None,
        min_overlap: float | None = None,
    ) -> StoryResult:
        """Record a fetched article in one transaction: the URL becomes done (failures reset),
        its validators, fingerprint and canonical URL are kept, it is linked to a story, and
        ``article`` (the Article.to_dict() form) is stored as the durable record.

        With ``min_overlap`` a story whose lead shares that much of its text with
        ``article["text"]`` takes it (state_stories.near_copy); without it only the fingerprint.
        ``shingles`` are the text's shingle hashes when the caller has them already (the
        extraction worker makes them); otherwise they are made here.
        A new or updated article that leads its story goes into the outbox (pending_exports);
        a duplicate (a copy of another URL's story) or an unchanged article does not."""
        fingerprint = str(article["fingerprint"])
        if shingles is None:
            shingles = shingle_hashes(str(article.get("text") or ""))
        when = time_text(fetched_at)
        with self._stories_on_rollback_forgotten(), self._transaction() as conn:
            ensure_url(conn, url, source, when)
            result = link_story(
                conn,
                url=url,
                fingerprint=fingerprint,
                now=when,
                shingles=shingles,
                leads=self._leads,
                min_overlap=min_overlap,
            )
            mark_done(
                conn,
                url,
                fetched_at=when,
                validators=(etag, last_modified),
                fingerprint=fingerprint,
                canonical_url=article.get("canonical_url"),
                story_id=result.story_id,
            )
            export = result.kind in {"new", "updated"} and result.of_url is None
            store_article(
                conn, url, article, story_id=result.story_id, fetched_at=when, export=export
            )
        return result

    def record_not_modified(self, url: str, *, fetched_at: datetime) -> None:
        """A 304: the stored article still stands; the URL is done again."""
        when = time_text(fetched_at)
        self._update(
            url,
            "status = 'done', failures = 0, failed_run = NULL, reason = NULL, "
            "tried_at = ?, fetched_at = ?",
            (when, when),
        )

    def record_failure(
        self, url: str, *, code: str, transient: bool, fetched_at: datetime, failure_limit: int
    ) -> None:
        """A failed fetch. Permanent: the URL is failed at once. Transient: it stays due until it
        has failed in ``failure_limit`` different runs (several failures within one run, as
        marked by begin_run, count once; without a run every call counts)."""
        with self._transaction() as conn:
            fail_url(
                conn,
                url,
                code=code,
                transient=transient,
                tried_at=time_text(fetched_at),
                run_id=self._run_id,
                failure_limit=failure_limit,
            )

    def record_skip(self, url: str, *, reason: str) -> None:
        """Deliberately not fetched or not kept; ``reason`` says why (robots_disallowed, ...)."""
        self._update(url, "status = 'skipped', reason = ?", (reason,))

    # -- the outbox: recorded articles not yet written to the output -------------------------

    def pending_exports(self, limit: int | None = None) -> list[tuple[str, dict[str, Any]]]:
        """(url, article dict) of every article still to be written out, oldest first."""
        rows = self._read(
            "SELECT url, json FROM articles WHERE exported = 0 ORDER BY fetched_at, url LIMIT ?",
            (-1 if limit is None else max(limit, 0),),
        )
        return [(str(url), json.loads(text)) for url, text in rows]

    def mark_exported(self, url: str) -> None:
        """The article of ``url`` is in the output now; a no-op for an unknown URL."""
        with self._transaction() as conn:
            conn.execute("UPDATE articles SET exported = 1 WHERE url = ?", (url,))

    # -- runs, robots.txt, diagnostics ---------------------------------------------------------

    def begin_run(self, *, now: datetime) -> int:
        with self._transaction() as conn:
            (run_id,) = conn.execute(
                "INSERT INTO runs (started_at) VALUES (?) RETURNING id", (time_text(now),)
            ).fetchone()
        self._run_id = int(run_id)
        return self._run_id

    def end_run(self, run_id: int, stats: Mapping[str, Any], *, now: datetime) -> None:
        with self._transaction() as conn:
            conn.execute(
                "UPDATE runs SET ended_at = ?, stats = ? WHERE id = ?",
                (time_text(now), to_json(stats), run_id),
            )
        if run_id == self._run_id:
            self._run_id = None

    def load_robots(self, origin: str) -> tuple[str, str, datetime] | None:
        """(verdict, body, fetched_at) cached for ``origin``; deciding freshness is the caller's."""
        rows = self._read(
            "SELECT verdict, body, fetched_at FROM robots WHERE origin = ?", (origin,)
        )
        if not rows:
            return None
        verdict, body, fetched_at = rows[0]
        return str(verdict), str(body), parse_time(fetched_at)

    def save_robots(self, origin: str, verdict: str, body: str, fetched_at: datetime) -> None:
        with self._transaction() as conn:
            save_robots_row(conn, origin, verdict, body, time_text(fetched_at))

    def counts(self, source: str | None = None) -> dict[str, int]:
        """How many URLs (of ``source``, or of all sources) are in each status."""
        if source is None:
            rows = self._read("SELECT status, count(*) FROM urls GROUP BY status", ())
        else:
            rows = self._read(
                "SELECT status, count(*) FROM urls WHERE source = ? GROUP BY status", (source,)
            )
        found = {str(status): int(count) for status, count in rows}
        return {status: found.get(status, 0) for status in STATUSES}

    def article_urls(self) -> list[str]:
        return [str(url) for (url,) in self._read("SELECT url FROM articles ORDER BY url", ())]

    # -- plumbing ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _stories_on_rollback_forgotten(self) -> Iterator[None]:
        # The lead cache learns a story inside the transaction; a rollback unmakes the story
        # (and SQLite may give its id to the next one), so the cache must not remember it.
        try:
            yield
        except BaseException:
            self._leads = LeadShingles()
            raise

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn
        with db_errors(self.path):
            # IMMEDIATE takes the write lock up front: a busy database fails here, not halfway.
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                # SQLite may already have rolled back by itself (e.g. on SQLITE_FULL).
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        with db_errors(self.path):
            return self._conn.execute(sql, params).fetchall()

    def _update(self, url: str, assignments: str, params: tuple[Any, ...]) -> None:
        # ``assignments`` is always a literal from this class; values are bound parameters.
        with self._transaction() as conn:
            cursor = conn.execute(f"UPDATE urls SET {assignments} WHERE url = ?", (*params, url))
            if cursor.rowcount == 0:
                raise KeyError(url)
