"""pages_from_warc: our own archives round-trip; other WARCs are read; torn files end cleanly."""

from __future__ import annotations

import gzip
import io
import logging
import re
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders  # type: ignore[import-untyped]
from warcio.warcwriter import WARCWriter  # type: ignore[import-untyped]

from scraper.errors import ConfigError
from scraper.fetch.archive import pages_from_warc
from tests.write.test_warc import as_stored, sample_pages, write_archive

HTML = b"<html><body><p>Archived by another crawler.</p></body></html>"


def test_pages_round_trip(tmp_path: Path) -> None:
    pages = sample_pages()
    path, _ = write_archive(tmp_path, pages)
    read = list(pages_from_warc(path))
    assert read == [as_stored(page) for page in pages]
    cafe, redirected, plain = read
    assert (cafe.encoding, cafe.encoding_source) == ("cp1252", "header")
    assert "“Quoted” — it costs 5 € and the naïve chef’s œuvre" in cafe.html
    assert (redirected.url, redirected.final_url) == (pages[1].url, pages[1].final_url)
    assert redirected.headers["etag"] == '"v1"'
    assert "content-encoding" not in redirected.headers
    assert (plain.status, plain.encoding_source, plain.fetched_at) == (
        203,
        "meta",
        pages[2].fetched_at,
    )


def test_a_file_cut_inside_a_record_yields_the_whole_records_before_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pages = sample_pages()
    path, sizes = write_archive(tmp_path, pages)
    data = path.read_bytes()
    cut_file = tmp_path / "cut.warc.gz"
    # sizes: after warcinfo, after page 1, 2, 3. The last few bytes of a gzip member are its
    # checksum: cut there, the record's data is all present, so stop 16 bytes short.
    for whole in (1, 2):
        start, end = sizes[whole], sizes[whole + 1] - 16
        for cut in range(start + 1, end, max((end - start) // 25, 1)):
            cut_file.write_bytes(data[:cut])
            read = list(pages_from_warc(cut_file))
            assert read == [as_stored(page) for page in pages[:whole]], cut
    assert "cut short or damaged" in caplog.text


def test_a_file_cut_at_a_record_boundary_is_simply_shorter(tmp_path: Path) -> None:
    pages = sample_pages()
    path, sizes = write_archive(tmp_path, pages)
    cut_file = tmp_path / "cut.warc.gz"
    cut_file.write_bytes(path.read_bytes()[: sizes[2]])
    assert list(pages_from_warc(cut_file)) == [as_stored(page) for page in pages[:2]]


@pytest.mark.parametrize(
    "content",
    [b"<html>not an archive</html>", gzip.compress(b"plain text, gzipped\r\n\r\n"), b"WARC/"],
)
def test_a_file_that_is_not_warc_is_a_config_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "page.warc.gz"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=re.escape(str(path))):
        list(pages_from_warc(path))


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape("missing.warc")):
        list(pages_from_warc(tmp_path / "missing.warc"))


def test_an_empty_file_has_no_pages(tmp_path: Path) -> None:
    path = tmp_path / "empty.warc.gz"
    path.write_bytes(b"")
    assert list(pages_from_warc(path)) == []


def _foreign_warc(path: Path, records: list[tuple[str, str, list[tuple[str, str]], bytes]]) -> None:
    """A WARC as another crawler writes it: (type, uri, http headers, raw http body)."""
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=path.suffix == ".gz")
        for rec_type, uri, headers, body in records:
            statusline = "GET / HTTP/1.1" if rec_type == "request" else "200 OK"
            http = StatusAndHeaders(
                statusline, headers, protocol="" if rec_type == "request" else "HTTP/1.1"
            )
            record = writer.create_warc_record(
                uri, rec_type, payload=io.BytesIO(body), length=len(body), http_headers=http
            )
            writer.write_record(record)


def _chunked(data: bytes) -> bytes:
    return (
        b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (data[:10], data[10:]))
        + b"0\r\n\r\n"
    )


@pytest.mark.parametrize("name", ["other.warc.gz", "other.warc"])
def test_other_crawlers_warcs_html_only_and_decoded(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    html = [("Content-Type", "text/html")]
    _foreign_warc(
        path,
        [
            ("request", "https://other.test/", [("Host", "other.test")], b""),
            (
                "response",
                "https://other.test/logo.png",
                [("Content-Type", "image/png")],
                b"\x89PNG",
            ),
            ("response", "https://other.test/", html, HTML),
            ("response", "https://other.test/untyped", [], HTML),
            ("response", "https://other.test/bin", html, b"\x00\x01\x02" * 100),
            (
                "response",
                "https://other.test/zipped",
                [*html, ("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")],
                _chunked(gzip.compress(HTML)),
            ),
        ],
    )
    pages = list(pages_from_warc(path))
    assert [page.final_url for page in pages] == [
        "https://other.test/",
        "https://other.test/untyped",
        "https://other.test/zipped",
    ]
    assert all(page.content == HTML and page.url == page.final_url for page in pages)
    assert pages[2].headers == {"content-type": "text/html", "content-length": str(len(HTML))}
    assert pages[0].fetched_at.tzinfo is not None


def test_oversized_payloads_are_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "big.warc.gz"
    big = b"<html><p>" + b"a" * 5000 + b"</p></html>"
    html = [("Content-Type", "text/html")]
    _foreign_warc(
        path,
        [
            (
                "response",
                "https://other.test/bomb",
                [*html, ("Content-Encoding", "gzip")],
                gzip.compress(big),
            ),
            ("response", "https://other.test/", html, HTML),
        ],
    )
    with caplog.at_level(logging.WARNING):
        pages = list(pages_from_warc(path, max_body_bytes=1000))
    assert [page.final_url for page in pages] == ["https://other.test/"]
    assert "larger than 1000 bytes" in caplog.text
    assert len(list(pages_from_warc(path))) == 2
