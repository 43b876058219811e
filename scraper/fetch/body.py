"""Read a response body under a byte cap that holds on the wire and after decompression."""

from __future__ import annotations

import httpx

from scraper.errors import PermanentFetchError, TransientFetchError
from scraper.fetch.boundary import httpx_errors
from scraper.fetch.decoders import Decoder, make_decoder

# For a prefix, compressed bytes go to the decoder in slices this small, so one feed inflates to
# at most ~66 KiB for deflate (1032:1 at most) and does not trip the decoder's cap, which has
# _PREFIX_SLACK of room above the prefix: reading stops at the prefix instead of losing its tail.
_SLICE = 64
_PREFIX_SLACK = 128 * 1024


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
    """The decoded body; at most ``cap`` bytes on the wire and ``cap`` bytes decoded, or
    PermanentFetchError body_too_large.

    Reads the raw stream (``aiter_raw``): httpx's own decoding would inflate each chunk whole.
    """
    check_declared_length(response, url, cap)
    body, _ = await _read(response, url, cap, prefix=False)
    return body


async def read_prefix(response: httpx.Response, url: str, cap: int) -> tuple[bytes, bool]:
    """At most ``cap`` decoded bytes of the body, and whether there was more: for a document
    whose first part is all that counts (robots.txt, RFC 9309 §2.5), where a long body is not
    an error. Reading stops at the cap, on the wire or decoded."""
    return await _read(response, url, cap, prefix=True)


async def _read(
    response: httpx.Response, url: str, cap: int, *, prefix: bool
) -> tuple[bytes, bool]:
    slack = _PREFIX_SLACK if prefix else 0
    decoder = make_decoder(response.headers.get("content-encoding"), cap + slack, url)
    body = bytearray()
    wire = 0
    with httpx_errors(url, reading_body=True):
        async for chunk in response.aiter_raw():
            wire += len(chunk)
            if prefix:
                if not _feed_slices(decoder, chunk, body, cap) or wire > cap:
                    return bytes(body[:cap]), True
                continue
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
    return bytes(body[:cap]), len(body) > cap


def _feed_slices(decoder: Decoder, chunk: bytes, body: bytearray, cap: int) -> bool:
    """Decode ``chunk`` into ``body``; False once the body is past ``cap`` and reading can stop."""
    for start in range(0, len(chunk), _SLICE):
        try:
            body += decoder.feed(chunk[start : start + _SLICE])
        except PermanentFetchError as exc:
            # Only stacked encodings (or br/zstd) inflate past the slack; keep what came before.
            if exc.code != "body_too_large":
                raise
            return False
        if len(body) > cap:
            return False
    return True
