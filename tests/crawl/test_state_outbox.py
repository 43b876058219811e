"""CrawlState's outbox: which recorded articles wait to be written, and marking them done."""

from __future__ import annotations

from pathlib import Path

from scraper.crawl.state import CrawlState
from tests.crawl.state_support import HOUR, T0, record, url


def pending(state: CrawlState) -> list[str]:
    return [target for target, _ in state.pending_exports()]


def test_new_and_updated_articles_wait_copies_and_unchanged_ones_do_not(tmp_path: Path) -> None:
    with CrawlState.open(tmp_path / "crawl.sqlite") as state:
        assert record(state, url(1), "fp1", title="First").kind == "new"
        assert record(state, url(2), "fp1", at=T0 + HOUR).kind == "duplicate"
        assert pending(state) == [url(1)]
        article = state.pending_exports()[0][1]
        assert article["title"] == "First"
        assert article["fingerprint"] == "fp1"

        state.mark_exported(url(1))
        assert pending(state) == []
        assert record(state, url(1), "fp1", at=T0 + 2 * HOUR).kind == "unchanged"
        assert pending(state) == []
        assert record(state, url(1), "fp1b", at=T0 + 3 * HOUR).kind == "updated"
        assert pending(state) == [url(1)]


def test_an_unchanged_refetch_keeps_an_article_that_still_waits(tmp_path: Path) -> None:
    with CrawlState.open(tmp_path / "crawl.sqlite") as state:
        record(state, url(1), "fp1")
        record(state, url(1), "fp1", at=T0 + HOUR)  # unchanged, but never written yet
        assert pending(state) == [url(1)]


def test_pending_exports_come_oldest_first_and_in_batches(tmp_path: Path) -> None:
    with CrawlState.open(tmp_path / "crawl.sqlite") as state:
        for n in (3, 1, 2):
            record(state, url(n), f"fp{n}", at=T0 + n * HOUR)
        assert pending(state) == [url(1), url(2), url(3)]
        assert [target for target, _ in state.pending_exports(limit=2)] == [url(1), url(2)]
        state.mark_exported(url("unknown"))  # a no-op
        assert len(state.pending_exports()) == 3
