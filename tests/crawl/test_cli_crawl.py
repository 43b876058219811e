"""`scraper crawl` and `scraper sources` as cron runs them: real subprocesses, real signals."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

from scraper.crawl.lock import RunLock
from tests.crawl.crawl_support import (
    NewsSite,
    json_files,
    jsonl_lines_per_url,
    query,
    run_cli,
    start_cli,
    state_db,
    write_config,
)
from tests.crawl.sites import Hit, Route, Site


def news_site(site: Site, articles: int, delay: float = 0.0, prefix: str = "") -> NewsSite:
    news = NewsSite(site)
    for n in range(articles):
        news.add_article(f"{prefix}{n}")
        route = site.routes[news.paths[-1]]
        assert isinstance(route, Route)
        route.delay = delay
    news.list_all()
    return news


class Killer:
    """Counts requests over several sites and SIGKILLs the crawler when #at arrives."""

    def __init__(self, *sites: Site) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self.at = 0
        self.pause = 0.0
        self.pid: int | None = None
        for site in sites:
            site.on_hit = self

    def __call__(self, _: int, hit: Hit) -> None:
        with self._lock:
            self._count += 1
            due = self._count == self.at and self.pid is not None
        if due:
            time.sleep(self.pause)  # let the crawler's other work go on for a moment
            assert self.pid is not None
            os.kill(self.pid, signal.SIGKILL)

    def arm(self, at: int, pause: float, pid: int) -> None:
        with self._lock:
            self._count, self.at, self.pause, self.pid = 0, at, pause, pid


def test_kill_9_mid_run_then_a_rerun_leaves_every_article_exactly_once(
    tmp_path: Path, site_a: Site, site_b: Site
) -> None:
    news_a, news_b = news_site(site_a, 6), news_site(site_b, 4, prefix="b")
    cfg = write_config(
        tmp_path,
        [news_a.source("a"), news_b.source("b")],
        formats=("text", "json", "jsonl"),
        extract_workers=2,
    )
    killer = Killer(site_a, site_b)
    # Discovery takes 10 requests (8 once robots.txt is cached), so both kills land while
    # articles of both hosts are being fetched, extracted and written, a few already done.
    for at, pause in ((14, 0.01), (11, 0.02)):
        crawler = start_cli("crawl", "--config", str(cfg))
        killer.arm(at, pause, crawler.pid)
        crawler.communicate(timeout=60)
        assert crawler.returncode == -signal.SIGKILL
    killer.arm(0, 0.0, 0)

    final = run_cli("crawl", "--config", str(cfg))

    assert final.returncode == 0, final.stderr
    urls = {site_a.url(p) for p in news_a.paths} | {site_b.url(p) for p in news_b.paths}
    assert jsonl_lines_per_url(tmp_path) == dict.fromkeys(urls, 1)
    assert set(json_files(tmp_path)) == urls  # one JSON file per article
    texts = list((tmp_path / "out").rglob("*.txt"))
    assert len(texts) == len(urls)
    assert not list((tmp_path / "out").rglob(".tmp-*"))
    assert query(tmp_path, "PRAGMA integrity_check") == [("ok",)]
    assert query(tmp_path, "SELECT count(*) FROM articles WHERE exported = 0") == [(0,)]
    assert query(tmp_path, "SELECT count(*) FROM urls WHERE status = 'done'") == [(len(urls),)]


def test_an_overlapping_run_is_refused_at_once_naming_the_holder(
    tmp_path: Path, site_a: Site
) -> None:
    news = news_site(site_a, 1)
    cfg = write_config(tmp_path, [news.source()])

    with RunLock(state_db(tmp_path)):
        started = time.monotonic()
        refused = run_cli("crawl", "--config", str(cfg))
        elapsed = time.monotonic() - started

    assert refused.returncode == 75
    errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert f"pid {os.getpid()}" in errors[0]
    assert site_a.paths() == []
    assert elapsed < 10


def test_sigterm_drains_in_flight_work_and_exits_143_then_the_next_run_finishes(
    tmp_path: Path, site_a: Site
) -> None:
    news = news_site(site_a, 6, delay=0.4)
    cfg = write_config(tmp_path, [news.source()])
    crawler = start_cli("crawl", "--config", str(cfg))
    deadline = time.monotonic() + 30
    while not any(path.startswith("/news/") for path in site_a.paths()):
        assert time.monotonic() < deadline, "the crawl never reached an article"
        time.sleep(0.02)

    crawler.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    _, stderr = crawler.communicate(timeout=30)

    assert crawler.returncode == 143, stderr
    assert time.monotonic() - sent < 10
    summary = stderr.strip().splitlines()[-1]
    assert summary.startswith("crawl run 1 in ")
    assert "stopped by SIGTERM" in summary
    asked = [path for path in site_a.paths() if path.startswith("/news/")]
    assert 1 <= len(asked) < 6
    # what was in flight was finished and committed, not dropped
    assert query(tmp_path, "SELECT count(*) FROM urls WHERE status = 'done'") == [(len(asked),)]

    again = run_cli("crawl", "--config", str(cfg))

    assert again.returncode == 0, again.stderr
    assert len(json_files(tmp_path)) == 6
    assert sorted(p for p in site_a.paths() if p.startswith("/news/")) == sorted(news.paths)


def test_exit_codes_stats_json_and_the_sources_view(tmp_path: Path, site_a: Site) -> None:
    news = news_site(site_a, 2)
    missing = site_a.url("/news/2024/05/01/a-story-that-is-gone")
    cfg = write_config(tmp_path, [news.source(start_urls=[missing])])
    stats_path = tmp_path / "run.json"

    before = run_cli("sources", "--config", str(cfg))
    some_failed = run_cli("crawl", "--config", str(cfg), "--stats-json", str(stats_path))
    after = run_cli("sources", "--config", str(cfg), "--due", "5")

    assert before.returncode == 0, before.stderr
    assert "news: max_pages 1000" in before.stdout
    assert site_a.url("/feed.xml") in before.stdout
    assert "none yet" in before.stdout
    assert some_failed.returncode == 1, some_failed.stderr
    stats = json.loads(stats_path.read_text(encoding="utf-8"))
    assert stats["run_id"] == 1
    assert stats["duration_seconds"] > 0
    assert stats["sources"]["news"]["new"] == 2
    assert stats["totals"]["failed_reasons"] == {"http_status": 1}
    summary = some_failed.stderr.strip().splitlines()[-1]
    assert "news: found 3, fetched 2, new 2, updated 0" in summary
    assert after.returncode == 0
    assert "urls: pending 0, changed 0, done 2, failed 1, skipped 0" in after.stdout
    assert "due next: nothing" in after.stdout
    with closing(sqlite3.connect(state_db(tmp_path))) as conn:
        (stored,) = conn.execute("SELECT stats FROM runs WHERE id = 1").fetchone()
    assert json.loads(stored)["totals"]["new"] == 2


def test_nothing_fetched_and_failures_exit_3_and_a_bad_setup_exits_2(
    tmp_path: Path, site_a: Site
) -> None:
    gone = [site_a.url(f"/news/2024/05/01/gone-story-number-{n}") for n in range(2)]
    cfg = write_config(tmp_path, [{"name": "gone", "start_urls": gone}])
    empty = tmp_path / "empty.yaml"
    empty.write_text("crawl:\n  delay: 0.01\n", encoding="utf-8")

    all_failed = run_cli("crawl", "--config", str(cfg))
    no_sources = run_cli("crawl", "--config", str(empty))

    assert all_failed.returncode == 3, all_failed.stderr
    assert "total: found 2, fetched 0" in all_failed.stderr
    assert no_sources.returncode == 2
    assert "no sources" in no_sources.stderr
