"""Discovery inside a crawl: sitemap indexes (cycles, depth, other hosts), the age limit, URL
filters, robots.txt for feeds and sitemaps, and feeds that are broken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.crawl.crawl_support import NewsSite, counts, crawl, query, settings
from tests.crawl.sites import RSS, XML, Route, Site, rss, sitemap_index, urlset


def xml(site: Site, path: str, body: bytes) -> None:
    site.routes[path] = Route(body, content_type=XML)


def queued(tmp_path) -> set[str]:
    return {url for (url,) in query(tmp_path, "SELECT url FROM urls")}


def test_sitemap_indexes_are_followed_once_two_levels_deep_on_their_own_host(
    tmp_path, site_a, site_b
) -> None:
    news_a, news_b = NewsSite(site_a), NewsSite(site_b)
    pages = [site_a.url(news_a.add_article(n)) for n in range(2)]
    elsewhere = site_b.url(news_b.add_article("b"))
    # sm.xml lists itself, sm-a.xml and a sitemap on another host; sm-a.xml lists sm.xml again
    # (a cycle), a urlset and a chain that nests one level too deep.
    on_a = site_a.url
    xml(
        site_a, "/sm.xml", sitemap_index([on_a("/sm.xml"), on_a("/sm-a.xml"), site_b.url("/b.xml")])
    )
    xml(
        site_a,
        "/sm-a.xml",
        sitemap_index([on_a(p) for p in ("/sm.xml", "/sm-pages.xml", "/sm-deep.xml")]),
    )
    xml(site_a, "/sm-pages.xml", urlset([(pages[0], None), (pages[1], None), (elsewhere, None)]))
    xml(site_a, "/sm-deep.xml", sitemap_index([site_a.url("/sm-deeper.xml")]))
    xml(site_a, "/sm-deeper.xml", urlset([(site_a.url("/news/2024/05/01/too-deep-to-see"), None)]))
    xml(site_b, "/b.xml", urlset([(elsewhere, None)]))
    config = settings(tmp_path, [{"name": "a", "sitemaps": [site_a.url("/sm.xml")]}])

    report = crawl(config)

    sitemap_hits = sorted(p for p in site_a.paths() if p.startswith("/sm"))
    assert sitemap_hits == ["/sm-a.xml", "/sm-deep.xml", "/sm-pages.xml", "/sm.xml"]
    assert site_b.paths() == []
    assert queued(tmp_path) == set(pages)
    assert report.stats["sources"]["a"]["skipped_reasons"] == {"off_host": 2, "sitemap_too_deep": 1}
    assert counts(report)["new"] == 2


def test_allow_patterns_can_vouch_for_urls_on_another_host(tmp_path, site_a, site_b) -> None:
    own = site_a.url(NewsSite(site_a).add_article(1))
    partner = site_b.url(NewsSite(site_b).add_article(2))
    xml(site_a, "/sm.xml", urlset([(own, None), (partner, None)]))
    allow = [r"^http://127\.0\.0\.[12]:\d+/news/"]
    config = settings(
        tmp_path, [{"name": "a", "sitemaps": [site_a.url("/sm.xml")], "allow": allow}]
    )

    report = crawl(config)

    assert queued(tmp_path) == {own, partner}
    assert counts(report)["new"] == 2


def test_old_items_and_denied_urls_are_not_queued(tmp_path, site_a) -> None:
    news = NewsSite(site_a)
    fresh, old, denied = (site_a.url(news.add_article(n)) for n in ("fresh", "old", "live"))
    now = datetime.now(UTC)
    items = [(fresh, now), (old, now - timedelta(days=30)), (denied, now)]
    site_a.routes["/feed.xml"] = Route(rss(items), content_type=RSS)
    source = {"name": "a", "feeds": [site_a.url("/feed.xml")], "deny": ["number-live$"]}
    config = settings(tmp_path, [source], max_age_days=7)

    report = crawl(config)

    assert queued(tmp_path) == {fresh}
    assert counts(report)["found"] == 1
    assert report.stats["totals"]["skipped_reasons"] == {"filtered": 1, "too_old": 1}


def test_discovery_obeys_robots_and_counts_broken_feeds_as_failures(tmp_path, site_a) -> None:
    news = NewsSite(site_a)
    start = site_a.url(news.add_article(1))
    site_a.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /private/\n")
    site_a.routes["/broken.xml"] = Route(b"oops", status=500, content_type="text/plain")
    site_a.routes["/page.xml"] = Route(b"<html><body>not a feed</body></html>", content_type=XML)
    feeds = [site_a.url(p) for p in ("/private/feed.xml", "/broken.xml", "/page.xml")]
    config = settings(tmp_path, [{"name": "a", "feeds": feeds, "start_urls": [start]}])

    report = crawl(config)

    assert "/private/feed.xml" not in site_a.paths()
    totals = report.stats["totals"]
    assert totals["skipped_reasons"] == {"robots_disallowed": 1}
    assert totals["failed_reasons"] == {"http_status": 1, "not_a_feed": 1}
    assert counts(report) | {"fetched": 1, "new": 1, "failed": 2} == counts(report)
