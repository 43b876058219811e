"""Builders shared by the crawl-state tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scraper.crawl.state import CrawlState, StoryResult

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SOURCE = "wire"


def url(n: int | str, host: str | None = None) -> str:
    """Story ``n``, each on a site of its own unless ``host`` is given: near copies are
    linked between sites only."""
    return f"https://{host or f'site-{n}.test'}/story/{n}"


def article(fingerprint: str, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "url": "https://news.test/placeholder",
        "final_url": "https://news.test/placeholder",
        "canonical_url": None,
        "title": "A title",
        "text": "Some text.",
        "fingerprint": fingerprint,
    }
    record.update(extra)
    return record


def record(
    state: CrawlState,
    target: str,
    fingerprint: str,
    *,
    at: datetime = T0,
    min_overlap: float | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    **extra: Any,
) -> StoryResult:
    return state.record_article(
        target,
        source=SOURCE,
        article=article(fingerprint, url=target, **extra),
        etag=etag,
        last_modified=last_modified,
        fetched_at=at,
        min_overlap=min_overlap,
    )


@contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection, to look behind CrawlState's back."""
    with closing(sqlite3.connect(path)) as conn:
        yield conn


def url_row(path: Path, target: str) -> dict[str, Any] | None:
    with raw(path) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM urls WHERE url = ?", (target,)).fetchone()
    return None if row is None else dict(row)


def scalar(path: Path, sql: str, *params: Any) -> Any:
    with raw(path) as conn:
        return conn.execute(sql, params).fetchone()[0]
