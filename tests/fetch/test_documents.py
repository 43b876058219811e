"""fetch_document (feeds, sitemaps) and conditional GET, against a real local server."""

from __future__ import annotations

import asyncio
import gzip

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from scraper.errors import PermanentFetchError
from scraper.fetch import Document, fetch, fetch_document, make_client
from scraper.models import Page
from tests.fetch.harness import tiny

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
HTML = b"<html><head><title>x</title></head><body><p>hello</p></body></html>"


def get_document(url: str, max_bytes: int = 64 * 1024) -> Document:
    async def run() -> Document:
        settings = tiny()
        async with make_client(settings) as client:
            return await fetch_document(url, client, settings, max_bytes=max_bytes)

    return asyncio.run(run())


def get_page(url: str, validators: tuple[str | None, str | None] | None) -> Page:
    async def run() -> Page:
        settings = tiny()
        async with make_client(settings) as client:
            return await fetch(url, client, settings, validators=validators)

    return asyncio.run(run())


def test_xml_document_is_returned_as_bytes(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(FEED, content_type="application/rss+xml")
    document = get_document(httpserver.url_for("/feed"))
    assert document.content == FEED
    assert document.status == 200
    assert document.headers["content-type"] == "application/rss+xml"


def test_document_is_decompressed_under_the_cap(httpserver: HTTPServer) -> None:
    big = b"<urlset>" + b" " * 200_000 + b"</urlset>"
    httpserver.expect_request("/sitemap.xml").respond_with_data(
        gzip.compress(big), headers={"Content-Encoding": "gzip"}, content_type="text/xml"
    )
    with pytest.raises(PermanentFetchError) as info:
        get_document(httpserver.url_for("/sitemap.xml"), max_bytes=100_000)
    assert info.value.code == "body_too_large"


def test_document_404_is_permanent(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/missing.xml").respond_with_data("no", status=404)
    with pytest.raises(PermanentFetchError) as info:
        get_document(httpserver.url_for("/missing.xml"))
    assert info.value.status == 404


def conditional(request: Request) -> Response:
    if request.headers.get("If-None-Match") == '"v1"':
        return Response(status=304, headers={"ETag": '"v1"'})
    return Response(HTML, content_type="text/html", headers={"ETag": '"v1"'})


def test_conditional_get_gives_a_304_page(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/story").respond_with_handler(conditional)
    url = httpserver.url_for("/story")
    first = get_page(url, None)
    assert first.status == 200
    assert first.headers["etag"] == '"v1"'
    again = get_page(url, ('"v1"', None))
    assert again.status == 304
    assert again.content == b""
    changed = get_page(url, ('"v0"', "Mon, 01 Jan 2024 00:00:00 GMT"))
    assert changed.status == 200
    sent = [request.headers.get("If-Modified-Since") for request, _ in httpserver.log]
    assert sent[-1] == "Mon, 01 Jan 2024 00:00:00 GMT"
