"""Section D, case 30: crawler traps, through a real crawl of a section page that lists them.

The crawler never follows links out of article pages: discovery reads the configured feeds,
sitemaps and section pages only (one hop). So a trap reaches the frontier as links on such a
page, and every discovered link goes through ``normalise_url``, where the caps live.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

from scraper.discover.urls import MAX_URL_LENGTH, normalise_url
from tests.crawl.sites import article_text, section_page
from tests.faults.conftest import FaultRecorder
from tests.faults.content_support import article_html, run_crawl, state_rows, story, write_config
from tests.faults.hostile import HostileServer, Request, respond

BUDGET = 20  # the source's max_pages: the per-host page budget here (one source, one host)
CALENDAR = 500


def _calendar(month: int) -> str:
    return f"/events/2024/05/01/whats-on-in-the-harbour-town?month={month}"


def _trap_links() -> tuple[list[str], list[str]]:
    """(links on the section page, the paths that may be fetched), page order."""
    stories = [story(n) for n in range(1, 4)]
    variants = [
        variant
        for n, path in enumerate(stories)
        for variant in (
            path,
            f"{path}?utm_source=feed&utm_medium=rss&fbclid=abc{n}",
            f"{path}#comments",
            f"{path};jsessionid=A1B2C3D4E5F6{n}",
            f"{path}?PHPSESSID=9f8e7d6c5b4a{n}",
        )
    ]
    repeated_twice = "/news/a/a/2024/05/01/harbour-story-number-8"  # allowed: 2 in a row
    traps = [
        "/news/a/a/a/2024/05/01/harbour-story-number-9",
        "/news/a/b/a/b/a/b/2024/05/01/harbour-story-number-10",
        "".join(f"/d{n}" for n in range(21)) + "/harbour-story-number-11",  # 22 segments
        "/news/2024/05/01/" + "x" * 100_000,  # a 100 KB URL
        "/news/2024/05/01/harbour-story-" + "y" * (MAX_URL_LENGTH - 40),  # just over 2083
    ]
    calendar = [_calendar(month) for month in range(1, CALENDAR + 1)]
    return [*variants, repeated_twice, *traps, *calendar], [*stories, repeated_twice, *calendar]


async def _any_article(request: Request, writer: asyncio.StreamWriter) -> None:
    # Every path is an article of its own (seeded by the path), so none is a copy of another.
    page = article_html(f"Page {request.target[:60]}", article_text(request.target))
    await respond(page.encode())(request, writer)


def test_crawler_traps_are_cut_and_the_page_budget_stops_the_crawl(
    fault: FaultRecorder, hostile: HostileServer, tmp_path: Path
) -> None:
    fault.case(30, "crawler traps", expected=f"duplicates once, traps dropped, {BUDGET} pages")
    links, fetchable = _trap_links()
    hostile.route("/robots.txt", respond(b"", status=404))
    hostile.route("/world/", respond(section_page(links)))
    hostile.fallback = _any_article
    source = {"name": "traps", "sections": [hostile.url("/world/")], "max_pages": BUDGET}

    finished = run_crawl(write_config(tmp_path, [source]))
    fault.child_peak(finished.peak_kib)

    assert finished.returncode == 0, finished.stderr
    fetched = [r.target for r in hostile.requests if r.path not in ("/robots.txt", "/world/")]
    assert len(fetched) == BUDGET  # the budget, not the trap, ended the crawl
    assert len(set(fetched)) == len(fetched)  # no page twice
    assert fetched == fetchable[:BUDGET]  # stories once each, then a/a, then the calendar
    queued = [url for (url,) in state_rows(tmp_path, "SELECT url FROM urls")]
    assert len(queued) == len(fetchable)  # the rest of the calendar waits for later runs
    assert max(map(len, queued)) <= MAX_URL_LENGTH
    assert all(len(urlsplit(url).path.split("/")) <= 21 for url in queued)
    assert not any("/a/a/a/" in url or "/a/b/a/b/a/b/" in url for url in queued)
    assert not any("session" in url.lower() or "utm_" in url or "#" in url for url in queued)
    assert normalise_url(hostile.url(_calendar(1)) + "#x") == hostile.url(_calendar(1))
    fault.observed(
        f"{len(links)} links -> {len(queued)} queued (traps dropped, duplicates merged);"
        f" {len(fetched)} fetched, each once, then the budget stopped it ({finished.seconds:.1f}s)"
    )
