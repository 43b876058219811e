"""The outbox: an article recorded in the state but not (or not known to be) written out is
written by the next run, once, whatever instant the previous run died at."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from scraper.crawl.outbox import article_from_record
from scraper.models import Article
from tests.crawl.crawl_support import (
    NewsSite,
    counts,
    crawl,
    json_files,
    jsonl_lines_per_url,
    query,
    settings,
    write_config,
)
from tests.crawl.sites import Site


def test_a_stored_record_gives_back_the_same_article() -> None:
    article = Article(
        url="http://a.test/n/1",
        final_url="http://a.test/n/1?x",
        text="One two three.\n\nFour five.",
        title="T",
        authors=("A B", "C D"),
        tags=("x",),
        published="2024-05-01T08:00:00+00:00",
    )
    assert article_from_record(article.to_dict()) == article


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_kill_around_the_write_is_repaired_by_the_next_run(
    tmp_path: Path, site_a: Site, when: str
) -> None:
    news = NewsSite(site_a)
    for n in range(4):
        news.add_article(n)
    news.list_all()
    sources = [news.source()]
    cfg = write_config(tmp_path, sources)

    died = subprocess.run(
        [sys.executable, "-m", "tests.crawl.crash_driver", str(cfg), when, "2"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert died.returncode == -signal.SIGKILL, died.stderr
    assert query(tmp_path, "SELECT count(*) FROM articles WHERE exported = 0") == [(1,)]
    written_before = len(jsonl_lines_per_url(tmp_path))
    assert written_before == (1 if when == "before" else 2)

    report = crawl(settings(tmp_path, sources))

    assert report.exported_pending == 1
    assert counts(report)["fetched"] == 2  # the two articles the dead run never reached
    urls = {site_a.url(path) for path in news.paths}
    assert jsonl_lines_per_url(tmp_path) == dict.fromkeys(urls, 1)
    assert set(json_files(tmp_path)) == urls
    assert query(tmp_path, "SELECT count(*) FROM articles WHERE exported = 0") == [(0,)]
