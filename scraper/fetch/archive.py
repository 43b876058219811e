"""WARC -> Pages: the raw pages of an archived crawl, for re-extraction without the network.

Reads any WARC (ours from ``scraper.write.warc``, or another crawler's), gzipped or not. Every
``response`` record whose payload is HTML becomes a Page, checked and decoded exactly like a
fetched body; other records (warcinfo, requests, images, PDFs, DNS) are skipped. The status is
the archived one, so a caller that wants only articles keeps the 200s.

A crawl killed mid-write leaves a torn last record. warcio hands such a record over as if whole
but shorter than its Content-Length says (or fails to parse it), so the payload length is
checked: a torn or unreadable record ends the iteration, with a warning, after the whole records
before it. A file whose very first record cannot be read is not taken for a WARC at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator  # type: ignore[import-untyped]

from scraper.errors import ConfigError, PermanentFetchError
from scraper.fetch.page import build_page
from scraper.fetch.sniff import check_content_type
from scraper.models import Page

__all__ = ["REQUESTED_URI_HEADER", "pages_from_warc"]

log = logging.getLogger(__name__)

# Written by scraper.write.warc when the requested URL redirected to the archived one.
REQUESTED_URI_HEADER = "WARC-Scraper-Requested-URI"
# The payload handed over is decoded from these, so they no longer describe it.
_WIRE_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})
_CHUNK = 64 * 1024


class _TornRecord(Exception):
    """The record ends before its Content-Length: the file was cut inside it."""


def pages_from_warc(path: Path, *, max_body_bytes: int | None = None) -> Iterator[Page]:
    """Every HTML response in the WARC file at ``path``, in file order.

    A payload larger than ``max_body_bytes`` (after Content-Encoding is undone) is skipped, so
    an archived decompression bomb costs no more than that. Raises ConfigError naming the file
    when it cannot be opened or is not a WARC file.
    """
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise ConfigError(f"cannot read WARC file {path}: {exc}") from exc
    with stream:
        records = iter(ArchiveIterator(stream))
        whole = 0
        while True:
            try:
                record = next(records)
            except StopIteration:
                return
            # warcio has no single error for malformed input: a cut record can surface as
            # ArchiveLoadFailed, zlib.error, EOFError, or an AttributeError on a missing header.
            except Exception as exc:
                _damaged(path, whole, exc)
                return
            try:
                page = _page(record, max_body_bytes)
            except _TornRecord as exc:
                _damaged(path, whole, exc)
                return
            whole += 1
            if page is not None:
                yield page


def _damaged(path: Path, whole: int, exc: Exception) -> None:
    """A record could not be read: the file is no WARC if it was the first, else cut there."""
    if whole == 0:
        raise ConfigError(f"{path} is not a WARC file: {exc}") from exc
    log.warning("%s: record %d is cut short or damaged (%s); stopping", path, whole, exc)


def _page(record: Any, max_body_bytes: int | None) -> Page | None:
    """The Page of one record, or None when the record holds no HTML page."""
    if record.rec_type != "response" or not record.http_headers:
        return None
    target = str(record.rec_headers.get_header("WARC-Target-URI") or "")
    headers = _headers(record.http_headers.headers)
    try:
        check_content_type(headers.get("content-type"), target)
    except PermanentFetchError:
        return None
    content = _payload(record, max_body_bytes)
    if content is None:
        log.warning("%s: archived body is larger than %s bytes; skipped", target, max_body_bytes)
        return None
    headers["content-length"] = str(len(content))
    try:
        status = int(record.http_headers.get_statuscode())
        fetched_at = _warc_date(record.rec_headers.get_header("WARC-Date"))
    except ValueError as exc:
        # One malformed record says nothing about the rest of the file: skip just this one.
        log.warning("%s: unusable archived record (%s); skipped", target, exc)
        return None
    requested = record.rec_headers.get_header(REQUESTED_URI_HEADER)
    try:
        return build_page(
            content,
            str(requested or target),
            final_url=target,
            headers=headers,
            status=status,
            fetched_at=fetched_at,
        )
    except PermanentFetchError:
        return None  # declared as HTML (or not at all), but the bytes are binary


def _headers(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """HTTP headers with lower-case names, repeats joined as httpx joins them."""
    merged: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        if key in _WIRE_HEADERS:
            continue
        merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return merged


def _payload(record: Any, max_body_bytes: int | None) -> bytes | None:
    """The decoded body, or None if it exceeds ``max_body_bytes``. Raises _TornRecord."""
    limit = None if max_body_bytes is None else max_body_bytes + 1
    raw = record.raw_stream
    try:
        content = bytes(record.content_stream().read(limit))
        if max_body_bytes is not None and len(content) > max_body_bytes:
            return None
        # Decoding chunked or compressed data may leave framing bytes unread: drain them, so
        # whatever the block still owes can only be missing because the file ends early.
        while raw.read(_CHUNK):
            pass
    except Exception as exc:  # as in pages_from_warc: a cut gzip member fails in many ways
        raise _TornRecord(f"unreadable payload: {exc}") from exc
    if raw.limit > 0:
        raise _TornRecord(f"{raw.limit} bytes missing from {record.length}")
    return content


def _warc_date(value: str | None) -> datetime:
    """WARC-Date as an aware datetime; WARC dates are UTC, with or without the Z."""
    if not value:
        raise ValueError("record has no WARC-Date")
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
