"""The crawl loop in-process against real HTTP servers on 127.0.0.1 and 127.0.0.2, real SQLite
and real output files: what gets fetched, when, and what the output holds afterwards."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime, timedelta

from scraper.crawl.state import CrawlState
from scraper.fetch.archive import pages_from_warc
from tests.crawl.crawl_support import (
    NewsSite,
    counts,
    crawl,
    json_files,
    jsonl_lines_per_url,
    jsonl_records,
    query,
    settings,
    state_db,
)
from tests.crawl.sites import Hit, Route, Site, article_page, article_text

DISCOVERY = ["/feed.xml", "/sitemap.xml", "/sitemap-news.xml", "/world/"]


def news_site(site: Site, articles: int) -> NewsSite:
    news = NewsSite(site)
    for n in range(articles):
        news.add_article(n)
    news.list_all()
    return news


def article_hits(site: Site) -> list[str]:
    return [path for path in site.paths() if path.startswith("/news/")]


def test_first_run_fetches_every_article_once_and_a_second_run_only_rereads_lists(
    tmp_path, site_a
) -> None:
    news = news_site(site_a, 6)
    config = settings(tmp_path, [news.source()])

    first = crawl(config)

    assert counts(first) | {"found": 6, "fetched": 6, "new": 6, "failed": 0} == counts(first)
    assert sorted(article_hits(site_a)) == sorted(news.paths)  # each exactly once
    assert sorted(set(site_a.paths()) - set(news.paths)) == sorted(["/robots.txt", *DISCOVERY])
    urls = {site_a.url(path) for path in news.paths}
    assert set(json_files(tmp_path)) == urls
    assert jsonl_lines_per_url(tmp_path) == dict.fromkeys(urls, 1)
    assert first.stopped_by is None

    site_a.hits.clear()
    second = crawl(config)

    assert counts(second)["fetched"] == 0
    assert counts(second)["found"] == 6
    # robots.txt comes from the state's cache; no article is asked for again
    assert sorted(site_a.paths()) == sorted(DISCOVERY)
    assert jsonl_lines_per_url(tmp_path) == dict.fromkeys(urls, 1)
    with CrawlState.open(state_db(tmp_path)) as state:
        assert state.pending_exports() == []
        assert state.counts("news")["done"] == 6


def test_a_moved_date_refetches_conditionally_and_updates_the_output(tmp_path, site_a) -> None:
    news = news_site(site_a, 3)  # feed: 0, sitemap: 1, section: 2
    config = settings(tmp_path, [news.source()])
    crawl(config)
    changed, same = news.paths[0], news.paths[1]
    old_text = json_files(tmp_path)[site_a.url(changed)]["text"]

    news.add_article(0, version=2)  # new body, new ETag
    # Feed dates have whole seconds: a date a little ahead is surely after the first fetch.
    now = datetime.now(UTC) + timedelta(seconds=2)
    news.list_all(dates={changed: now, same: now})  # the sitemap date moves, the page does not
    site_a.hits.clear()
    second = crawl(config)

    assert counts(second) | {"fetched": 2, "updated": 1, "not_modified": 1} == counts(second)
    assert sorted(article_hits(site_a)) == sorted([changed, same])
    asked = {hit.path: hit.headers.get("if-none-match") for hit in site_a.hits}
    assert asked[changed] == '"0-v1"'
    assert asked[same] == '"1-v1"'
    new_text = json_files(tmp_path)[site_a.url(changed)]["text"]
    assert new_text != old_text
    assert new_text.startswith(article_text("0-2")[0][:40])
    lines = [r for r in jsonl_records(tmp_path) if r["url"] == site_a.url(changed)]
    assert [r["text"] for r in lines] == [old_text, new_text]  # the log's last line is current
    assert jsonl_lines_per_url(tmp_path)[site_a.url(same)] == 1
    assert query(tmp_path, "SELECT count(*) FROM articles WHERE exported = 0") == [(0,)]


def test_without_an_output_dir_articles_wait_in_the_state_then_are_written(
    tmp_path, site_a
) -> None:
    news = news_site(site_a, 3)
    config = settings(tmp_path, [news.source()])
    kept = config.model_copy(update={"write": config.write.model_copy(update={"output_dir": None})})

    first = crawl(kept)

    assert counts(first)["new"] == 3
    assert "articles kept in the state DB only" in first.summary()
    assert not (tmp_path / "out").exists()
    site_a.hits.clear()
    second = crawl(config)
    assert second.exported_pending == 3
    assert counts(second)["fetched"] == 0
    assert len(json_files(tmp_path)) == 3
    assert len(jsonl_records(tmp_path)) == 3


def test_max_pages_checkpoints_and_the_next_runs_continue(tmp_path, site_a) -> None:
    news = news_site(site_a, 5)
    config = settings(tmp_path, [news.source()])

    first = crawl(config, max_pages=2)
    second = crawl(config, max_pages=2)
    third = crawl(config)

    assert [counts(r)["fetched"] for r in (first, second, third)] == [2, 2, 1]
    assert [r.stopped_by for r in (first, second, third)] == ["max_pages", "max_pages", None]
    assert sorted(article_hits(site_a)) == sorted(news.paths)
    assert len(json_files(tmp_path)) == 5


def test_a_host_budget_bounds_each_host_and_leaves_the_rest_queued(
    tmp_path, site_a, site_b
) -> None:
    big, small = news_site(site_a, 5), news_site(site_b, 2)
    config = settings(tmp_path, [big.source(name="big"), small.source(name="small")],
                      max_pages_per_host=3)  # fmt: skip

    first = crawl(config)
    second = crawl(config)

    assert (counts(first, "big")["fetched"], counts(first, "small")["fetched"]) == (3, 2)
    assert (counts(second, "big")["fetched"], counts(second, "small")["fetched"]) == (2, 0)
    # Each article asked for once over the two runs, on either host.
    assert sorted(article_hits(site_a)) == sorted(big.paths)
    assert sorted(article_hits(site_b)) == sorted(small.paths)


def test_max_time_stops_taking_work_lets_in_flight_finish_and_the_next_run_continues(
    tmp_path, site_a
) -> None:
    news = news_site(site_a, 6)
    for path in news.paths:
        route = site_a.routes[path]
        assert isinstance(route, Route)
        route.delay = 0.3
    config = settings(tmp_path, [news.source()])

    first = crawl(config, max_time=0.8)

    assert first.stopped_by == "max_time"
    fetched = counts(first)["fetched"]
    assert 1 <= fetched < 6
    # every page that was asked for was also recorded and written: nothing was cut off
    assert len(article_hits(site_a)) == fetched
    assert len(json_files(tmp_path)) == fetched
    second = crawl(config)
    assert counts(second)["fetched"] == 6 - fetched
    assert sorted(article_hits(site_a)) == sorted(news.paths)


def test_near_duplicate_copies_on_two_hosts_become_one_story_written_once(
    tmp_path, site_a, site_b
) -> None:
    text = article_text("wire", paragraphs=6, words=30)
    path = "/news/2024/05/01/harbour-wire-story-shared"
    site_a.routes[path] = Route(article_page("Wire story", text))
    copy = [*text, "This story was first published by the Harbour Wire."]
    site_b.routes[path] = Route(article_page("Wire story (copy)", copy))
    config = settings(
        tmp_path,
        [
            {"name": "first", "start_urls": [site_a.url(path)]},
            {"name": "second", "start_urls": [site_b.url(path)]},
        ],
        concurrency=1,  # one request at a time: the original is recorded first
    )

    report = crawl(config)

    assert counts(report) | {"fetched": 2, "new": 1, "duplicate": 1} == counts(report)
    stories = query(tmp_path, "SELECT url, story_id, exported FROM articles ORDER BY url")
    assert len(stories) == 2
    assert stories[0][1] == stories[1][1]
    assert len(json_files(tmp_path)) == 1
    assert len(jsonl_records(tmp_path)) == 1


def test_an_extraction_timeout_costs_that_page_only(tmp_path, site_a) -> None:
    news = news_site(site_a, 3)
    heavy = "/news/2024/05/01/harbour-story-very-heavy-page"
    # about 0.6 s of extraction, against a limit of 0.3 s (the light pages take ~10 ms)
    site_a.routes[heavy] = Route(article_page("Heavy", article_text("heavy", 12000, 24)))
    config = settings(
        tmp_path,
        [news.source(start_urls=[site_a.url(heavy)])],
        extract_timeout=0.3,
    )

    report = crawl(config)

    assert counts(report) | {"fetched": 4, "new": 3, "failed": 1} == counts(report)
    assert report.stats["totals"]["failed_reasons"] == {"extraction_timeout": 1}
    assert len(json_files(tmp_path)) == 3
    row = query(tmp_path, "SELECT status, reason FROM urls WHERE url = ?", site_a.url(heavy))
    assert row == [("pending", "extraction_timeout")]  # tried again next run, up to the limit


def test_a_hosts_next_page_is_fetched_while_its_last_one_is_extracted(tmp_path, site_a) -> None:
    """One request at a time to the host, yet its pages do not wait for each other's
    extraction: the light pages listed after a heavy one are recorded before it."""
    news = NewsSite(site_a)
    heavy = "/news/2024/05/01/harbour-story-very-heavy-page"
    site_a.routes[heavy] = Route(article_page("Heavy", article_text("heavy", 3000, 24)))
    urls = [site_a.url(heavy), *(site_a.url(news.add_article(n)) for n in range(3))]
    config = settings(tmp_path, [{"name": "a", "start_urls": urls}], extract_workers=2)

    report = crawl(config)

    assert counts(report) | {"fetched": 4, "new": 4} == counts(report)
    assert article_hits(site_a)[0] == heavy
    recorded = [url for (url,) in query(tmp_path, "SELECT url FROM articles ORDER BY rowid")]
    assert sorted(recorded) == sorted(urls)
    assert recorded[-1] == site_a.url(heavy)


def test_a_host_waits_at_its_turn_while_the_crawl_holds_all_the_pages_it_may(
    tmp_path, site_a, site_b
) -> None:
    """One request slot and one extraction worker leave room for 1 + 2 x 1 pages between
    request and record: of four heavy pages on two hosts, the fourth waits for a record."""
    state = tmp_path / "state" / "crawl.sqlite"
    held: list[int] = []

    def on_hit(_count: int, hit: Hit) -> None:
        if hit.path.startswith("/news/"):
            with contextlib.closing(sqlite3.connect(f"file:{state}?mode=ro", uri=True)) as conn:
                recorded = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
            held.append(len(article_hits(site_a)) + len(article_hits(site_b)) - recorded)

    sources = []
    for name, site in (("a", site_a), ("b", site_b)):
        paths = [f"/news/2024/05/01/{name}-heavy-story-number-{n}" for n in range(2)]
        for path in paths:
            site.routes[path] = Route(article_page("Heavy", article_text(path, 1500, 24)))
        site.on_hit = on_hit
        sources.append({"name": name, "start_urls": [site.url(path) for path in paths]})

    report = crawl(settings(tmp_path, sources, concurrency=1))

    assert counts(report) | {"fetched": 4, "new": 4} == counts(report)
    assert len(held) == 4
    assert max(held) == 3


def test_every_fetched_page_is_archived_as_warc(tmp_path, site_a) -> None:
    news = news_site(site_a, 3)
    config = settings(tmp_path, [news.source()], warc_dir=str(tmp_path / "warc"))

    report = crawl(config)

    (archive,) = (tmp_path / "warc").glob("*.warc.gz")  # closed: no .open file left
    assert archive.name.startswith(f"crawl-{report.run_id:06d}-")
    pages = list(pages_from_warc(archive))
    assert sorted(page.final_url for page in pages) == sorted(site_a.url(p) for p in news.paths)
    assert {page.status for page in pages} == {200}
