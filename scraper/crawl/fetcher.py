"""PoliteFetcher: every request of a crawl (pages, feeds, sitemaps, section pages) goes here.

One path for all of them: robots.txt is asked first (RobotsBook), then the host's turn at the
politeness gate, then the fetch stage. What the answer says about the host goes back to the
gate: a success resets its failure count, a transient failure adds to it (enough in a row drop
the host for the run), and a Retry-After defers the host's next request. A Retry-After longer
than fetch.retry_after_max drops the host for the run instead: its URLs stay queued for a
later run rather than a worker waiting for hours.

Redirect hops are checked against robots.txt too (their addresses are checked by the client's
AddressGuard). A hop to an origin whose robots.txt this run has not read yet cannot read it
there and then: that would wait for the other host's turn while holding this host's slot (with
crawl.concurrency 1, forever). So the request is abandoned (_UnreadRobots), the other origin's
robots.txt is read at its own turn, outside this slot, and the request is made again: one extra
request per new origin a redirect leads to, per run.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

from scraper.config import Settings
from scraper.crawl.politeness import HostGate, HostSkipped
from scraper.crawl.robots_book import RobotsBook, host_key
from scraper.errors import FetchError, PermanentFetchError, ScraperError, TransientFetchError
from scraper.fetch import Document, fetch, fetch_document
from scraper.fetch.client import Validators
from scraper.fetch.hops import HopCheck
from scraper.fetch.robots import RobotsDisallowed, robots_origin
from scraper.models import Page

__all__ = ["PoliteFetcher", "RobotsDisallowed"]  # RobotsDisallowed: re-exported for crawl/

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_AFTER_TOO_LONG = "retry_after_too_long"
Request = Callable[[HopCheck], Awaitable[T]]


class _UnreadRobots(ScraperError):
    """A redirect leads to an origin whose robots.txt is not read yet; never leaves _polite."""

    default_code = "unread_robots"

    def __init__(self, hop: str) -> None:
        super().__init__(f"robots.txt for redirect target {hop} not read yet", url=hop)
        self.hop = hop


class PoliteFetcher:
    def __init__(
        self, client: httpx.AsyncClient, settings: Settings, gate: HostGate, robots: RobotsBook
    ) -> None:
        self._client = client
        self._settings = settings
        self._gate = gate
        self._robots = robots
        self._hosts: set[str] = set()
        self._read_origins: set[str] = set()  # whose robots.txt RobotsBook answers from memory

    def dropped_hosts(self) -> dict[str, str]:
        """Every host this run asked something of and then dropped, with the reason."""
        reasons = {host: self._gate.skip_reason(host) for host in sorted(self._hosts)}
        return {host: reason for host, reason in reasons.items() if reason is not None}

    async def check_robots(self, url: str) -> None:
        """Raise RobotsDisallowed if robots.txt forbids ``url`` (HostSkipped if the host is out
        for this run). Answers come from a cache after the first per origin."""
        self._hosts.add(host_key(url))
        try:
            allowed = await self._robots.allowed(url)
        except HostSkipped:
            self._mark_read(url)
            raise
        self._mark_read(url)
        if not allowed:
            raise RobotsDisallowed("disallowed by robots.txt", url=url)

    async def page(
        self,
        url: str,
        *,
        validators: Validators | None = None,
        on_start: Callable[[], Awaitable[None]] | None = None,
    ) -> Page:
        """An HTML page (status 304 for a conditional GET that found nothing new).
        ``on_start`` is awaited once the host's turn has come, before the request goes out."""
        settings = self._settings.fetch
        return await self._polite(
            url,
            lambda hop: fetch(url, self._client, settings, validators=validators, check_hop=hop),
            on_start,
        )

    async def document(self, url: str, *, max_bytes: int) -> Document:
        """A feed or sitemap, as bytes."""
        settings = self._settings.fetch
        return await self._polite(
            url,
            lambda hop: fetch_document(
                url, self._client, settings, max_bytes=max_bytes, check_hop=hop
            ),
            None,
        )

    async def _polite(
        self, url: str, request: Request[T], on_start: Callable[[], Awaitable[None]] | None
    ) -> T:
        await self.check_robots(url)
        host = host_key(url)
        hop_check = self._hop_check(url)
        # Each round reads one more origin's robots.txt; a chain has at most max_redirects.
        for _ in range(self._settings.fetch.max_redirects + 1):
            try:
                return await self._in_slot(host, lambda: request(hop_check), on_start)
            except _UnreadRobots as unread:
                await self._check_hop(url, unread.hop)  # at that host's turn; raises if refused
            on_start = None  # called once, as the first request went out
        raise PermanentFetchError(
            "redirects kept leading to new origins", url=url, code="too_many_redirects"
        )

    def _hop_check(self, url: str) -> HopCheck:
        async def check(hop: str) -> None:
            if not self._settings.crawl.obey_robots:
                return
            if robots_origin(hop) not in self._read_origins:
                raise _UnreadRobots(hop)
            await self._check_hop(url, hop)  # answered from memory: no slot needed

        return check

    async def _check_hop(self, url: str, hop: str) -> None:
        """RobotsDisallowed if robots.txt forbids the redirect target ``hop`` of ``url``."""
        try:
            await self.check_robots(hop)
        except RobotsDisallowed as exc:
            raise RobotsDisallowed(f"redirect to {hop}: disallowed by robots.txt", url=url) from exc
        except HostSkipped as exc:
            if host_key(hop) == host_key(url):
                raise
            # Another host's unreachable robots.txt means "disallow all" (RFC 9309 §2.3.1.4).
            raise RobotsDisallowed(
                f"redirect to {hop}: host skipped for this run ({exc.reason})", url=url
            ) from exc

    def _mark_read(self, url: str) -> None:
        with contextlib.suppress(ValueError):
            self._read_origins.add(robots_origin(url))

    async def _in_slot(
        self,
        host: str,
        request: Callable[[], Awaitable[T]],
        on_start: Callable[[], Awaitable[None]] | None,
    ) -> T:
        async with self._gate.slot(host):
            if on_start is not None:
                await on_start()
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
