"""page_from_bytes: offline input gets the same type check, sniff and decoding as a fetch."""

from __future__ import annotations

import codecs
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from scraper.errors import PermanentFetchError
from scraper.fetch import page_from_bytes

HTML = "<html><head><title>Ok</title></head><body><p>Story – naïve.</p></body></html>"


def test_bytes_become_a_decoded_page() -> None:
    page = page_from_bytes(HTML.encode("utf-8"), "https://example.com/a")

    assert page.url == page.final_url == "https://example.com/a"
    assert page.status == 200
    assert page.html == HTML
    assert (page.encoding, page.encoding_source) == ("utf-8", "detected")
    assert page.fetched_at.tzinfo is UTC


def test_headers_give_the_charset_and_are_kept_lower_cased() -> None:
    page = page_from_bytes(
        HTML.encode("cp1252"),
        "https://example.com/a",
        headers={"Content-Type": "text/html; charset=windows-1252"},
        status=203,
    )

    assert (page.html, page.encoding, page.encoding_source) == (HTML, "cp1252", "header")
    assert page.headers == {"content-type": "text/html; charset=windows-1252"}
    assert page.status == 203


def test_fetched_at_is_normalised_to_utc() -> None:
    paris = datetime(2026, 1, 2, 13, 0, tzinfo=timezone(timedelta(hours=1)))

    page = page_from_bytes(b"<p>x</p>", "u", fetched_at=paris)

    assert page.fetched_at == paris
    assert page.fetched_at.tzinfo is UTC


def test_a_naive_fetched_at_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        page_from_bytes(b"<p>x</p>", "u", fetched_at=datetime(2026, 1, 1))


def test_a_declared_non_html_type_is_refused() -> None:
    with pytest.raises(PermanentFetchError) as caught:
        page_from_bytes(b"{}", "u", headers={"content-type": "application/json"})

    assert caught.value.code == "unsupported_content"


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"%PDF-1.4\n...", "PDF"),
        (b"  \n%PDF-1.4\n...", "PDF"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "PNG"),
        (b"GIF89a\x01\x00\x01\x00", "GIF"),
        (b"\xff\xd8\xff\xe0\0\x10JFIF", "JPEG"),
        (b"PK\x03\x04\x14\0\0\0", "ZIP"),
        (b"\x1f\x8b\x08\0\0\0\0\0", "gzip"),
        (random.Random(7).randbytes(4096), "binary"),
    ],
)
def test_binary_content_is_refused_even_when_called_html(content: bytes, what: str) -> None:
    with pytest.raises(PermanentFetchError) as caught:
        page_from_bytes(content, "u", headers={"Content-Type": "text/html"})

    assert caught.value.code == "unsupported_content"
    assert what in str(caught.value)


def test_a_stray_nul_in_an_otherwise_good_page_is_tolerated() -> None:
    html = "<html><head><title>Bad\0title\x1b</title></head><body>" + "<p>Text.</p>" * 50

    page = page_from_bytes(html.encode("utf-8"), "u")

    assert page.html == html


def test_utf16_html_with_a_bom_is_not_mistaken_for_binary() -> None:
    page = page_from_bytes(codecs.BOM_UTF16_LE + HTML.encode("utf-16-le"), "u")

    assert (page.html, page.encoding_source) == (HTML, "bom")
