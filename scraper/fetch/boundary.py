"""The one place httpx exceptions become ScraperErrors; nothing outside fetch/ sees httpx errors."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager

import h11
import httpx

from scraper.errors import PermanentFetchError, TransientFetchError


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@contextmanager
def httpx_errors(url: str, *, reading_body: bool = False) -> Iterator[None]:
    """Translate httpx exceptions raised inside the block.

    ``reading_body`` marks a body read: a peer that hangs up there has cut the body short,
    which is worth a retry under its own name (incomplete_body) rather than a generic one.
    """
    try:
        yield
    except httpx.TimeoutException as exc:
        phase = type(exc).__name__.removesuffix("Timeout").lower() or "network"
        raise TransientFetchError(f"{phase} timed out", url=url, code="timeout") from exc
    except httpx.RemoteProtocolError as exc:
        if reading_body:
            raise TransientFetchError(
                f"body cut short: {exc}", url=url, code="incomplete_body"
            ) from exc
        if _caused_by(exc, h11.RemoteProtocolError):
            # h11 refused the response head itself (a malformed status line, a header block
            # over httpcore's 100 KiB): the server's doing, and asking again gets the same.
            raise PermanentFetchError(
                f"malformed response: {exc}", url=url, code="protocol_error"
            ) from exc
        # httpcore's own "Server disconnected without sending a response" lands here.
        raise TransientFetchError(
            f"server broke the protocol: {exc}", url=url, code="connection_error"
        ) from exc
    except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
        raise PermanentFetchError(f"bad request: {exc}", url=url, code="invalid_url") from exc
    except httpx.TransportError as exc:
        if _caused_by(exc, ssl.SSLCertVerificationError):
            raise PermanentFetchError(
                f"TLS certificate rejected: {exc}", url=url, code="tls_error"
            ) from exc
        raise TransientFetchError(
            f"connection failed: {exc or type(exc).__name__}", url=url, code="connection_error"
        ) from exc
    except httpx.InvalidURL as exc:
        raise PermanentFetchError(f"invalid URL: {exc}", url=url, code="invalid_url") from exc
    except httpx.HTTPError as exc:
        raise PermanentFetchError(f"request failed: {exc}", url=url, code="request_error") from exc
