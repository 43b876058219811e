"""Section C, robots.txt (reliability.md 17, 18, 19, 21): whole crawls against hostile robots.txt
answers, run in-process (``run_crawl``) or as the real CLI, every host a HostileServer."""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scraper.config import CrawlSettings, FetchSettings, Settings, settings_from_mapping
from scraper.crawl.runner import run_crawl
from scraper.crawl.stats import CrawlReport
from scraper.fetch.robots import ALLOW_ALL, DISALLOW_ALL, RULES, robots_origin
from tests.crawl.crawl_support import config
from tests.faults.conftest import FaultRecorder
from tests.faults.crawl_hosts import REPO, NewsHost, crawl_cli, fault_config
from tests.faults.hostile import Handler, HostileServer, Request, close_now, hang, respond

KiB = 1024
MiB = 1024 * KiB
TEXT = (("Content-Type", "text/plain"),)
DISALLOW_ROOT = b"User-agent: *\nDisallow: /\n"


# -- builders shared by the cases ---------------------------------------------------------------


def robots_settings(
    tmp_path: Path, sources: list[dict[str, Any]], *, fetch: dict[str, Any] | None = None
) -> Settings:
    """crawl_support's scaled-down settings; 127.0.0.x may be crawled where that is a setting."""
    mapping = config(tmp_path, sources)
    mapping["fetch"].update(fetch or {})
    if "allow_private_addresses" in FetchSettings.model_fields:
        mapping["fetch"]["allow_private_addresses"] = True
    return settings_from_mapping(mapping)


def run(settings: Settings) -> CrawlReport:
    return asyncio.run(run_crawl(settings))


def state_db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "crawl.sqlite"


def robots_rows(tmp_path: Path) -> dict[str, tuple[str, int, datetime]]:
    """origin -> (verdict, body length, fetched_at) as the crawl state keeps them."""
    with closing(sqlite3.connect(state_db(tmp_path))) as conn:
        rows = conn.execute("SELECT origin, verdict, length(body), fetched_at FROM robots")
        return {o: (v, n, datetime.fromisoformat(t)) for o, v, n, t in rows.fetchall()}


def age_robots(tmp_path: Path, origin: str, by: timedelta) -> None:
    """Move a stored robots.txt record back in time, as if it had been fetched ``by`` earlier."""
    fetched_at = robots_rows(tmp_path)[origin][2] - by
    with closing(sqlite3.connect(state_db(tmp_path))) as conn, conn:
        stamp = fetched_at.isoformat(timespec="microseconds")  # the state's fixed-width format
        conn.execute("UPDATE robots SET fetched_at = ? WHERE origin = ?", (stamp, origin))


def url_status(tmp_path: Path) -> dict[str, tuple[str, str | None]]:
    with closing(sqlite3.connect(state_db(tmp_path))) as conn:
        rows = conn.execute("SELECT url, status, reason FROM urls").fetchall()
    return {url: (status, reason) for url, status, reason in rows}


def robots_hits(server: HostileServer) -> int:
    return len(server.requests_for("/robots.txt"))


def skipped(report: CrawlReport, reason: str) -> int:
    return int(report.stats["totals"]["skipped_reasons"].get(reason, 0))


def totals(report: CrawlReport) -> dict[str, int]:
    return {k: v for k, v in report.stats["totals"].items() if isinstance(v, int)}


@pytest.fixture
def news(hostile: HostileServer) -> NewsHost:
    """Two articles on 127.0.0.1 (and /private/story, /secret/story); robots.txt from a route."""
    host = NewsHost(hostile, 2)
    for path in ("/private/story", "/secret/story"):
        host.pages[path] = b""  # served as an article (NewsHost fills in the body)
    return host


def start_urls(host: NewsHost, *paths: str) -> list[dict[str, Any]]:
    urls = sorted(host.urls()) + [host.server.url(path) for path in paths]
    return [{"name": "site", "start_urls": urls}]


# -- 17 ------------------------------------------------------------------------------------------


def test_case17_disallow_all_costs_one_request_and_scrape_refuses(
    tmp_path: Path, fault: FaultRecorder, news: NewsHost
) -> None:
    fault.case(
        17,
        "robots.txt disallows everything",
        expected="1 request (robots.txt); pages, feed, sitemap, section robots_disallowed; "
        "exit 0 + summary; scrape refuses (exit 4) unless --ignore-robots",
    )
    server = news.server
    server.route("/robots.txt", respond(DISALLOW_ROOT, headers=TEXT))
    pages = sorted(news.urls())
    source = {
        "name": "site",
        "start_urls": pages,
        "feeds": [server.url("/feed.xml")],
        "sitemaps": [server.url("/sitemap.xml")],
        "sections": [server.url("/world/")],
    }
    stats_path = tmp_path / "stats.json"
    crawled = crawl_cli(tmp_path, fault_config(tmp_path, [source]), "--stats-json", str(stats_path))
    finished = crawled.wait()
    fault.child_peak(finished.peak_kib)

    assert finished.code == 0, finished.stderr
    assert [request.path for request in server.requests] == ["/robots.txt"]
    totals = json.loads(stats_path.read_text())["totals"]
    assert totals["skipped_reasons"] == {"robots_disallowed": 5}  # 2 pages, feed, sitemap, section
    assert totals["fetched"] == totals["failed"] == 0
    summary = [line for line in finished.stderr.splitlines() if line.startswith("crawl run ")]
    assert len(summary) == 1 and "skipped 5" in summary[0], finished.stderr
    assert "Traceback" not in finished.stderr

    refused = _scrape(pages[0])
    assert refused.returncode == 4, refused.stderr
    errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "robots.txt" in errors[0] and pages[0] in errors[0], refused.stderr
    assert refused.stdout == ""
    assert not news.article_requests()

    ignored = _scrape(pages[0], "--ignore-robots")
    assert ignored.returncode == 0, ignored.stderr
    assert ignored.stdout.startswith("Story ")
    assert len(news.article_requests()) == 1
    fault.observed(
        f"crawl exit {finished.code}, requests {[r.path for r in server.requests[:1]]}, "
        f"skipped {totals['skipped_reasons']}; scrape exit {refused.returncode} "
        f"({errors[0][:60]}...), --ignore-robots exit {ignored.returncode}"
    )


def _scrape(url: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scraper", "scrape", url, *flags],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# -- 18 ------------------------------------------------------------------------------------------

# (name, handler, verdict): RFC 9309 §2.3.1.3-4. 401 and 403 are plain 4xx (allow), as in the RFC,
# Nutch (http.robots.403.allow) and StormCrawler; a site that wants us out says so in the file.
STATUS_MATRIX: list[tuple[str, Handler, str]] = [
    ("500", respond(b"oops", status=500, headers=TEXT), DISALLOW_ALL),
    ("503", respond(b"maintenance", status=503, headers=TEXT), DISALLOW_ALL),
    ("429", respond(b"slow down", status=429, headers=TEXT), DISALLOW_ALL),
    ("timeout", hang, DISALLOW_ALL),
    ("reset", close_now, DISALLOW_ALL),
    ("404", respond(b"not found", status=404, headers=TEXT), ALLOW_ALL),
    ("410", respond(b"gone", status=410, headers=TEXT), ALLOW_ALL),
    ("401", respond(b"who are you", status=401, headers=TEXT), ALLOW_ALL),
    ("403", respond(b"forbidden", status=403, headers=TEXT), ALLOW_ALL),
    ("empty 200", respond(b"", headers=TEXT), RULES),
    (
        "binary 200",
        respond(bytes(range(256)) * 16, headers=(("Content-Type", "application/octet-stream"),)),
        RULES,
    ),
    (
        "html error page 200",
        respond(b"<html><body><h1>Error</h1><p>Disallow: /</p></body></html>"),
        RULES,
    ),
]


@pytest.mark.parametrize("answer", STATUS_MATRIX, ids=[row[0] for row in STATUS_MATRIX])
def test_case18_robots_status_matrix(
    tmp_path: Path, fault: FaultRecorder, news: NewsHost, answer: tuple[str, Handler, str]
) -> None:
    name, handler, verdict = answer
    blocked = verdict == DISALLOW_ALL
    fault.case(
        18,
        f"robots.txt answers {name}",
        expected="disallow all this run, asked again after <= 1 h"
        if blocked
        else "allow (pages fetched)",
    )
    news.server.route("/robots.txt", handler)
    settings = robots_settings(tmp_path, start_urls(news), fetch={"total_timeout": 1.0})
    origin = robots_origin(news.server.origin)

    report = run(settings)

    stored, _, _ = robots_rows(tmp_path)[origin]
    assert stored == verdict
    if not blocked:
        assert totals(report)["new"] == 2
        assert len(news.article_requests()) == 2
        assert report.dropped_hosts == {}
        fault.observed(f"verdict {stored}; {totals(report)['new']} articles fetched")
        return
    assert news.article_requests() == []
    assert set(report.dropped_hosts.values()) == {"robots_unreachable"}
    assert {status for status, _ in url_status(tmp_path).values()} == {"pending"}
    again = run(settings)  # within the hour: the error is remembered, the host still skipped
    assert robots_hits(news.server) == 1 and again.fetched == 0
    age_robots(tmp_path, origin, timedelta(hours=settings.crawl.robots_error_cache_hours))
    run(settings)
    assert robots_hits(news.server) == 2  # an hour on: asked again
    fault.observed(
        f"verdict {stored}, 0 pages requested, host dropped (robots_unreachable); "
        f"not re-asked within the hour, re-asked after {settings.crawl.robots_error_cache_hours} h"
    )


# -- 19 ------------------------------------------------------------------------------------------


def test_case19_only_the_first_512_kib_of_a_2_mib_robots_txt_is_parsed(
    tmp_path: Path, fault: FaultRecorder, news: NewsHost
) -> None:
    fault.case(
        19,
        "2 MiB robots.txt",
        expected="rule at 100 KiB applies, rule at 1 MiB does not (parse limit 512 KiB)",
    )
    body = _big_robots({100 * KiB: b"Disallow: /private\n", MiB: b"Disallow: /secret\n"}, 2 * MiB)
    news.server.route("/robots.txt", respond(body, headers=TEXT))
    settings = robots_settings(tmp_path, start_urls(news, "/private/story", "/secret/story"))

    report = run(settings)

    statuses = url_status(tmp_path)
    assert statuses[news.server.url("/private/story")] == ("skipped", "robots_disallowed")
    assert statuses[news.server.url("/secret/story")][0] == "done"
    assert news.server.requests_for("/private/story") == []
    _, kept, _ = robots_rows(tmp_path)[robots_origin(news.server.origin)]
    assert 100 * KiB < kept <= settings.crawl.robots_max_bytes
    fault.observed(
        f"{len(body)} B served, {kept} B kept; /private refused, /secret fetched, "
        f"{totals(report)['new']} articles"
    )


def _big_robots(rules: dict[int, bytes], size: int) -> bytes:
    """``User-agent: *``, then comment lines, with each rule placed at its offset."""
    out = bytearray(b"User-agent: *\n")
    for offset, rule in sorted(rules.items()):
        _pad_to(out, offset)
        out += rule
    _pad_to(out, size)
    return bytes(out)


def _pad_to(out: bytearray, offset: int) -> None:
    while len(out) < offset:
        line = b"#" + b"x" * min(78, max(offset - len(out) - 2, 0)) + b"\n"
        out += line


def _redirects(server: HostileServer, hops: int, final: Handler) -> list[str]:
    """/robots.txt -> /hop1 -> ... -> /final: ``hops`` redirects in all."""
    names = ["/robots.txt"] + [f"/hop{n}" for n in range(1, hops)] + ["/final"]
    for here, there in itertools.pairwise(names):
        server.route(here, respond(b"", status=302, headers=(("Location", there),)))
    server.route("/final", final)
    return names


@pytest.mark.parametrize("hops", [5, 6])
def test_case19_robots_redirect_chains(
    tmp_path: Path, fault: FaultRecorder, news: NewsHost, hops: int
) -> None:
    followed = hops <= 5
    fault.case(
        19,
        f"robots.txt behind {hops} redirects",
        expected="followed, its rules apply" if followed else "unavailable -> allow all",
    )
    chain = _redirects(
        news.server, hops, respond(b"User-agent: *\nDisallow: /private\n", headers=TEXT)
    )
    settings = robots_settings(tmp_path, start_urls(news, "/private/story"))

    report = run(settings)

    asked = [r.path for r in news.server.requests if not r.path.startswith(("/news/", "/priv"))]
    private = url_status(tmp_path)[news.server.url("/private/story")]
    if followed:
        assert asked == chain
        assert private == ("skipped", "robots_disallowed")
    else:
        assert asked == chain[:-1]  # the 6th redirect is not followed
        assert private[0] == "done"
    assert totals(report)["new"] == (2 if followed else 3)
    fault.observed(f"{len(asked)} robots requests, /private/story {private[0]}")


def test_case19_a_robots_redirect_to_another_host_is_followed_for_the_first_origin(
    tmp_path: Path, fault: FaultRecorder, news: NewsHost, hostile2: HostileServer
) -> None:
    fault.case(
        19,
        "robots.txt redirects to another host",
        expected="followed (RFC 9309 2.3.1.2); the rules found apply to the origin asked about",
    )
    hostile2.route("/robots.txt", respond(b"User-agent: *\nDisallow: /private\n", headers=TEXT))
    location = hostile2.url("/robots.txt")
    news.server.route("/robots.txt", respond(b"", status=301, headers=(("Location", location),)))
    settings = robots_settings(tmp_path, start_urls(news, "/private/story"))

    report = run(settings)

    assert [r.path for r in hostile2.requests] == ["/robots.txt"]
    assert url_status(tmp_path)[news.server.url("/private/story")][1] == "robots_disallowed"
    assert totals(report)["new"] == 2
    rows = robots_rows(tmp_path)
    assert set(rows) == {robots_origin(news.server.origin)}  # kept for the origin asked about
    fault.observed(
        f"other host asked once; its rules kept for {robots_origin(news.server.origin)}; "
        "/private refused"
    )


# -- 21 ------------------------------------------------------------------------------------------


class Switch:
    """A robots.txt handler a test can change between runs."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    async def __call__(self, request: Request, writer: asyncio.StreamWriter) -> None:
        await self.handler(request, writer)


@pytest.fixture
def two_sites(hostile: HostileServer, hostile2: HostileServer) -> list[NewsHost]:
    return [NewsHost(hostile, 2), NewsHost(hostile2, 2)]


def test_case21_robots_txt_is_cached_across_cron_runs(
    tmp_path: Path, fault: FaultRecorder, two_sites: list[NewsHost]
) -> None:
    fault.case(
        21,
        "robots.txt cache across cron runs",
        expected="one fetch covers two runs (SQLite, fetched_at); again after 24 h; errors <= 1 h",
    )
    good, down = two_sites
    good.server.route("/robots.txt", respond(b"User-agent: *\nAllow: /\n", headers=TEXT))
    flaky = Switch(respond(b"down", status=503, headers=TEXT))
    down.server.route("/robots.txt", flaky)
    settings = robots_settings(tmp_path, [good.source("good"), down.source("down")])
    good_origin, down_origin = (robots_origin(h.server.origin) for h in two_sites)
    defaults = CrawlSettings()
    assert (defaults.robots_cache_hours, defaults.robots_error_cache_hours) == (24.0, 1.0)

    first = run(settings)
    second = run(settings)  # the next cron run: both answers come from the state
    rows = robots_rows(tmp_path)
    assert (robots_hits(good.server), robots_hits(down.server)) == (1, 1)
    assert rows[good_origin][0] == RULES and rows[down_origin][0] == DISALLOW_ALL
    assert len(good.server.requests_for("/sitemap.xml")) == 2  # each run did ask robots
    assert first.stats["totals"]["new"] == 2 and second.dropped_hosts  # the 503 host: skipped

    flaky.handler = respond(b"User-agent: *\nAllow: /\n", headers=TEXT)
    for origin in (good_origin, down_origin):
        age_robots(tmp_path, origin, timedelta(hours=1, minutes=1))
    third = run(settings)  # 61 min on: only the error is asked again
    assert (robots_hits(good.server), robots_hits(down.server)) == (1, 2)
    assert third.stats["sources"]["down"]["new"] == 2 and not third.dropped_hosts

    age_robots(tmp_path, good_origin, timedelta(hours=25))
    run(settings)  # 25 h on: the good answer is asked again too
    assert robots_hits(good.server) == 2
    assert robots_rows(tmp_path)[good_origin][2] > rows[good_origin][2]
    fault.observed(
        "robots.txt fetches per run (good, 503-then-ok): (1,1) (0,0) (0,1 after 61 min) "
        "(1,0 after 25 h); fetched_at stored in SQLite"
    )
