"""Read a response body under a byte cap that holds on the wire and after decompression."""

from __future__ import annotations

import httpx

from scraper.errors import PermanentFetchError, TransientFetchError
from scraper.fetch.boundary import httpx_errors
from scraper.fetch.decoders import make_decoder


def _too_large(url: str, what: str, cap: int) -> PermanentFetchError:
    return PermanentFetchError(
        f"{what} is over the {cap} byte limit", url=url, code="body_too_large"
    )


def declared_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "")
    return int(value) if value.strip().isdigit() else None


def check_declared_length(response: httpx.Response, url: str, cap: int) -> None:
    """Refuse a body whose Content-Length is already over the cap, before reading any of it."""
    declared = declared_length(response)
    if declared is not None and declared > cap:
        raise _too_large(url, f"declared Content-Length {declared}", cap)


async def read_body(response: httpx.Response, url: str, cap: int) -> bytes:
    """The decoded body; at most ``cap`` bytes on the wire and ``cap`` bytes decoded.

    Reads the raw stream (``aiter_raw``): httpx's own decoding would inflate each chunk whole.
    """
    check_declared_length(response, url, cap)
    decoder = make_decoder(response.headers.get("content-encoding"), cap, url)
    body = bytearray()
    wire = 0
    with httpx_errors(url, reading_body=True):
        async for chunk in response.aiter_raw():
            wire += len(chunk)
            if wire > cap:
                raise _too_large(url, "body", cap)
            body += decoder.feed(chunk)
    body += decoder.flush()
    declared = declared_length(response)
    if declared is not None and wire < declared:
        # h11 normally catches this first; kept so the guarantee does not rest on the transport.
        raise TransientFetchError(
            f"body ended after {wire} of {declared} bytes", url=url, code="incomplete_body"
        )
    return bytes(body)
