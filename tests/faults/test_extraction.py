"""Section D, cases 28-29: pathological HTML and a parser that crashes.

28 runs each page through the crawl's real extraction pool (pebble, one worker) and measures
the time and the worker's peak memory. 29 runs the crawler as the real CLI three times with a
``sitecustomize`` on PYTHONPATH (tests/faults/crash_site) that makes the extraction worker
SIGSEGV itself on a marker page.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from scraper.config import ExtractSettings
from scraper.crawl.pool import ExtractionPool
from scraper.discover.sections import section_links
from scraper.errors import ExtractError
from scraper.fetch.page import page_from_bytes
from scraper.models import Page
from tests.faults.conftest import FaultRecorder
from tests.faults.content_support import (
    article_html,
    run_crawl,
    state_rows,
    story,
    write_config,
)
from tests.faults.crash_site.sitecustomize import MARKER
from tests.faults.hostile import HostileServer, respond
from tests.faults.peak import PeakWatch, largest_descendant_kib

CRASH_SITE = Path(__file__).with_name("crash_site")
PRODUCTION_LIMIT = 30.0  # crawl.extract_timeout's default
URL = "https://news.example/2024/05/01/a-pathological-page"

# -- 28 pathological HTML ---------------------------------------------------------------------


def _around(inner: str) -> str:
    """``inner`` after a short article, so a page that gets through has something to give."""
    return article_html("A pathological page", head="").replace("</article>", inner + "</article>")


@dataclass(frozen=True)
class Pathology:
    name: str
    html: str
    limit: float  # the pool's time limit for this page
    expected: str  # error code, or "article"


# One paragraph of 5 MB (sentences, so that it reads as article text).
BIG_TEXT = _around(
    "<p>" + "The council met on Monday to discuss the harbour wall. " * 90_000 + "</p>"
)
PATHOLOGIES = [
    Pathology("100k nested div", _around("<div>" * 100_000 + "deep" + "</div>" * 100_000),
              PRODUCTION_LIMIT, "pathological_html"),
    Pathology("5 MB text node", BIG_TEXT, PRODUCTION_LIMIT, "article"),
    # The same page under a limit it cannot meet: the worker is stopped and replaced.
    Pathology("5 MB text node, 0.2 s limit", BIG_TEXT, 0.2, "extraction_timeout"),
    Pathology("10^6 <a> tags", _around("".join(f"<a href=/n/{i:07}>x</a>" for i in range(10**6))),
              PRODUCTION_LIMIT, "pathological_html"),
    Pathology("50k attributes", _around("<div " + " ".join(f"a{i}=v" for i in range(50_000)) + ">"),
              PRODUCTION_LIMIT, "pathological_html"),
]  # fmt: skip


async def _extract(pages: list[Page], limit: float) -> list[tuple[str, float]]:
    """(outcome, seconds) of each page in turn, in one pool with one worker."""
    outcomes = []
    async with ExtractionPool(1, limit) as pool:
        await pool.run(int)  # the worker is up: its start-up is not the page's time
        for page in pages:
            started = time.monotonic()
            try:
                await pool.extract(page, ExtractSettings(), None)
                outcome = "article"
            except ExtractError as exc:
                outcome = exc.code
            outcomes.append((outcome, time.monotonic() - started))
    return outcomes


@pytest.mark.parametrize("pathology", PATHOLOGIES, ids=[p.name for p in PATHOLOGIES])
def test_pathological_html_ends_within_the_limit(
    fault: FaultRecorder, pathology: Pathology
) -> None:
    fault.case(28, pathology.name, expected=f"{pathology.expected} within {pathology.limit:g}s")
    page = page_from_bytes(pathology.html.encode(), URL)
    normal = page_from_bytes(article_html("A normal page after it").encode(), URL)

    with PeakWatch(os.getpid(), largest_descendant_kib) as worker:
        (outcome, seconds), (after, _) = asyncio.run(_extract([page, normal], pathology.limit))
    fault.child_peak(worker.kib)

    assert outcome == pathology.expected
    assert seconds < pathology.limit + 1
    assert after == "article"  # the pool (a fresh worker if one was killed) goes on
    fault.observed(
        f"{outcome} after {seconds:.2f}s ({len(page.html) / 2**20:.1f} MiB page); next page ok;"
        f" worker peak {worker.kib / 1024:.0f} MiB"
    )


def test_section_discovery_keeps_at_most_1000_outlinks(fault: FaultRecorder) -> None:
    fault.case(28, "10^6 <a> on a section page", expected="<= 1000 outlinks, bounded time")
    anchors = "".join(f"<a href=/n/{i:07}>x</a>" for i in range(10**6))
    html = f"<html><body><main>{anchors}</main></body></html>"
    started = time.monotonic()

    links = section_links(html, "https://news.example/world/")

    seconds = time.monotonic() - started
    assert len(links) == 1000
    assert links[0].url == "https://news.example/n/0000000"
    assert seconds < 15
    for shape in ("<div>" * 100_000, "<div " + " ".join(f"a{i}" for i in range(50_000)) + ">"):
        with pytest.raises(ExtractError) as caught:  # refused before lexbor's quadratic parse
            section_links(f"<html><body>{shape}</body></html>", "https://news.example/world/")
        assert caught.value.code == "pathological_html"
    fault.observed(f"{len(links)} links of 10^6 anchors in {seconds:.2f}s; deep/wide refused")


# -- 29 parser crash --------------------------------------------------------------------------


def test_a_crashing_parser_costs_one_page_and_is_quarantined_after_two_crashes(
    fault: FaultRecorder, hostile: HostileServer, tmp_path: Path
) -> None:
    fault.case(29, "extractor SIGSEGV", expected="crawl goes on; extractor_crashed; quarantined")
    crash, fine = story("crash"), [story(1), story(2)]
    hostile.route(crash, respond(article_html(f"A page with the {MARKER}").encode()))
    for path in fine:
        hostile.route(path, respond(article_html(f"A fine page {path}").encode()))
    urls = [hostile.url(path) for path in (crash, *fine)]
    cfg = write_config(tmp_path, [{"name": "crash", "start_urls": urls}])
    log = tmp_path / "crash.log"
    env = {"PYTHONPATH": str(CRASH_SITE), "SCRAPER_CRASH_LOG": str(log)}

    runs = [run_crawl(cfg, env=env) for _ in range(3)]
    for run in runs:
        fault.child_peak(run.peak_kib)

    def row(path: str) -> tuple[str, int, str | None]:
        query = "SELECT status, failures, reason FROM urls WHERE url = ?"
        status, failures, reason = state_rows(tmp_path, query, hostile.url(path))[0]
        return status, failures, reason

    assert all("Traceback" not in run.stderr for run in runs), runs[0].stderr
    assert row(crash) == ("failed", 2, "extractor_crashed")
    assert [row(path)[0] for path in fine] == ["done", "done"]
    assert len(state_rows(tmp_path, "SELECT url FROM articles")) == 2
    assert len(hostile.requests_for(crash)) == 2  # run 3 left the quarantined page alone
    events = [line.split() for line in log.read_text().splitlines()]
    crashed = [int(pid) for event, pid in events if event == "crash"]
    loaded = {int(pid) for event, pid in events if event == "loaded"}
    assert len(crashed) == 2 and not {run.pid for run in runs} & set(crashed)
    assert {run.pid for run in runs} < loaded and len(loaded) > len(runs)  # + forkservers
    fault.observed(
        f"2 worker SIGSEGVs (pids {crashed}) in runs 1-2, 2 articles saved in run 1;"
        f" run 3 did not fetch it (failed, extractor_crashed, failures=2);"
        f" runs {', '.join(f'{r.seconds:.1f}s' for r in runs)}"
    )
