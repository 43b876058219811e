"""The fetch stage: URL (or raw bytes) in, a checked and decoded Page out.

Limits, retries, redirects and charset decoding all live here; callers see only Page and the
FetchError tree, never httpx exceptions.

    make_client(settings) -> httpx.AsyncClient
    await fetch(url, client, settings, *, validators=None) -> Page   (status 304 if unchanged)
    await fetch_document(url, client, settings, *, max_bytes) -> Document   (feeds, sitemaps)
    page_from_bytes(content, url, *, headers=None, status=200, fetched_at=None) -> Page
    decode_html(content, content_type) -> (text, encoding, source)
"""

from __future__ import annotations

from scraper.fetch.charset import decode_html
from scraper.fetch.client import Document, fetch, fetch_document, make_client
from scraper.fetch.page import page_from_bytes

__all__ = [
    "Document",
    "decode_html",
    "fetch",
    "fetch_document",
    "make_client",
    "page_from_bytes",
]
