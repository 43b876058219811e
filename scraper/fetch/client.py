"""The HTTP client and ``fetch``: one URL in, one checked and decoded Page out, or a FetchError.

Time limits. httpx's connect/read/write/pool timeouts measure inactivity only, so a server that
trickles one byte a second is never "slow" to httpx. Each *attempt* therefore runs under an
``asyncio.timeout(total_timeout)`` that covers DNS, connecting, every redirect hop and the whole
body. The deadline is per attempt, not per fetch: the waits between attempts are bounded on their
own (``backoff_max``, ``retry_after_max``), and a deadline that also had to hold a 300 s
Retry-After would make honouring it impossible. Worst case for one fetch is therefore
``(retries + 1) * total_timeout`` plus the waits.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import logging
from datetime import UTC, datetime

import httpx

from scraper.config import FetchSettings
from scraper.errors import FetchError, PermanentFetchError, TransientFetchError
from scraper.fetch.body import read_body
from scraper.fetch.boundary import httpx_errors
from scraper.fetch.page import build_page
from scraper.fetch.redirects import (
    checked_url,
    hide_location,
    origin,
    redirect_target,
    strip_credentials,
)
from scraper.fetch.retry import RetryPolicy, parse_retry_after, with_retries
from scraper.fetch.sniff import check_content_type
from scraper.models import Page

log = logging.getLogger(__name__)

ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
# Only what our bounded decoders handle; httpx would otherwise add br/zstd when installed.
ACCEPT_ENCODING = "gzip, deflate"


def _no_cookie_jar() -> http.cookiejar.CookieJar:
    # A jar that neither stores nor sends anything: a cookie set by one host must never reach
    # another, and httpx's jar is shared by every request of the client.
    return http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


def _timeouts(settings: FetchSettings) -> httpx.Timeout:
    return httpx.Timeout(
        connect=settings.connect_timeout,
        read=settings.read_timeout,
        write=settings.write_timeout,
        pool=settings.pool_timeout,
    )


def make_client(settings: FetchSettings) -> httpx.AsyncClient:
    """An AsyncClient configured for ``fetch``. Use it as ``async with make_client(s) as c``."""
    return httpx.AsyncClient(
        headers={
            "User-Agent": settings.user_agent,
            "Accept": ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
        },
        timeout=_timeouts(settings),
        follow_redirects=False,  # followed by hand, each hop checked (redirects.py)
        trust_env=False,  # no proxies or CA bundles smuggled in through the environment
        verify=settings.verify_tls,
        cookies=_no_cookie_jar(),
        event_hooks={"response": [hide_location]},
    )


async def fetch(url: str, client: httpx.AsyncClient, settings: FetchSettings) -> Page:
    """Fetch one HTML page, retrying transient failures. Raises a FetchError subclass."""
    policy = RetryPolicy.from_settings(settings)
    return await with_retries(policy, lambda: _attempt(url, client, settings, policy))


async def _attempt(
    url: str, client: httpx.AsyncClient, settings: FetchSettings, policy: RetryPolicy
) -> Page:
    deadline = asyncio.timeout(settings.total_timeout)
    try:
        async with deadline:
            return await _follow(url, client, settings, policy)
    except TimeoutError as exc:
        if not deadline.expired():
            raise
        raise TransientFetchError(
            f"no complete response within {settings.total_timeout}s",
            url=url,
            code="deadline_exceeded",
        ) from exc


async def _follow(
    url: str, client: httpx.AsyncClient, settings: FetchSettings, policy: RetryPolicy
) -> Page:
    with httpx_errors(url):
        current = checked_url(url, url)
    chain = [str(current)]
    # Once the chain leaves the first origin, credentials stay dropped even if it comes back.
    left_origin = False
    for _ in range(settings.max_redirects + 1):
        # Timeouts and redirect handling are set per request too, so they hold even for a
        # client that make_client did not build.
        request = client.build_request("GET", current, timeout=_timeouts(settings))
        if left_origin:
            strip_credentials(request)
        auth = None if left_origin else httpx.USE_CLIENT_DEFAULT  # client auth stays home too
        with httpx_errors(url):
            response = await client.send(request, stream=True, auth=auth, follow_redirects=False)
            try:
                target = redirect_target(response, url)
                if target is None:
                    return await _finish(url, response, settings, policy)
            finally:
                await response.aclose()
        log.debug("%s: %d redirect to %s", url, response.status_code, target)
        left_origin = left_origin or origin(target) != origin(current)
        current = target
        chain.append(str(current))
    raise PermanentFetchError(
        f"more than {settings.max_redirects} redirects: {' -> '.join(chain)}",
        url=url,
        code="too_many_redirects",
    )


async def _finish(
    url: str, response: httpx.Response, settings: FetchSettings, policy: RetryPolicy
) -> Page:
    """Judge the final response by its headers, then read, sniff and decode the body."""
    if not 200 <= response.status_code < 300:
        raise _status_error(url, response, policy)
    check_content_type(response.headers.get("content-type"), url)
    content = await read_body(response, url, settings.max_body_bytes)
    return build_page(
        content,
        url,
        final_url=str(response.url),
        headers=response.headers,
        status=response.status_code,
        fetched_at=datetime.now(UTC),
    )


def _status_error(url: str, response: httpx.Response, policy: RetryPolicy) -> FetchError:
    status = response.status_code
    if not policy.is_transient_status(status):
        return PermanentFetchError(
            f"HTTP {status} {response.reason_phrase}".rstrip(),
            url=url,
            code="http_status",
            status=status,
        )
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    message = f"HTTP {status} {response.reason_phrase}".rstrip()
    if retry_after is not None and retry_after > policy.retry_after_max:
        message += (
            f"; Retry-After {retry_after:.0f}s is over the {policy.retry_after_max:.0f}s limit,"
            " try again in a later run"
        )
    return TransientFetchError(
        message, url=url, code="http_status", status=status, retry_after=retry_after
    )
