"""Redirects are followed by hand so that every hop is checked before we connect to it."""

from __future__ import annotations

import httpx

from scraper.errors import PermanentFetchError

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ALLOWED_SCHEMES = frozenset({"http", "https"})
# Never sent to an origin other than the one the caller meant them for.
CREDENTIAL_HEADERS = ("authorization", "cookie", "proxy-authorization", "x-api-key")
_DEFAULT_PORTS = {"http": 80, "https": 443}
HIDDEN_LOCATION = "x-scraper-location"

Origin = tuple[str, str, int | None]


def checked_url(target: str | httpx.URL, url: str) -> httpx.URL:
    """``target`` as an absolute http(s) URL, or PermanentFetchError. May raise InvalidURL."""
    parsed = target if isinstance(target, httpx.URL) else httpx.URL(target)
    if parsed.scheme not in ALLOWED_SCHEMES:
        scheme = parsed.scheme or "(none)"
        raise PermanentFetchError(
            f"scheme {scheme!r} of {str(parsed)[:200]!r} is not http or https",
            url=url,
            code="unsupported_scheme",
        )
    if not parsed.host:
        raise PermanentFetchError(f"no host in {str(parsed)[:200]!r}", url=url, code="invalid_url")
    return parsed


async def hide_location(response: httpx.Response) -> None:
    """Response hook: move Location out of httpx's sight.

    Even with follow_redirects=False, httpx resolves every Location into ``next_request`` and
    raises InvalidURL on targets it cannot represent (``javascript:``, ``data:``) before we get
    to refuse them by name. We resolve and check the target ourselves in redirect_target.
    """
    location = response.headers.get("location")
    if location is not None and response.status_code in REDIRECT_STATUSES:
        response.headers[HIDDEN_LOCATION] = location
        del response.headers["location"]


def redirect_target(response: httpx.Response, url: str) -> httpx.URL | None:
    """Where a redirect response points, checked; None if the response is not a redirect."""
    headers = response.headers
    location = headers.get(HIDDEN_LOCATION) or headers.get("location")
    if response.status_code not in REDIRECT_STATUSES or not location:
        return None
    return checked_url(response.url.join(location), url)


def origin(url: httpx.URL) -> Origin:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)


def strip_credentials(request: httpx.Request) -> None:
    for name in CREDENTIAL_HEADERS:
        request.headers.pop(name, None)
