"""One frontier URL, start to finish: robots.txt, budget, fetch, extract, record, write.

Every outcome ends in exactly one CrawlState call, which is one transaction:

    robots.txt forbids it            record_skip(robots_disallowed)
    fetch failed                     record_failure (transient: retried in later runs)
    304 Not Modified                 record_not_modified
    no article text on the page      record_skip(no_content)
    extraction failed / timed out    record_failure (extraction_timeout, extractor_crashed...)
    an article                       record_article, then the outbox is flushed to the writers

A host dropped for the run (HostSkipped) is not the URL's fault: it is left due, untouched.
So is a URL the page budget has no room for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scraper.config import Settings, SiteRules, SourceSettings
from scraper.crawl.fetcher import PoliteFetcher, RobotsDisallowed
from scraper.crawl.outbox import Exporter
from scraper.crawl.pool import (
    EXTRACTION_TIMEOUT,
    EXTRACTOR_CRASHED,
    EXTRACTOR_ERROR,
    ExtractionPool,
)
from scraper.crawl.state import CrawlState, FrontierItem
from scraper.crawl.stats import CrawlStats
from scraper.crawl.template_book import TemplateBook
from scraper.errors import (
    ExtractError,
    FetchError,
    NoContentError,
    ScraperError,
    TransientFetchError,
)
from scraper.models import Page

if TYPE_CHECKING:  # warcio is loaded only by runs that archive (outbox.open_archive)
    from scraper.write.warc import WarcArchive

log = logging.getLogger(__name__)

# Worth trying again in a later run: the page may be lighter, the worker luckier.
_TRANSIENT_EXTRACTION = frozenset({EXTRACTION_TIMEOUT, EXTRACTOR_CRASHED, EXTRACTOR_ERROR})


class PageBudget:
    """Pages a run may still fetch: over all sources (max_pages), per source, and per host
    (max_pages_per_host, which bounds a crawler trap however many sources lead into it)."""

    def __init__(self, settings: Settings, max_pages: int | None) -> None:
        self.left = max_pages if max_pages is not None else settings.crawl.max_pages
        self._per_source = {source.name: source.max_pages for source in settings.sources}
        self._per_host_cap = settings.crawl.max_pages_per_host
        self._per_host: Counter[str] = Counter()

    def take(self, source: str, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        if self.spent or self._per_source.get(source, 0) <= 0:
            return False
        if self._per_host[host] >= self._per_host_cap:
            return False
        self._per_source[source] -= 1
        self._per_host[host] += 1
        if self.left is not None:
            self.left -= 1
        return True

    @property
    def spent(self) -> bool:
        return self.left is not None and self.left <= 0


def merged_rules(settings: Settings, source: SourceSettings, url: str) -> SiteRules | None:
    """The site rules for ``url`` (config ``sites``) plus the rules of the source it came from."""
    site = settings.site_rules(urlsplit(url).hostname or "")
    own = source.rules
    if own == SiteRules():
        return site
    if site is None:
        return own
    return SiteRules(
        remove=(*site.remove, *own.remove),
        body=own.body or site.body,
        drop_text=(*site.drop_text, *own.drop_text),
    )


class PageRoom:
    """Room for the pages a crawl holds between their request and their record: at most
    ``size`` at once. When hosts answer faster than the workers extract, a host's next request
    waits at its turn for a page to be recorded, instead of piling pages up in memory."""

    def __init__(self, size: int) -> None:
        self._free = asyncio.Semaphore(size)

    @contextlib.asynccontextmanager
    async def page(
        self, on_start: Callable[[], None]
    ) -> AsyncIterator[Callable[[], Awaitable[None]]]:
        """``async with room.page(on_start) as at_turn``: awaiting ``at_turn`` (at the host's
        turn, as the request is about to go out) takes a place and calls ``on_start``; the
        place is given back when the block ends, however it ends."""
        taken = False

        async def at_turn() -> None:
            nonlocal taken
            if not taken:  # one place a page, however many times its turn comes
                await self._free.acquire()
                taken = True
            on_start()

        try:
            yield at_turn
        finally:
            if taken:
                self._free.release()


class PageVisitor:
    def __init__(
        self,
        settings: Settings,
        state: CrawlState,
        *,
        stats: CrawlStats,
        budget: PageBudget,
        fetcher: PoliteFetcher,
        pool: ExtractionPool,
        exporter: Exporter | None,
        archive: WarcArchive | None,
        templates: TemplateBook,
        room: PageRoom,
    ) -> None:
        self._settings = settings
        self._sources = {source.name: source for source in settings.sources}
        self._state = state
        self._stats = stats
        self._budget = budget
        self._fetcher = fetcher
        self._pool = pool
        self._exporter = exporter
        self._archive = archive
        self._templates = templates
        self._room = room

    async def visit(self, item: FrontierItem, on_start: Callable[[], None]) -> None:
        """Do ``item``. ``on_start`` is called as its request goes out. Raises HostSkipped
        (the URL is left due) and storage errors (WriteError); records everything else."""
        async with self._room.page(on_start) as at_turn:
            await self._visit(item, at_turn)

    async def _visit(self, item: FrontierItem, at_turn: Callable[[], Awaitable[None]]) -> None:
        url, stats = item.url, self._stats[item.source]
        try:
            # Asked first, so a forbidden URL costs no page of the budget.
            await self._fetcher.check_robots(url)
            if not self._budget.take(item.source, url):
                return
            validators = self._state.validators(url)
            page = await self._fetcher.page(url, validators=validators, on_start=at_turn)
        except RobotsDisallowed:
            self._state.record_skip(url, reason="robots_disallowed")
            stats.skip("robots_disallowed")
            return
        except FetchError as exc:
            self._failed(item, exc, transient=isinstance(exc, TransientFetchError))
            return
        stats.add("fetched")
        if page.status == 304:
            self._state.record_not_modified(url, fetched_at=page.fetched_at)
            stats.add("not_modified")
            return
        if self._archive is not None:
            self._archive.write_page(page)
        await self._extract(item, page)

    async def _extract(self, item: FrontierItem, page: Page) -> None:
        stats = self._stats[item.source]
        rules = merged_rules(self._settings, self._sources[item.source], page.final_url)
        template = self._templates.template(page.final_url)
        try:
            extracted = await self._pool.extract(page, self._settings.extract, rules, template)
        except NoContentError:
            self._state.record_skip(item.url, reason="no_content")
            stats.skip("no_content")
            return
        except ExtractError as exc:
            self._failed(item, exc, transient=exc.code in _TRANSIENT_EXTRACTION)
            return
        headers = page.headers
        result = self._state.record_article(
            item.url,
            source=item.source,
            article=extracted.record,
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            fetched_at=page.fetched_at,
            shingles=extracted.shingles,
            min_overlap=self._settings.crawl.near_duplicate_overlap,
        )
        stats.add(result.kind)
        canonical = extracted.record.get("canonical_url") or page.final_url
        self._templates.learn(page.final_url, canonical, extracted.signatures)
        if self._exporter is not None:
            await self._exporter.flush()

    def _failed(self, item: FrontierItem, exc: ScraperError, *, transient: bool) -> None:
        log.warning("%s: %s (%s)", item.url, exc.message, exc.code)
        limit = self._settings.crawl.url_failure_limit
        if exc.code == EXTRACTOR_CRASHED:
            # A page that killed its worker twice (in two runs) will do it again: quarantine
            # it rather than lose a worker to it every run until the general limit is hit.
            crashes_before_quarantine = 2
            limit = min(limit, crashes_before_quarantine)
        self._state.record_failure(
            item.url,
            code=exc.code,
            transient=transient,
            fetched_at=datetime.now(UTC),
            failure_limit=limit,
        )
        self._stats[item.source].fail(exc.code)
