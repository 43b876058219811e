"""decode_html: BOM > header (if it decodes strictly) > <meta> > detection > UTF-8."""

from __future__ import annotations

import codecs

import pytest

from scraper.fetch import decode_html
from scraper.fetch.charset import meta_charset, resolve_label

FRENCH = (
    "<html><head><title>Café – naïve</title></head><body><p>Le café était naïve – "
    "« déjà vu » à Noël, où l’été s’achève.</p></body></html>"
)
RUSSIAN = (
    "<html><body><p>Съешь же ещё этих мягких французских булок, да выпей чаю.</p></body></html>"
)


def test_a_utf8_bom_beats_a_header_that_says_otherwise() -> None:
    body = codecs.BOM_UTF8 + RUSSIAN.encode("utf-8")

    assert decode_html(body, "text/html; charset=windows-1251") == (RUSSIAN, "utf-8", "bom")


def test_a_utf16_bom_is_honoured() -> None:
    body = codecs.BOM_UTF16_LE + FRENCH.encode("utf-16-le")

    assert decode_html(body, None) == (FRENCH, "utf-16-le", "bom")


def test_a_header_charset_that_decodes_is_used() -> None:
    body = RUSSIAN.encode("cp1251")

    assert decode_html(body, 'text/html; charset="windows-1251"') == (RUSSIAN, "cp1251", "header")


def test_a_utf8_header_on_a_cp1252_body_falls_through_to_detection() -> None:
    assert decode_html(FRENCH.encode("cp1252"), "text/html; charset=utf-8") == (
        FRENCH,
        "cp1252",
        "detected",
    )


def test_latin1_labels_mean_windows_1252_as_in_browsers() -> None:
    body = "<p>Price – 10 €</p>".encode("cp1252")  # 0x96 and 0x80 are C1 controls in latin-1

    assert decode_html(body, "text/html; charset=ISO-8859-1") == (
        "<p>Price – 10 €</p>",
        "cp1252",
        "header",
    )


def test_a_latin1_header_on_a_utf8_body_yields_utf8_not_mojibake() -> None:
    text, encoding, source = decode_html(FRENCH.encode("utf-8"), "text/html; charset=iso-8859-1")

    assert (text, encoding, source) == (FRENCH, "utf-8", "detected")


def test_meta_charset_is_used_when_the_header_has_none() -> None:
    html = '<html><head><meta charset="koi8-r"></head>' + RUSSIAN
    assert decode_html(html.encode("koi8-r"), "text/html") == (html, "koi8-r", "meta")


def test_meta_http_equiv_content_type_is_understood() -> None:
    html = '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=windows-1251">' + RUSSIAN
    assert decode_html(html.encode("cp1251"), None) == (html, "cp1251", "meta")


def test_the_header_beats_the_meta() -> None:
    html = '<meta charset="iso-8859-5">' + RUSSIAN
    body = html.encode("cp1251")

    assert decode_html(body, "text/html; charset=windows-1251")[1:] == ("cp1251", "header")


def test_a_meta_that_fails_to_decode_is_not_trusted() -> None:
    html = '<meta charset="utf-8">' + FRENCH
    text, encoding, source = decode_html(html.encode("cp1252"), None)

    assert (text, encoding, source) == (html, "cp1252", "detected")


def test_meta_inside_a_comment_or_past_1024_bytes_is_ignored() -> None:
    assert meta_charset(b'<!-- <meta charset="koi8-r"> --><p>x</p>') is None
    assert meta_charset(b" " * 1024 + b'<meta charset="koi8-r">') is None
    assert meta_charset(b'<meta name="x" content="y"><meta charset=\'KOI8-R\'>') == "KOI8-R"


def test_no_declaration_utf8_is_detected() -> None:
    assert decode_html(FRENCH.encode("utf-8"), None) == (FRENCH, "utf-8", "detected")


def test_no_declaration_legacy_encoding_is_detected() -> None:
    html = "<html><body><p>日本語のニュース記事です。今日の天気は晴れです。</p></body></html>"

    text, encoding, source = decode_html(html.encode("shift_jis"), None)

    assert (text, source) == (html, "detected")
    assert encoding == "cp932"


def test_an_empty_body_decodes_to_empty_text() -> None:
    assert decode_html(b"", "text/html") == ("", "utf-8", "default")


def test_undecodable_bytes_never_raise() -> None:
    text, encoding, _ = decode_html(bytes(range(0x80, 0x100)) * 8, "text/html; charset=utf-8")

    assert isinstance(text, str)
    assert encoding


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("latin1", "cp1252"),
        ("US-ASCII", "cp1252"),
        ("iso-8859-9", "cp1254"),
        ("gb2312", "gb18030"),
        ("shift_jis", "cp932"),
        ("euc-kr", "cp949"),
        ("utf8", "utf-8"),
        ("utf-7", None),
        ("unicode_escape", None),
        ("rot13", None),
        ("nonsense", None),
    ],
)
def test_labels_map_like_a_browser(label: str, expected: str | None) -> None:
    assert resolve_label(label) == expected


def test_a_meta_claiming_utf16_means_utf8() -> None:
    assert resolve_label("utf-16", from_meta=True) == "utf-8"
