"""robots.txt, Crawl-delay and Retry-After as a whole crawl meets them, on two hosts at once."""

from __future__ import annotations

import itertools

from tests.crawl.crawl_support import NewsSite, counts, crawl, query, settings
from tests.crawl.sites import Hit, Route, Site


def articles(site: Site, count: int, prefix: str = "") -> list[str]:
    news = NewsSite(site)
    return [site.url(news.add_article(f"{prefix}{n}")) for n in range(count)]


def robots(site: Site, text: str, status: int = 200) -> None:
    site.routes["/robots.txt"] = Route(text.encode(), status=status, content_type="text/plain")


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def test_robots_rules_and_an_unreachable_robots_txt_are_obeyed(tmp_path, site_a, site_b) -> None:
    a_urls = articles(site_a, 4)
    b_urls = articles(site_b, 2, prefix="b")
    forbidden = a_urls[1].removeprefix(site_a.url(""))
    robots(site_a, f"User-agent: *\nDisallow: {forbidden}\n")
    robots(site_b, "down for maintenance", status=503)
    config = settings(
        tmp_path,
        [{"name": "a", "start_urls": a_urls}, {"name": "b", "start_urls": b_urls}],
    )

    report = crawl(config)

    assert forbidden not in site_a.paths()
    assert counts(report, "a") | {"fetched": 3, "new": 3, "skipped": 1} == counts(report, "a")
    assert report.stats["sources"]["a"]["skipped_reasons"] == {"robots_disallowed": 1}
    # 5xx robots.txt: the host is off limits this run, and its URLs wait for a later one
    assert site_b.paths() == ["/robots.txt"]
    assert counts(report, "b")["fetched"] == 0
    assert report.dropped_hosts == {f"127.0.0.2:{site_b.port}": "robots_unreachable"}
    statuses = dict(query(tmp_path, "SELECT url, status FROM urls"))
    assert statuses[a_urls[1]] == "skipped"
    assert [statuses[url] for url in b_urls] == ["pending", "pending"]
    assert report.failed == 0


def test_crawl_delay_spaces_requests_to_one_host(tmp_path, site_a) -> None:
    urls = articles(site_a, 3)
    robots(site_a, "User-agent: *\nCrawl-delay: 0.3\n")
    config = settings(tmp_path, [{"name": "a", "start_urls": urls}])

    report = crawl(config)

    assert counts(report)["fetched"] == 3
    spacing = gaps(site_a.times())  # robots.txt, then the three articles
    assert len(spacing) == 3
    assert min(spacing) >= 0.28, spacing


def test_retry_after_defers_the_host_while_another_host_goes_on(tmp_path, site_a, site_b) -> None:
    a_urls = articles(site_a, 2)
    b_urls = articles(site_b, 4, prefix="b")
    throttled = a_urls[0].removeprefix(site_a.url(""))

    def too_many(_: Hit) -> Route:
        return Route(b"slow down", status=429, headers={"Retry-After": "1"})

    site_a.routes[throttled] = too_many
    config = settings(
        tmp_path,
        [{"name": "a", "start_urls": a_urls}, {"name": "b", "start_urls": b_urls}],
        delay=0.05,
    )
    config = config.model_copy(update={"fetch": config.fetch.model_copy(update={"retries": 0})})

    report = crawl(config)

    a_hits = [hit for hit in site_a.hits if hit.path.startswith("/news/")]
    assert a_hits[0].path == throttled
    assert a_hits[1].at - a_hits[0].at >= 0.98  # the next request to the host waited
    b_during = [t for t in site_b.times("/news/") if a_hits[0].at < t < a_hits[1].at]
    assert len(b_during) >= 2  # the other host was not held up
    assert counts(report, "b")["new"] == 4
    assert counts(report, "a") | {"new": 1, "failed": 1} == counts(report, "a")
    row = query(tmp_path, "SELECT status, reason FROM urls WHERE url = ?", a_urls[0])
    assert row == [("pending", "http_status")]


def test_a_failing_host_is_dropped_for_the_run_and_its_urls_wait(tmp_path, site_a, site_b) -> None:
    a_urls = articles(site_a, 4)
    b_urls = articles(site_b, 2, prefix="b")
    throttled = articles(site_b, 1, prefix="slow")[0]
    for url in a_urls:
        site_a.routes[url.removeprefix(site_a.url(""))] = Route(b"down", status=503)
    site_b.routes[throttled.removeprefix(site_b.url(""))] = Route(
        b"later", status=429, headers={"Retry-After": "3600"}
    )
    config = settings(
        tmp_path,
        [{"name": "a", "start_urls": a_urls}, {"name": "b", "start_urls": [*b_urls, throttled]}],
        host_failure_limit=2,
    )
    config = config.model_copy(update={"fetch": config.fetch.model_copy(update={"retries": 0})})

    report = crawl(config)

    assert len([p for p in site_a.paths() if p.startswith("/news/")]) == 2
    assert report.dropped_hosts[f"127.0.0.1:{site_a.port}"] == "too_many_failures"
    assert report.dropped_hosts[f"127.0.0.2:{site_b.port}"] == "retry_after_too_long"
    statuses = dict(query(tmp_path, "SELECT url, status FROM urls"))
    assert [statuses[url] for url in a_urls] == ["pending"] * 4
    assert counts(report, "a") | {"fetched": 0, "failed": 2} == counts(report, "a")
    # the 429 asked for an hour: the host is left for a later run instead of a worker waiting
    assert statuses[throttled] == "pending"
