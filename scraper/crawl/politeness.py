"""Per-host politeness: the gate every request of a crawl passes through.

For each host: at most ``per_host_concurrency`` requests in flight, and at least ``delay``
seconds (plus up to ``delay_jitter * delay`` at random) between the end of one request and the
start of the next. A robots Crawl-delay can lengthen that gap but never shorten it; one over
``max_crawl_delay`` drops the host for the run, as do ``host_failure_limit`` consecutive
failures (Nutch's per-queue limit). Over all hosts, at most ``concurrency`` requests are in flight.

A request waits for its host's turn *before* it takes one of the global slots, so a slow,
deferred or throttled host only ever holds up its own requests, never the other hosts'.

One gate belongs to one event loop and one run; nothing here is persisted.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

from scraper.config import CrawlSettings
from scraper.errors import ScraperError

log = logging.getLogger(__name__)

CRAWL_DELAY_TOO_LONG = "crawl_delay_too_long"
TOO_MANY_FAILURES = "too_many_failures"


class HostSkipped(ScraperError):
    """Raised by ``HostGate.slot`` for a host that was dropped for this run."""

    default_code = "host_skipped"

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"host {host} is skipped for this run: {reason}")
        self.host = host
        self.reason = reason


@dataclass(slots=True)
class _Host:
    slots: asyncio.Semaphore
    ready_at: float = -math.inf  # clock time before which no request to the host may start
    crawl_delay: float | None = None
    failures: int = 0  # consecutive
    skip_reason: str | None = None


class HostGate:
    """Per-host slots, delays, deferrals and circuit breaking for one crawl run.

    Hosts are plain strings compared case-insensitively; use the same form everywhere
    (``host`` or ``host:port``). ``clock`` and ``sleep`` must agree (tests pass a fake pair).
    """

    def __init__(
        self,
        settings: CrawlSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._global = asyncio.Semaphore(settings.concurrency)
        self._hosts: dict[str, _Host] = {}

    def slot(self, host: str) -> AbstractAsyncContextManager[None]:
        """``async with gate.slot(host):`` around one request. Waits for the host's turn and a
        global slot; raises HostSkipped if the host is (or gets, while waiting) dropped."""
        key = _key(host)
        return self._slot(key, self._state(key))

    def set_crawl_delay(self, host: str, seconds: float | None) -> None:
        """Apply robots.txt's Crawl-delay; None (or nonsense) clears it."""
        key = _key(host)
        state = self._state(key)
        if seconds is None or not math.isfinite(seconds) or seconds < 0:
            state.crawl_delay = None
        elif seconds > self._settings.max_crawl_delay:
            self._drop(key, state, CRAWL_DELAY_TOO_LONG)
        else:
            state.crawl_delay = seconds

    def defer(self, host: str, seconds: float) -> None:
        """No request to ``host`` may start within ``seconds`` from now (Retry-After, 429, 503).
        Callers cap the wait themselves and ``drop`` a host that asks for longer."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"cannot defer a host by {seconds!r} seconds")
        state = self._state(_key(host))
        state.ready_at = max(state.ready_at, self._clock() + seconds)

    def record_success(self, host: str) -> None:
        self._state(_key(host)).failures = 0

    def record_failure(self, host: str) -> None:
        key = _key(host)
        state = self._state(key)
        state.failures += 1
        if state.failures >= self._settings.host_failure_limit:
            self._drop(key, state, TOO_MANY_FAILURES)

    def drop(self, host: str, reason: str) -> None:
        """Skip ``host`` for the rest of the run (e.g. a Retry-After past the limit)."""
        key = _key(host)
        self._drop(key, self._state(key), reason)

    def is_dropped(self, host: str) -> bool:
        """True for a host skipped for the run, for whatever reason."""
        return self.skip_reason(host) is not None

    def skip_reason(self, host: str) -> str | None:
        state = self._hosts.get(_key(host))
        return state.skip_reason if state is not None else None

    def delay(self, host: str) -> float:
        """The gap enforced for ``host`` before jitter: our delay, or a longer Crawl-delay."""
        state = self._hosts.get(_key(host))
        crawl_delay = state.crawl_delay if state is not None else None
        return max(self._settings.delay, crawl_delay or 0.0)

    def _state(self, key: str) -> _Host:
        state = self._hosts.get(key)
        if state is None:
            state = _Host(asyncio.Semaphore(self._settings.per_host_concurrency))
            self._hosts[key] = state
        return state

    def _drop(self, key: str, state: _Host, reason: str) -> None:
        if state.skip_reason is None:  # the first reason is the one worth reporting
            state.skip_reason = reason
            log.warning("dropping host %s for this run: %s", key, reason)

    def _gap(self, key: str) -> float:
        base = self.delay(key)
        return base + base * self._settings.delay_jitter * self._rng.random()

    @asynccontextmanager
    async def _slot(self, key: str, state: _Host) -> AsyncIterator[None]:
        async with state.slots:
            await self._wait_turn(key, state)
            try:
                if self._settings.per_host_concurrency > 1:
                    # Several may be in flight, but their starts are spaced out too.
                    state.ready_at = max(state.ready_at, self._clock() + self._gap(key))
                yield
            finally:
                # The gap counts from when a request ENDS, so a slow server gets more rest.
                state.ready_at = max(state.ready_at, self._clock() + self._gap(key))
                self._global.release()

    async def _wait_turn(self, key: str, state: _Host) -> None:
        """Return holding a global slot, once the host's turn has come."""
        while True:
            if state.skip_reason is not None:
                raise HostSkipped(key, state.skip_reason)
            wait = state.ready_at - self._clock()
            if wait > 0:
                await self._sleep(wait)
                continue
            await self._global.acquire()
            # The host may have been deferred or dropped while we queued for the global slot.
            if state.skip_reason is None and self._clock() >= state.ready_at:
                return
            self._global.release()


def _key(host: str) -> str:
    return host.strip().lower().rstrip(".")
