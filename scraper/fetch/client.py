"""The HTTP client, ``fetch`` (one URL in, one checked and decoded Page out) and ``fetch_document``.

Time limits. Each *attempt* runs under a total deadline (hops.within_deadline) that covers DNS,
connecting, every redirect hop and the whole body. The deadline is per attempt, not per fetch:
the waits between attempts are bounded on their own (``backoff_max``, ``retry_after_max``), and
a deadline that also had to hold a 300 s Retry-After would make honouring it impossible. Worst
case for one fetch is therefore ``(retries + 1) * total_timeout`` plus the waits.
"""

from __future__ import annotations

import http.cookiejar
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import httpx

from scraper.config import FetchSettings
from scraper.errors import FetchError, PermanentFetchError, TransientFetchError
from scraper.fetch.body import read_body
from scraper.fetch.decoders import ACCEPT_ENCODING
from scraper.fetch.guard import AddressGuard
from scraper.fetch.hops import Finish, HopCheck, follow, timeouts, within_deadline
from scraper.fetch.network import GuardedTransport
from scraper.fetch.page import build_page
from scraper.fetch.redirects import hide_location
from scraper.fetch.retry import RetryPolicy, parse_retry_after, with_retries
from scraper.fetch.sniff import check_content_type
from scraper.models import Page

T = TypeVar("T")

ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
DOCUMENT_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml,"
    " text/xml;q=0.9, */*;q=0.5"
)
# (ETag, Last-Modified) of an earlier 200, for a conditional GET.
Validators = tuple[str | None, str | None]


@dataclass(frozen=True, slots=True)
class Document:
    """A fetched non-HTML resource (feed, sitemap): checked for size, not decoded."""

    url: str
    final_url: str
    status: int
    headers: Mapping[str, str]
    content: bytes


def _no_cookie_jar() -> http.cookiejar.CookieJar:
    # A jar that neither stores nor sends anything: a cookie set by one host must never reach
    # another, and httpx's jar is shared by every request of the client.
    return http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


def make_client(
    settings: FetchSettings,
    guard: AddressGuard | None = None,
    *,
    ssl_context: ssl.SSLContext | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient configured for ``fetch``. Use it as ``async with make_client(s) as c``.

    Every connection goes through ``guard`` (by default the crawl policy of ``settings``:
    global addresses only unless fetch.allow_private_addresses). ``ssl_context`` replaces the
    system CAs, for a private CA.
    """
    if guard is None:
        guard = AddressGuard.from_settings(settings)
    verify: ssl.SSLContext | bool = ssl_context or settings.verify_tls
    return httpx.AsyncClient(
        transport=GuardedTransport(guard, verify=verify),
        headers={
            "User-Agent": settings.user_agent,
            "Accept": ACCEPT,
            # Only what our bounded decoders handle; httpx would add br/zstd on its own.
            "Accept-Encoding": ACCEPT_ENCODING,
        },
        timeout=timeouts(settings),
        follow_redirects=False,  # followed by hand, each hop checked (redirects.py)
        trust_env=False,  # no proxies or CA bundles smuggled in through the environment
        cookies=_no_cookie_jar(),
        event_hooks={"response": [hide_location]},
    )


async def fetch(
    url: str,
    client: httpx.AsyncClient,
    settings: FetchSettings,
    *,
    validators: Validators | None = None,
    check_hop: HopCheck | None = None,
) -> Page:
    """Fetch one HTML page, retrying transient failures. Raises a FetchError subclass.

    With ``validators`` (the ETag and Last-Modified of an earlier 200) the request is
    conditional; a 304 answer comes back as a Page with status 304 and no content.
    ``check_hop`` is awaited with each redirect target before it is requested; it refuses a
    hop by raising (a crawl checks robots.txt there).
    """
    policy = RetryPolicy.from_settings(settings)
    headers = _conditional_headers(validators)

    async def finish(response: httpx.Response) -> Page:
        if response.status_code == 304 and validators is not None:
            return _not_modified(url, response)
        _raise_for_status(url, response, policy)
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

    return await with_retries(
        policy, lambda: _attempt(url, client, settings, finish, headers, check_hop=check_hop)
    )


async def fetch_document(
    url: str,
    client: httpx.AsyncClient,
    settings: FetchSettings,
    *,
    max_bytes: int,
    check_hop: HopCheck | None = None,
) -> Document:
    """Fetch a feed, sitemap or other non-HTML document as bytes, with the same limits."""
    policy = RetryPolicy.from_settings(settings)

    async def finish(response: httpx.Response) -> Document:
        _raise_for_status(url, response, policy)
        content = await read_body(response, url, max_bytes)
        headers = {key.lower(): value for key, value in response.headers.items()}
        return Document(url, str(response.url), response.status_code, headers, content)

    headers = {"Accept": DOCUMENT_ACCEPT}
    return await with_retries(
        policy, lambda: _attempt(url, client, settings, finish, headers, check_hop=check_hop)
    )


async def _attempt(
    url: str,
    client: httpx.AsyncClient,
    settings: FetchSettings,
    finish: Finish[T],
    headers: Mapping[str, str] | None,
    *,
    check_hop: HopCheck | None,
) -> T:
    work = follow(url, client, settings, finish, headers=headers, check_hop=check_hop)
    return await within_deadline(url, settings.total_timeout, work)


def _conditional_headers(validators: Validators | None) -> dict[str, str]:
    etag, last_modified = validators or (None, None)
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _not_modified(url: str, response: httpx.Response) -> Page:
    headers = {key.lower(): value for key, value in response.headers.items()}
    return Page(
        url=url,
        final_url=str(response.url),
        status=304,
        headers=headers,
        content=b"",
        html="",
        encoding="",
        encoding_source="",
        fetched_at=datetime.now(UTC),
    )


def _raise_for_status(url: str, response: httpx.Response, policy: RetryPolicy) -> None:
    if not 200 <= response.status_code < 300:
        raise _status_error(url, response, policy)


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
