"""Refuse what is not HTML: first by the declared Content-Type, then by the bytes themselves."""

from __future__ import annotations

import codecs

from scraper.errors import PermanentFetchError

# One code for "this is not a page we can read", whether the headers or the bytes said so.
UNSUPPORTED_CONTENT = "unsupported_content"

# A missing Content-Type is a candidate too: plenty of small servers send none.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

_MAGIC = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
)
_SAMPLE = 4096
# C0 controls that never occur in text (WHATWG "binary data bytes"): NUL..BS, VT, SO..SUB, FS..US.
_BINARY_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])
# Random bytes hit that set ~10% of the time. A stray NUL or ESC in an otherwise good page (a
# broken <title>) should not cost the page, so one is not enough: it takes a share of the sample.
_BINARY_SHARE = 0.02


def media_type(content_type: str | None) -> str:
    """The bare, lower-cased media type of a Content-Type value ("" when absent)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def check_content_type(content_type: str | None, url: str) -> None:
    """Raise unsupported_content for a declared type that is not HTML (a missing type is
    accepted). Called on the headers alone, so the body of a refused type is never read."""
    kind = media_type(content_type)
    if kind and kind not in HTML_TYPES:
        message = f"content type {kind!r} is not HTML"
        raise PermanentFetchError(message, url=url, code=UNSUPPORTED_CONTENT)


def sniff_binary(content: bytes) -> str | None:
    """What the body looks like if it is clearly not text (e.g. "a PDF document"), else None."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None  # UTF-16 text is full of NULs by nature
    head = content[:_SAMPLE].lstrip(b" \t\r\n\f")
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if b"\x00" in head:
        controls = len(head) - len(head.translate(None, _BINARY_BYTES))
        if controls > _BINARY_SHARE * len(head):
            return "binary data"
    return None


def check_body(content: bytes, url: str) -> None:
    """Raise unsupported_content if the bytes are a known binary format or plainly binary:
    run before decoding, so no parser (and never trafilatura) sees such a body."""
    found = sniff_binary(content)
    if found is not None:
        message = f"body is {found}, not HTML"
        raise PermanentFetchError(message, url=url, code=UNSUPPORTED_CONTENT)
