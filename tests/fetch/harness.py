"""Run one fetch against a local server and keep everything a test wants to look at."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scraper.config import FetchSettings
from scraper.errors import FetchError
from scraper.fetch import fetch, make_client
from scraper.models import Page
from tests.fetch.servers import Handler, RawServer, Seen


def tiny(**overrides: Any) -> FetchSettings:
    """Settings scaled down so a failing case costs milliseconds, not minutes."""
    values: dict[str, Any] = {
        "connect_timeout": 1.0,
        "read_timeout": 1.0,
        "write_timeout": 1.0,
        "pool_timeout": 1.0,
        "total_timeout": 5.0,
        "max_body_bytes": 64 * 1024,
        "retries": 2,
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
        "retry_after_max": 5.0,
        "allow_private_addresses": True,  # the test servers are on 127.0.0.1
    }
    return FetchSettings(**{**values, **overrides})


@dataclass
class Result:
    page: Page | None
    error: FetchError | None
    seen: list[Seen]
    elapsed: float

    @property
    def paths(self) -> list[str]:
        return [request.path for request in self.seen]

    def ok(self) -> Page:
        assert self.error is None, f"fetch failed: {self.error!r} ({self.error.code})"
        assert self.page is not None
        return self.page


async def fetch_result(
    url: str, settings: FetchSettings, headers: Mapping[str, str] | None = None
) -> tuple[Page | None, FetchError | None, float]:
    start = time.monotonic()
    async with make_client(settings) as client:
        client.headers.update(headers or {})
        try:
            page = await fetch(url, client, settings)
        except FetchError as exc:
            return None, exc, time.monotonic() - start
    return page, None, time.monotonic() - start


def run_raw(
    routes: dict[str, Handler],
    path: str = "/",
    settings: FetchSettings | None = None,
    *,
    host: str = "127.0.0.1",
    headers: Mapping[str, str] | None = None,
) -> Result:
    """Serve ``routes`` on 127.0.0.1 and fetch ``path`` from it, in one event loop."""

    async def scenario() -> Result:
        async with RawServer(routes) as server:
            page, error, elapsed = await fetch_result(
                server.url(path, host), settings or tiny(), headers
            )
            return Result(page, error, list(server.seen), elapsed)

    return asyncio.run(scenario())


def run_url(url: str, settings: FetchSettings | None = None) -> Result:
    """Fetch from a server the test runs elsewhere (pytest-httpserver)."""
    page, error, elapsed = asyncio.run(fetch_result(url, settings or tiny()))
    return Result(page, error, [], elapsed)
