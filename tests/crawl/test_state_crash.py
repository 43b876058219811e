"""kill -9 while recording: the state is as before the call or after it, and a rerun completes
the crawl without losing or duplicating anything."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from scraper.crawl.state import CrawlState
from tests.crawl.state_support import SOURCE, T0, raw, record, scalar, url

# fork: the child starts at once with the modules already imported. SQLite connections must not
# cross a fork, so the parent never holds one open while forking.
_FORK = multiprocessing.get_context("fork")
BODY = "A paragraph of article text that makes each commit a few pages long. " * 300


def _pair_fingerprint(n: int) -> str:
    # url(2k) and url(2k + 1) carry the same text: one story with two articles.
    return f"fp{n // 2}"


def _record_then_die(path: Path) -> None:
    import scraper.crawl.state as state_module

    real_store = state_module.store_article

    def store_then_die(*args: Any, **kwargs: Any) -> None:
        real_store(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)  # every row written, COMMIT not yet reached

    state_module.store_article = store_then_die  # type: ignore[assignment]  # child only
    with CrawlState.open(path) as state:
        record(state, url(2), "fp2", text=BODY)


def _run_child(target: Any, *args: Any) -> int | None:
    child = _FORK.Process(target=target, args=args)
    child.start()
    child.join(20)
    return child.exitcode


def test_kill_inside_record_article_leaves_no_trace(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    with CrawlState.open(path) as state:
        state.add_links(SOURCE, [(url(1), None), (url(2), None)], now=T0)
        record(state, url(1), "fp1")
    assert _run_child(_record_then_die, path) == -signal.SIGKILL
    _assert_consistent(path)
    with CrawlState.open(path) as state:
        assert [(item.url, item.status) for item in state.due(SOURCE, 10)] == [(url(2), "pending")]
        assert state.article_urls() == [url(1)]
    assert scalar(path, "SELECT count(*) FROM stories") == 1
    assert scalar(path, "SELECT fingerprint FROM urls WHERE url = ?", url(2)) is None


def _crawl(path: Path, progress: Connection | None) -> None:
    with CrawlState.open(path) as state:
        for item in state.due(SOURCE, 10_000):
            n = int(item.url.rsplit("/", 1)[1])
            record(state, item.url, _pair_fingerprint(n), text=BODY)
            if progress is not None:
                progress.send(n)


def _crawl_until_killed(path: Path, kill_after: int) -> int | None:
    receive, send = _FORK.Pipe(duplex=False)
    child = _FORK.Process(target=_crawl, args=(path, send))
    child.start()
    send.close()
    for _ in range(kill_after):
        assert receive.poll(20), "child stopped making progress"
        receive.recv()
    os.kill(child.pid or 0, signal.SIGKILL)  # lands somewhere in the following records
    child.join(20)
    return child.exitcode


def test_kill_mid_crawl_then_rerun_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    total = 200
    with CrawlState.open(path) as state:
        state.add_links(SOURCE, [(url(n), None) for n in range(total)], now=T0)
    assert _crawl_until_killed(path, kill_after=random.randint(5, 60)) == -signal.SIGKILL
    done_before = _assert_consistent(path)
    assert 0 < done_before < total
    _crawl(path, None)  # the next cron run
    with CrawlState.open(path) as state:
        assert state.counts() == {**state.counts(), "done": total, "pending": 0}
        assert state.article_urls() == sorted(url(n) for n in range(total))
    assert _assert_consistent(path) == total
    with raw(path) as conn:
        sizes = [size for (size,) in conn.execute("SELECT count(*) FROM urls GROUP BY story_id")]
    assert sizes == [2] * (total // 2)  # one story per pair, whichever run recorded it


def _assert_consistent(path: Path) -> int:
    """Check what any crash must preserve; return how many URLs are done."""
    with raw(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        done = {u for (u,) in conn.execute("SELECT url FROM urls WHERE status = 'done'")}
        articles = {u for (u,) in conn.execute("SELECT url FROM articles")}
        assert done == articles  # a done URL always has its article, and only a done one
        half_done = conn.execute(
            "SELECT count(*) FROM urls WHERE (status = 'done') != (story_id IS NOT NULL)"
        ).fetchone()[0]
        assert half_done == 0
        orphans = conn.execute(
            "SELECT count(*) FROM stories WHERE id NOT IN (SELECT story_id FROM articles)"
        ).fetchone()[0]
        assert orphans == 0
    return len(done)
