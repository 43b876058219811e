"""One request followed through its redirects by hand, each hop checked, under one deadline.

Shared by page fetches, feed and sitemap fetches, and robots.txt: they differ only in the
headers they send and in what they do with the final response (``finish``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar

import httpx

from scraper.config import FetchSettings
from scraper.errors import FetchError, PermanentFetchError, TransientFetchError
from scraper.fetch.boundary import httpx_errors
from scraper.fetch.redirects import checked_url, origin, redirect_target, strip_credentials

log = logging.getLogger(__name__)

T = TypeVar("T")
Finish = Callable[[httpx.Response], Awaitable[T]]
# Awaited with each redirect target before it is requested; refuses the hop by raising.
HopCheck = Callable[[str], Awaitable[None]]


def timeouts(settings: FetchSettings) -> httpx.Timeout:
    return httpx.Timeout(
        connect=settings.connect_timeout,
        read=settings.read_timeout,
        write=settings.write_timeout,
        pool=settings.pool_timeout,
    )


async def within_deadline(url: str, seconds: float, work: Awaitable[T]) -> T:
    """``work``, or TransientFetchError(deadline_exceeded) once ``seconds`` have passed.

    httpx's timeouts measure inactivity only, so a server trickling a byte a second is never
    "slow" to httpx; this deadline covers DNS, connecting, every hop and the whole body.
    """
    deadline = asyncio.timeout(seconds)
    try:
        async with deadline:
            return await work
    except TimeoutError as exc:
        if not deadline.expired():
            raise
        raise TransientFetchError(
            f"no complete response within {seconds}s", url=url, code="deadline_exceeded"
        ) from exc


async def follow(
    url: str,
    client: httpx.AsyncClient,
    settings: FetchSettings,
    finish: Finish[T],
    *,
    headers: Mapping[str, str] | None = None,
    max_redirects: int | None = None,
    check_hop: HopCheck | None = None,
) -> T:
    """GET ``url``, following at most ``max_redirects`` checked hops, then ``finish`` it.

    Every hop is checked for scheme here, for its address at connect time (the client's
    AddressGuard, network.py) and by ``check_hop`` if given."""
    limit = settings.max_redirects if max_redirects is None else max_redirects
    with httpx_errors(url):
        current = checked_url(url, url)
    chain = [str(current)]
    # Once the chain leaves the first origin, credentials stay dropped even if it comes back.
    left_origin = False
    for _ in range(limit + 1):
        # Timeouts are set per request too, so they hold for a client make_client did not build.
        request = client.build_request("GET", current, headers=headers, timeout=timeouts(settings))
        if left_origin:
            strip_credentials(request)
        auth = None if left_origin else httpx.USE_CLIENT_DEFAULT  # client auth stays home too
        with httpx_errors(url), _naming(url, current if len(chain) > 1 else None):
            response = await client.send(request, stream=True, auth=auth, follow_redirects=False)
            try:
                target = redirect_target(response, url)
                if target is None:
                    return await finish(response)
            finally:
                await response.aclose()
        log.debug("%s: %d redirect to %s", url, response.status_code, target)
        left_origin = left_origin or origin(target) != origin(current)
        if check_hop is not None:
            await check_hop(str(target))
        current = target
        chain.append(str(current))
    raise PermanentFetchError(
        f"more than {limit} redirects: {' -> '.join(chain)}", url=url, code="too_many_redirects"
    )


@contextmanager
def _naming(url: str, hop: httpx.URL | None) -> Iterator[None]:
    """The network layer (guard, DNS) raises without a URL: name the fetch and the hop."""
    try:
        yield
    except FetchError as exc:
        if exc.url is None:
            exc.url = url
            if hop is not None:
                exc.message = f"redirect to {hop}: {exc.message}"
        raise
