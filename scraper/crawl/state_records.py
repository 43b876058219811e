"""The row writes behind CrawlState's methods. Each runs inside the caller's transaction."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from scraper.write.encode import scrub
from scraper.write.naming import key_for


def mark_changed(conn: sqlite3.Connection, url: str, published: str) -> None:
    """Make a done URL 'changed' if ``published`` is newer than what was fetched."""
    # Newer than both the stored date and the last fetch: a date we already fetched past, or a
    # feed repeating the same date, is no news.
    conn.execute(
        "UPDATE urls SET status = 'changed', published = ? WHERE url = ? "
        "AND status IN ('done', 'changed') "
        "AND ? > max(coalesce(published, fetched_at), fetched_at)",
        (published, url, published),
    )


def ensure_url(conn: sqlite3.Connection, url: str, source: str, when: str) -> None:
    """A row for ``url`` (an article may be recorded for a URL that was never queued)."""
    conn.execute(
        "INSERT OR IGNORE INTO urls (url, source, status, discovered_at) "
        "VALUES (?, ?, 'pending', ?)",
        (url, source, when),
    )


def mark_done(
    conn: sqlite3.Connection,
    url: str,
    *,
    fetched_at: str,
    validators: tuple[str | None, str | None],
    fingerprint: str,
    canonical_url: str | None,
    story_id: int,
) -> None:
    """The URL row after a 200 with an article: done, failures forgotten, content noted."""
    conn.execute(
        "UPDATE urls SET status = 'done', failures = 0, failed_run = NULL, reason = NULL,"
        " tried_at = :when, fetched_at = :when, etag = :etag, last_modified = :modified,"
        " fingerprint = :fingerprint, canonical_url = :canonical,"
        " story_id = :story WHERE url = :url",
        {
            "when": fetched_at,
            "etag": validators[0],
            "modified": validators[1],
            "fingerprint": fingerprint,
            "canonical": canonical_url,
            "story": story_id,
            "url": url,
        },
    )


def store_article(
    conn: sqlite3.Connection,
    url: str,
    article: Mapping[str, Any],
    *,
    story_id: int,
    fetched_at: str,
    export: bool,
) -> None:
    """Upsert the article JSON of ``url``: the durable record the output is derived from.

    ``export`` puts the article in the outbox (exported = 0) for the crawl to write out. Without
    it a new row starts as exported and an existing row keeps its flag: an article that is
    unchanged, or a copy of another story, must not be written again, but one still waiting
    to be written must not be dropped from the outbox either.
    """
    # The same key the output writers use: a same-site canonical URL, else the final URL.
    key_url = key_for(article.get("canonical_url"), article.get("final_url") or url)
    conn.execute(
        "INSERT INTO articles (url, key_url, fingerprint, story_id, fetched_at, json, exported) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET key_url = excluded.key_url, "
        "fingerprint = excluded.fingerprint, story_id = excluded.story_id, "
        "fetched_at = excluded.fetched_at, json = excluded.json, "
        "exported = CASE WHEN excluded.exported = 0 THEN 0 ELSE articles.exported END",
        (
            url,
            scrub(str(key_url)),
            str(article["fingerprint"]),
            story_id,
            fetched_at,
            to_json(article),
            0 if export else 1,
        ),
    )


def fail_url(
    conn: sqlite3.Connection,
    url: str,
    *,
    code: str,
    transient: bool,
    tried_at: str,
    run_id: int | None,
    failure_limit: int,
) -> None:
    """The URL row after a failed fetch (see CrawlState.record_failure)."""
    row = conn.execute("SELECT failures, failed_run, status FROM urls WHERE url = ?", (url,))
    found = row.fetchone()
    if found is None:
        raise KeyError(url)
    failures, failed_run, status = found
    counted = run_id is None or failed_run != run_id
    if transient and counted:
        failures += 1
    if not transient or failures >= failure_limit:
        status = "failed"
    conn.execute(
        "UPDATE urls SET status = ?, failures = ?, failed_run = ?, reason = ?, "
        "tried_at = ? WHERE url = ?",
        (status, failures, run_id, code, tried_at, url),
    )


def save_robots_row(
    conn: sqlite3.Connection, origin: str, verdict: str, body: str, fetched_at: str
) -> None:
    conn.execute(
        "INSERT INTO robots (origin, verdict, body, fetched_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (origin) DO UPDATE SET verdict = excluded.verdict, "
        "body = excluded.body, fetched_at = excluded.fetched_at",
        (origin, verdict, scrub(body), fetched_at),
    )


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_json(value: Mapping[str, Any]) -> str:
    # Lone surrogates (from surrogateescape decoding) cannot be stored by sqlite3: replace them.
    return scrub(json.dumps(dict(value), ensure_ascii=False, default=_json_default))
