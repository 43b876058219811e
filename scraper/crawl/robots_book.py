"""RobotsBook: the robots.txt answer for every URL of a run, fetched at most once per origin.

Records live in two places: in memory for this run, and in the crawl state between runs (each
with its fetch time, so ``RobotsRecord.expired`` decides when to ask the server again: 24 h for
a real answer, 1 h for an unreachable file). Fetching robots.txt is a request like any other,
so it waits for its host's turn at the politeness gate.

What a record does to the host for this run: a Crawl-delay goes to the gate (which drops the
host if it is too long), and an unreachable robots.txt (5xx, 429, network error: "disallow
all") drops the host, so nothing at all is fetched from it until the record expires.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from scraper.config import Settings
from scraper.crawl.politeness import HostGate, HostSkipped
from scraper.crawl.state import CrawlState
from scraper.fetch.robots import DISALLOW_ALL, RobotsPolicy, RobotsRecord, fetch_robots
from scraper.fetch.robots import robots_origin as origin_of

log = logging.getLogger(__name__)

ROBOTS_UNREACHABLE = "robots_unreachable"


def host_key(url: str) -> str:
    """The politeness key of ``url``: its host and port, as the gate and the logs show it."""
    return urlsplit(url).netloc.lower()


class RobotsBook:
    def __init__(
        self,
        state: CrawlState,
        client: httpx.AsyncClient,
        settings: Settings,
        gate: HostGate,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._state = state
        self._client = client
        self._settings = settings
        self._gate = gate
        self._now = now
        self._policies: dict[str, RobotsPolicy] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def allowed(self, url: str) -> bool:
        """May ``url`` be fetched? Always True when crawl.obey_robots is off. Raises
        HostSkipped when robots.txt is unreachable (nothing may be fetched from the host, but
        its URLs are not to blame), or when the gate dropped the host before it was read."""
        if not self._settings.crawl.obey_robots:
            return True
        try:
            origin = origin_of(url)
        except ValueError:
            return False
        host = host_key(url)
        policy = self._policies.get(origin) or await self._load(origin, host)
        if policy.verdict == DISALLOW_ALL:
            raise HostSkipped(host, ROBOTS_UNREACHABLE)
        return policy.allowed(url)

    async def _load(self, origin: str, host: str) -> RobotsPolicy:
        # One fetch per origin however many workers ask at once: the rest wait for the first.
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin in self._policies:
                return self._policies[origin]
            record = self._cached(origin)
            if record is not None:
                return self._adopt(record, host)
            async with self._gate.slot(host):
                record = await fetch_robots(
                    origin, self._client, self._settings.fetch, self._settings.crawl
                )
                # Inside the slot, so that a Crawl-delay already spaces the next request.
                policy = self._adopt(record, host)
            self._state.save_robots(origin, record.verdict, record.body, record.fetched_at)
            return policy

    def _cached(self, origin: str) -> RobotsRecord | None:
        stored = self._state.load_robots(origin)
        if stored is None:
            return None
        verdict, body, fetched_at = stored
        try:
            record = RobotsRecord(origin, verdict, body, fetched_at)
        except ValueError:
            log.warning("ignoring a malformed robots.txt record for %s", origin)
            return None
        return None if record.expired(self._now(), self._settings.crawl) else record

    def _adopt(self, record: RobotsRecord, host: str) -> RobotsPolicy:
        policy = RobotsPolicy.from_record(record, self._settings.fetch.user_agent)
        self._policies[record.origin] = policy
        if policy.verdict == DISALLOW_ALL:
            self._gate.drop(host, ROBOTS_UNREACHABLE)
        else:
            self._gate.set_crawl_delay(host, policy.crawl_delay)
        return policy
