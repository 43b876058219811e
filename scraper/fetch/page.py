"""Bytes -> Page: the one place a Page is assembled, for fetched and for offline input alike."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from scraper.fetch.charset import decode_html
from scraper.fetch.sniff import check_body, check_content_type
from scraper.models import Page


def build_page(
    content: bytes,
    url: str,
    *,
    final_url: str,
    headers: Mapping[str, str],
    status: int,
    fetched_at: datetime,
) -> Page:
    """Sniff the body, decode it and wrap it; the Content-Type was already accepted."""
    if fetched_at.tzinfo is None:
        raise ValueError("fetched_at must be timezone-aware")
    check_body(content, final_url)
    # Keys lower-cased so every reader can look up "content-type" the same way.
    plain = {key.lower(): value for key, value in headers.items()}
    html, encoding, source = decode_html(content, plain.get("content-type"))
    return Page(
        url=url,
        final_url=final_url,
        status=status,
        headers=plain,
        content=content,
        html=html,
        encoding=encoding,
        encoding_source=source,
        fetched_at=fetched_at.astimezone(UTC),
    )


def page_from_bytes(
    content: bytes,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    status: int = 200,
    fetched_at: datetime | None = None,
) -> Page:
    """A Page from bytes read offline (a file, stdin, an archive), checked and decoded exactly
    like a fetched body. Raises PermanentFetchError(code="unsupported_content") for non-HTML
    input."""
    headers = headers or {}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    check_content_type(content_type, url)
    return build_page(
        content,
        url,
        final_url=url,
        headers=headers,
        status=status,
        fetched_at=fetched_at or datetime.now(UTC),
    )
