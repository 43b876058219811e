"""PoliteFetcher: every request of a crawl (pages, feeds, sitemaps, section pages) goes here.

One path for all of them: robots.txt is asked first (RobotsBook), then the host's turn at the
politeness gate, then the fetch stage. What the answer says about the host goes back to the
gate: a success resets its failure count, a transient failure adds to it (enough in a row drop
the host for the run), and a Retry-After defers the host's next request. A Retry-After longer
than fetch.retry_after_max drops the host for the run instead: its URLs stay queued for a
later run rather than a worker waiting for hours.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

from scraper.config import Settings
from scraper.crawl.politeness import HostGate
from scraper.crawl.robots_book import RobotsBook, host_key
from scraper.errors import FetchError, ScraperError, TransientFetchError
from scraper.fetch import Document, fetch, fetch_document
from scraper.fetch.client import Validators
from scraper.models import Page

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_AFTER_TOO_LONG = "retry_after_too_long"


class RobotsDisallowed(ScraperError):
    """robots.txt does not allow this URL for our user agent."""

    default_code = "robots_disallowed"


class PoliteFetcher:
    def __init__(
        self, client: httpx.AsyncClient, settings: Settings, gate: HostGate, robots: RobotsBook
    ) -> None:
        self._client = client
        self._settings = settings
        self._gate = gate
        self._robots = robots
        self._hosts: set[str] = set()

    def dropped_hosts(self) -> dict[str, str]:
        """Every host this run asked something of and then dropped, with the reason."""
        reasons = {host: self._gate.skip_reason(host) for host in sorted(self._hosts)}
        return {host: reason for host, reason in reasons.items() if reason is not None}

    async def check_robots(self, url: str) -> None:
        """Raise RobotsDisallowed if robots.txt forbids ``url`` (HostSkipped if the host is out
        for this run). Answers come from a cache after the first per origin."""
        self._hosts.add(host_key(url))
        if not await self._robots.allowed(url):
            raise RobotsDisallowed("disallowed by robots.txt", url=url)

    async def page(
        self,
        url: str,
        *,
        validators: Validators | None = None,
        on_start: Callable[[], None] | None = None,
    ) -> Page:
        """An HTML page (status 304 for a conditional GET that found nothing new).
        ``on_start`` is called once the host's turn has come, as the request goes out."""
        return await self._polite(
            url,
            lambda: fetch(url, self._client, self._settings.fetch, validators=validators),
            on_start,
        )

    async def document(self, url: str, *, max_bytes: int) -> Document:
        """A feed or sitemap, as bytes."""
        return await self._polite(
            url,
            lambda: fetch_document(url, self._client, self._settings.fetch, max_bytes=max_bytes),
            None,
        )

    async def _polite(
        self,
        url: str,
        request: Callable[[], Awaitable[T]],
        on_start: Callable[[], None] | None,
    ) -> T:
        await self.check_robots(url)
        host = host_key(url)
        async with self._gate.slot(host):
            if on_start is not None:
                on_start()
            try:
                result = await request()
            except TransientFetchError as exc:
                self._transient(host, exc)
                raise
            except FetchError:
                # A 404 or an oversized page still means the host answered.
                self._gate.record_success(host)
                raise
        self._gate.record_success(host)
        return result

    def _transient(self, host: str, exc: TransientFetchError) -> None:
        self._gate.record_failure(host)
        if exc.retry_after is None:
            return
        limit = self._settings.fetch.retry_after_max
        if exc.retry_after > limit:
            self._gate.drop(host, RETRY_AFTER_TOO_LONG)
        else:
            self._gate.defer(host, exc.retry_after)
