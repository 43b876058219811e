"""What the body is allowed to be, and how it is decoded, end to end over HTTP."""

from __future__ import annotations

from datetime import UTC

import pytest

from scraper.errors import PermanentFetchError
from tests.fetch.harness import run_raw, tiny
from tests.fetch.servers import head, reply, stall_after

FRENCH = (
    "<html><head><title>Café – naïve</title></head><body><p>Le café était naïve – "
    "« déjà vu » à Noël, où l’été s’achève.</p></body></html>"
)


def test_a_page_carries_everything_about_the_fetch() -> None:
    body = FRENCH.encode("utf-8")
    result = run_raw({"/a": reply(200, body, {"X-Thing": "1"})}, "/a")

    page = result.ok()
    assert page.url == page.final_url
    assert page.final_url.endswith("/a")
    assert page.status == 200
    assert page.content == body
    assert page.html == FRENCH
    assert (page.encoding, page.encoding_source) == ("utf-8", "header")
    assert page.headers["x-thing"] == "1"
    assert page.fetched_at.tzinfo is not None
    assert page.fetched_at.utcoffset() == UTC.utcoffset(None)
    assert result.seen[0].headers["user-agent"] == tiny().user_agent


@pytest.mark.parametrize(
    "content_type", ["application/pdf", "image/png", "application/json", "text/plain"]
)
def test_a_declared_non_html_type_aborts_right_after_the_headers(content_type: str) -> None:
    # The body never comes: the refusal has to be made on the headers alone.
    headers = head(200, {"Content-Type": content_type, "Content-Length": "100000"})
    result = run_raw({"/": stall_after(headers, 5.0)}, settings=tiny(read_timeout=5.0))

    assert isinstance(result.error, PermanentFetchError)
    assert result.error.code == "unsupported_content"
    assert content_type in str(result.error)
    assert result.elapsed < 1
    assert len(result.seen) == 1


@pytest.mark.parametrize(
    "content_type", ["text/html", "TEXT/HTML; charset=utf-8", "application/xhtml+xml", None]
)
def test_html_types_and_a_missing_type_are_accepted(content_type: str | None) -> None:
    raw = head(200, {"Content-Type": content_type} if content_type else {})
    result = run_raw({"/": stall_after(raw + b"<p>hello</p>", 0)})

    assert result.ok().html == "<p>hello</p>"


def test_pdf_bytes_served_as_html_are_refused() -> None:
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    result = run_raw({"/": reply(200, pdf, {"Content-Type": "text/html"})})

    assert isinstance(result.error, PermanentFetchError)
    assert result.error.code == "unsupported_content"
    assert "PDF" in str(result.error)


def test_a_utf8_header_on_a_cp1252_body_is_not_trusted() -> None:
    body = FRENCH.encode("cp1252")
    result = run_raw({"/": reply(200, body, {"Content-Type": "text/html; charset=utf-8"})})

    page = result.ok()
    assert page.html == FRENCH
    assert (page.encoding, page.encoding_source) == ("cp1252", "detected")


def test_a_meta_charset_decodes_the_body() -> None:
    html = '<html><head><meta charset="windows-1251"></head><body>Новости дня</body></html>'
    result = run_raw({"/": reply(200, html.encode("cp1251"), {"Content-Type": "text/html"})})

    page = result.ok()
    assert page.html == html
    assert (page.encoding, page.encoding_source) == ("cp1251", "meta")
