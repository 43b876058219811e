"""Discovery: a source's feeds, sitemaps, section pages and start URLs -> URLs for the frontier.

Every document is fetched through the PoliteFetcher (robots.txt, the host's turn, failure
accounting), exactly like an article. Every URL found is normalised (the parsers already do so;
start URLs are normalised here), filtered by the source's allow/deny patterns, and dropped
(counted ``too_old``) if its item is dated before the age limit. What is left is queued with
``CrawlState.add_links``, which also marks a known URL whose date moved as changed.

Every feed and sitemap is untrusted input of any size: at most ``crawl.max_document_bytes`` is
fetched (and read after gunzip), at most ``crawl.max_feed_items`` items of a feed are read and
at most ``crawl.max_sitemap_urls`` URLs of a sitemap kept (a sitemap cut short is logged).

Sitemaps: an index is followed breadth-first with a visited set (so cycles end), at most
``crawl.max_sitemap_depth`` levels below the configured sitemap and at most
``crawl.max_sitemaps_per_host`` documents per host per run. Child sitemaps and page URLs on
another host than the sitemap that lists them are dropped unless one of the source's allow
patterns accepts them: a sitemap speaks for its own host only (Nutch's strict mode).
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Awaitable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from scraper.config import Settings, SourceSettings
from scraper.crawl.fetcher import PoliteFetcher, RobotsDisallowed
from scraper.crawl.politeness import HostSkipped
from scraper.crawl.stats import SourceStats
from scraper.discover import Link, UrlFilter, normalise_url, parse_feed, parse_sitemap
from scraper.discover import section_links as find_section_links
from scraper.errors import ScraperError

log = logging.getLogger(__name__)


def _hostname(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class _Found:
    """The URLs of one source found so far: filtered, aged, deduplicated (newest date wins)."""

    def __init__(self, source: SourceSettings, stats: SourceStats, cutoff: datetime | None):
        self.links: dict[str, datetime | None] = {}
        self._filter = UrlFilter.from_source(source)
        # Only explicit allow patterns can vouch for a URL on a host a sitemap cannot speak for.
        self._off_host = UrlFilter(source.allow, ()) if source.allow else None
        self._stats = stats
        self._cutoff = cutoff

    def off_host_ok(self, url: str, home: str) -> bool:
        if _hostname(url) == home:
            return True
        return self._off_host is not None and self._off_host.accepts(url)

    def add(self, link: Link) -> None:
        if not self._filter.accepts(link.url):
            self._stats.skip("filtered")
            return
        cutoff, published = self._cutoff, link.published
        if cutoff is not None and published is not None and published < cutoff:
            self._stats.skip("too_old")
            return
        known = self.links.get(link.url)
        if link.url not in self.links or (
            link.published is not None and (known is None or link.published > known)
        ):
            self.links[link.url] = link.published


class Discovery:
    """Finds the URLs of each source; one instance per run (it keeps per-host sitemap counts)."""

    def __init__(self, fetcher: PoliteFetcher, settings: Settings, *, now: datetime) -> None:
        self._fetcher = fetcher
        self._settings = settings
        self._now = now
        self._sitemaps_per_host: Counter[str] = Counter()

    async def source(
        self, source: SourceSettings, stats: SourceStats
    ) -> list[tuple[str, datetime | None]]:
        """Every URL ``source`` lists right now, ready for ``CrawlState.add_links``."""
        found = _Found(source, stats, self._cutoff(source))
        for url in source.start_urls:
            normal = normalise_url(url)
            if normal is None:
                log.warning("%s: start URL %s is not a usable http(s) URL", source.name, url)
                stats.fail("invalid_url")
            else:
                found.add(Link(normal))
        for url in source.feeds:
            await self._feed(url, found, stats)
        await self._sitemaps(source, found, stats)
        for url in source.sections:
            await self._section(url, found, stats)
        stats.add("found", len(found.links))
        return list(found.links.items())

    def _cutoff(self, source: SourceSettings) -> datetime | None:
        days = source.max_age_days or self._settings.crawl.max_age_days
        return None if days is None else self._now - timedelta(days=days)

    async def _feed(self, url: str, found: _Found, stats: SourceStats) -> None:
        crawl = self._settings.crawl

        async def links() -> list[Link]:
            document = await self._fetcher.document(url, max_bytes=crawl.max_document_bytes)
            return parse_feed(document.content, document.final_url, max_items=crawl.max_feed_items)

        await _add_listed(url, links(), found, stats)

    async def _section(self, url: str, found: _Found, stats: SourceStats) -> None:
        async def links() -> list[Link]:
            page = await self._fetcher.page(url)
            return find_section_links(page.html, page.final_url)

        await _add_listed(url, links(), found, stats)

    async def _sitemaps(self, source: SourceSettings, found: _Found, stats: SourceStats) -> None:
        crawl = self._settings.crawl
        queue = deque((url, 0) for url in source.sitemaps)
        visited: set[str] = set()
        while queue:
            url, depth = queue.popleft()
            normal = normalise_url(url)
            if normal is None or normal in visited:
                continue
            visited.add(normal)
            home = _hostname(normal)
            if self._sitemaps_per_host[home] >= crawl.max_sitemaps_per_host:
                stats.skip("sitemap_limit")
                continue
            self._sitemaps_per_host[home] += 1
            children = await self._sitemap(normal, home, found, stats, visited)
            for child in children:
                if child in visited:  # parse_sitemap normalised it already
                    continue  # a cycle, or a sitemap listing itself: not news, not too deep
                if depth + 1 > crawl.max_sitemap_depth:
                    stats.skip("sitemap_too_deep")
                elif found.off_host_ok(child, home):
                    queue.append((child, depth + 1))
                else:
                    stats.skip("off_host")

    async def _sitemap(
        self, url: str, home: str, found: _Found, stats: SourceStats, visited: set[str]
    ) -> list[str]:
        """Read one sitemap: its page links go to ``found``; its child sitemaps are returned.
        Where a redirect led is added to ``visited``: listing that URL again is a cycle too."""
        crawl = self._settings.crawl
        try:
            document = await self._fetcher.document(url, max_bytes=crawl.max_document_bytes)
        except ScraperError as exc:
            _count_error(exc, url, stats)
            return []
        final = normalise_url(document.final_url)
        if final is not None:
            visited.add(final)
        result = parse_sitemap(
            document.content,
            document.final_url,
            max_urls=crawl.max_sitemap_urls,
            max_bytes=crawl.max_document_bytes,
        )
        if result.truncated:
            log.warning(
                "sitemap %s was only partly read (over %d URLs or %d bytes, a broken gzip, or"
                " XML the parser refused); kept %d page URL(s) and %d sitemap(s)",
                url,
                crawl.max_sitemap_urls,
                crawl.max_document_bytes,
                len(result.links),
                len(result.sitemaps),
            )
        for link in result.links:
            if found.off_host_ok(link.url, home):
                found.add(link)
            else:
                stats.skip("off_host")
        return list(result.sitemaps)


async def _add_listed(
    url: str, listing: Awaitable[list[Link]], found: _Found, stats: SourceStats
) -> None:
    """Add the links a feed or section page lists; a page that fails is counted, not raised."""
    try:
        links = await listing
    except ScraperError as exc:
        _count_error(exc, url, stats)
        return
    for link in links:
        found.add(link)


def _count_error(exc: ScraperError, url: str, stats: SourceStats) -> None:
    """A discovery document that could not be used: a skip when we chose not to fetch it."""
    if isinstance(exc, RobotsDisallowed):
        stats.skip(exc.code)
    elif isinstance(exc, HostSkipped):
        stats.skip(exc.reason)
    else:
        log.warning("discovery: %s: %s", url, exc.message)
        stats.fail(exc.code)
