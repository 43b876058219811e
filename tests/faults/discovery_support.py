"""Shared by the feed and sitemap fault tests (reliability.md E, cases 31-35): hostile XML
documents, one real crawl run that does discovery against hostile servers, and memory probes."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from scraper.config import FetchSettings, Settings, settings_from_mapping
from scraper.crawl.discovery import Discovery
from scraper.crawl.fetcher import PoliteFetcher
from scraper.crawl.politeness import HostGate
from scraper.crawl.robots_book import RobotsBook
from scraper.crawl.state import CrawlState
from scraper.crawl.stats import SourceStats
from scraper.fetch import make_client
from tests.crawl.crawl_support import config, query
from tests.faults.hostile import HostileServer, respond

T = TypeVar("T")

XML = (("Content-Type", "application/xml"),)
RSS = (("Content-Type", "application/rss+xml"),)
SOURCE = "hostile"


def serve(server: HostileServer, path: str, body: bytes, *, rss: bool = False) -> str:
    """Serve ``body`` at ``path`` with a feed or XML type; returns its URL."""
    server.route(path, respond(body, headers=RSS if rss else XML))
    return server.url(path)


def discovery_settings(tmp_path: Path, source: dict[str, Any], **crawl: Any) -> Settings:
    """The crawl tests' scaled-down settings, one source, loopback servers reachable."""
    mapping = config(tmp_path, [{"name": SOURCE, **source}], **crawl)
    if "allow_private_addresses" in FetchSettings.model_fields:  # the SSRF guard's opt-in
        mapping["fetch"]["allow_private_addresses"] = True
    return settings_from_mapping(mapping)


def discover(tmp_path: Path, crawl: dict[str, Any] | None = None, **source: Any) -> SourceStats:
    """A crawl run's discovery step, as the runner does it, and no article fetches after it:
    the real PoliteFetcher (robots.txt, host gate, limits) over HTTP, and the links queued in
    a real SQLite crawl state (read them with ``queued``)."""
    settings = discovery_settings(tmp_path, source, **(crawl or {}))
    return asyncio.run(_discover(settings))


async def _discover(settings: Settings) -> SourceStats:
    source, stats, now = settings.sources[0], SourceStats(), datetime.now(UTC)
    with CrawlState.open(settings.crawl.state_path) as state:
        async with make_client(settings.fetch) as client:
            gate = HostGate(settings.crawl)
            robots = RobotsBook(state, client, settings, gate)
            fetcher = PoliteFetcher(client, settings, gate, robots)
            links = await Discovery(fetcher, settings, now=now).source(source, stats)
        state.add_links(source.name, links, now=now)
    return stats


def queued(tmp_path: Path) -> set[str]:
    return {url for (url,) in query(tmp_path, "SELECT url FROM urls")}


def reasons(stats: SourceStats) -> tuple[dict[str, int], dict[str, int]]:
    """(skipped reasons, failed reasons) of the source."""
    return dict(stats.skipped_reasons), dict(stats.failed_reasons)


def timed(work: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def _status_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def rss_mib() -> float:
    """This process's resident memory now, as the baseline of a growth measurement: the peak
    (VmHWM) is reset to it first, so an earlier test's peak cannot count as growth here."""
    with contextlib.suppress(OSError):  # where it cannot be reset, the check is only stricter
        Path("/proc/self/clear_refs").write_text("5")
    return _status_mib("VmRSS")


def peak_mib() -> float:
    """This process's peak resident memory (reset by the ``fault`` fixture for each test)."""
    return _status_mib("VmHWM")


def billion_laughs() -> tuple[bytes, bytes]:
    """(internal DTD, reference): 10 levels of 10 references, 10^10 "lol"s if expanded."""
    levels = b"".join(
        b'<!ENTITY lol%d "%s">' % (level, b"&lol%d;" % (level - 1) * 10) for level in range(1, 10)
    )
    return b'<!ENTITY lol0 "lol">' + levels, b"&lol9;"


def quadratic_blowup() -> tuple[bytes, bytes]:
    """(internal DTD, reference): a 100 KB entity referenced 50,000 times, 5 GB if expanded."""
    return b'<!ENTITY a "' + b"A" * 100_000 + b'">', b"&a;" * 50_000


BOMBS = {"billion laughs": billion_laughs, "quadratic blowup": quadratic_blowup}


def with_dtd(root: bytes, dtd: bytes, body: bytes) -> bytes:
    return b'<?xml version="1.0"?>\n<!DOCTYPE ' + root + b" [" + dtd + b"]>\n" + body
