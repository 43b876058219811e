"""parse_sitemap: urlset, sitemapindex, Google News, gzip, caps, and hostile XML."""

from __future__ import annotations

import gzip
import time
import tracemalloc
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraper.discover import Link, SitemapResult, parse_sitemap

SITEMAP_URL = "https://news.example/sitemaps/news.xml"
MiB = 1024 * 1024

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url>
    <loc>https://news.example/world/2025/03/14/leaders-meet?utm_source=sitemap</loc>
    <lastmod>2025-03-14T10:00:00+01:00</lastmod>
    <changefreq>hourly</changefreq>
    <image:image><image:loc>https://news.example/img/leaders.jpg</image:loc></image:image>
  </url>
  <url><loc> /world/floods-leave-thousands-homeless </loc><lastmod>2025-03-13</lastmod></url>
  <url><loc>relative-to-the-sitemap</loc></url>
  <url><loc>javascript:alert(1)</loc></url>
  <url><loc>data:text/html,x</loc></url>
  <url><loc>mailto:desk@news.example</loc></url>
  <url><lastmod>2025-03-13</lastmod></url>
  <url><loc>https://NEWS.example:443/world/2025/03/14/leaders-meet#top</loc></url>
</urlset>"""

EXPECTED_URLSET = (
    Link(
        "https://news.example/world/2025/03/14/leaders-meet",
        datetime(2025, 3, 14, 9, 0, tzinfo=UTC),
    ),
    Link(
        "https://news.example/world/floods-leave-thousands-homeless",
        datetime(2025, 3, 13, tzinfo=UTC),
    ),
    Link("https://news.example/sitemaps/relative-to-the-sitemap"),
)


def test_urlset_with_lastmod_relative_and_bad_locs() -> None:
    assert parse_sitemap(URLSET, SITEMAP_URL) == SitemapResult(
        links=EXPECTED_URLSET, sitemaps=(), truncated=False
    )


def test_sitemapindex() -> None:
    index = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://news.example/sitemaps/2025-03.xml.gz</loc><lastmod>2025-03-14</lastmod></sitemap>
  <sitemap><loc>2025-02.xml</loc></sitemap>
  <sitemap><loc>https://news.example/sitemaps/2025-02.xml</loc></sitemap>
  <sitemap><loc>javascript:x()</loc></sitemap>
</sitemapindex>"""
    assert parse_sitemap(index, SITEMAP_URL) == SitemapResult(
        links=(),
        sitemaps=(
            "https://news.example/sitemaps/2025-03.xml.gz",
            "https://news.example/sitemaps/2025-02.xml",
        ),
        truncated=False,
    )


def test_google_news_sitemap() -> None:
    news = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://news.example/world/2025/03/14/leaders-meet</loc>
    <lastmod>2025-03-14T12:00:00Z</lastmod>
    <news:news>
      <news:publication>
        <news:name>The Example</news:name><news:language>en</news:language>
      </news:publication>
      <news:publication_date>2025-03-14T09:30:00+01:00</news:publication_date>
      <news:title>Leaders  meet in Geneva</news:title>
    </news:news>
  </url>
  <url>
    <loc>https://news.example/world/floods</loc>
    <news:news><news:publication_date>2025-03-13</news:publication_date></news:news>
  </url>
</urlset>"""
    assert parse_sitemap(news, SITEMAP_URL).links == (
        Link(
            "https://news.example/world/2025/03/14/leaders-meet",
            datetime(2025, 3, 14, 8, 30, tzinfo=UTC),
            "Leaders meet in Geneva",
        ),
        Link("https://news.example/world/floods", datetime(2025, 3, 13, tzinfo=UTC)),
    )


def test_namespaces_missing_or_undeclared_are_tolerated() -> None:
    bare = (
        b"<urlset><url><loc>https://news.example/a</loc><lastmod>2025-03</lastmod></url>"
        b"<url><news:news><news:title>T</news:title></news:news><loc>/b</loc></url></urlset>"
    )
    assert parse_sitemap(bare, SITEMAP_URL).links == (
        Link("https://news.example/a", datetime(2025, 3, 1, tzinfo=UTC)),
        Link("https://news.example/b", title="T"),
    )


def test_gzipped_sitemap_is_detected_by_magic_bytes() -> None:
    assert parse_sitemap(gzip.compress(URLSET), SITEMAP_URL).links == EXPECTED_URLSET
    # several gzip members in one file
    halves = gzip.compress(b"https://news.example/a\n") + gzip.compress(b"https://news.example/b\n")
    assert [link.url for link in parse_sitemap(halves, SITEMAP_URL).links] == [
        "https://news.example/a",
        "https://news.example/b",
    ]


def test_gzip_bomb_is_cut_at_max_bytes_fast_and_small() -> None:
    # 100 MiB of zeros in ~100 KB: 100 gzip members of 1 MiB each (a .gz may hold several,
    # and building it this way keeps the test fast); only max_bytes is ever decompressed
    bomb = gzip.compress(b"\0" * MiB, 9) * 100
    assert len(bomb) < 200_000
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = parse_sitemap(bomb, SITEMAP_URL, max_bytes=MiB)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 1
    assert peak < 4 * MiB
    assert result == SitemapResult(links=(), sitemaps=(), truncated=True)


def test_single_member_gzip_bomb_is_cut_too() -> None:
    compressor = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = b"".join(compressor.compress(b"\0" * MiB) for _ in range(20)) + compressor.flush()
    started = time.perf_counter()
    assert parse_sitemap(bomb, SITEMAP_URL, max_bytes=MiB).truncated
    assert time.perf_counter() - started < 1


def test_gzipped_urlset_over_max_bytes_keeps_the_complete_entries_before_the_cut() -> None:
    entries = b"".join(
        b"<url><loc>https://news.example/p%d</loc></url>\n" % i for i in range(20_000)
    )
    document = gzip.compress(b"<urlset>" + entries + b"</urlset>")
    result = parse_sitemap(document, SITEMAP_URL, max_bytes=256 * 1024)
    assert result.truncated
    assert 5_000 < len(result.links) < 7_000
    # no half-read URL at the cut: every link is one that was really listed, in order
    last = int(result.links[-1].url.rsplit("p", 1)[1])
    assert [link.url for link in result.links] == [
        f"https://news.example/p{i}" for i in range(last + 1)
    ]


def test_plain_sitemap_over_max_bytes_is_truncated_without_half_entries() -> None:
    second_end = URLSET.index(b"</url>", URLSET.index(b"</url>") + 1) + len(b"</url>")
    inside_third = parse_sitemap(URLSET, SITEMAP_URL, max_bytes=second_end + 20)
    assert inside_third == SitemapResult(EXPECTED_URLSET[:2], (), truncated=True)
    inside_first = parse_sitemap(URLSET, SITEMAP_URL, max_bytes=URLSET.index(b"</loc>") - 5)
    assert inside_first == SitemapResult((), (), truncated=True)


def test_more_than_max_urls_is_truncated() -> None:
    entries = b"".join(b"<url><loc>https://news.example/p%d</loc></url>" % i for i in range(60_000))
    result = parse_sitemap(b"<urlset>" + entries + b"</urlset>", SITEMAP_URL)
    assert result.truncated
    assert len(result.links) == 50_000
    assert result.links[-1].url == "https://news.example/p49999"
    small = parse_sitemap(b"<urlset>" + entries[:2000] + b"</urlset>", SITEMAP_URL, max_urls=10)
    assert len(small.links) == 10 and small.truncated


def test_exactly_max_urls_is_not_truncated() -> None:
    entries = b"".join(b"<url><loc>https://news.example/p%d</loc></url>" % i for i in range(10))
    result = parse_sitemap(b"<urlset>" + entries + b"</urlset>", SITEMAP_URL, max_urls=10)
    assert len(result.links) == 10 and not result.truncated


def test_xxe_file_entity_is_not_leaked(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xxe = (
        b'<?xml version="1.0"?>\n<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file://'
        + str(secret).encode()
        + b'">]>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>http://127.0.0.1:8000/&xxe;</loc></url></urlset>"
    )
    result = parse_sitemap(xxe, SITEMAP_URL)
    assert result.links == (Link("http://127.0.0.1:8000/"),)
    assert "TOPSECRET" not in repr(result)


def test_external_dtd_is_not_fetched() -> None:
    # a fetch would hit the test suite's network guard (or a closed port) and fail loudly
    doc = (
        b'<?xml version="1.0"?>\n<!DOCTYPE urlset SYSTEM "http://127.0.0.1:9/x.dtd">\n'
        b"<urlset><url><loc>https://news.example/a</loc></url></urlset>"
    )
    assert parse_sitemap(doc, SITEMAP_URL).links == (Link("https://news.example/a"),)


@pytest.mark.parametrize("kind", ["billion laughs", "quadratic blowup"])
def test_entity_bombs_do_not_expand(kind: str) -> None:
    if kind == "billion laughs":
        entities = b"".join(
            b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10)
        )
        dtd, ref = b'<!ENTITY lol0 "lol">' + entities, b"&lol9;"
    else:
        dtd, ref = b'<!ENTITY a "' + b"A" * 100_000 + b'">', b"&a;" * 50_000
    doc = (
        b'<?xml version="1.0"?>\n<!DOCTYPE urlset [' + dtd + b"]>\n"
        b"<urlset><url><loc>https://news.example/before</loc></url>"
        b"<url><loc>https://news.example/" + ref + b"</loc></url></urlset>"
    )
    started = time.perf_counter()
    result = parse_sitemap(doc, SITEMAP_URL)
    assert time.perf_counter() - started < 1
    assert all(len(link.url) < 100 for link in result.links)
    # libxml2 stops at the bomb (its amplification limit) without an error in recover mode;
    # what came before is kept and the result says the rest was not read
    assert result == SitemapResult((Link("https://news.example/before"),), (), truncated=True)


def test_a_document_that_is_one_entry_is_complete() -> None:
    result = parse_sitemap(b"<url><loc>https://news.example/a</loc></url>", SITEMAP_URL)
    assert result == SitemapResult((Link("https://news.example/a"),), (), truncated=False)


def test_hostile_pile_of_unclosed_locs_is_fast() -> None:
    started = time.perf_counter()
    result = parse_sitemap(b"<urlset>" + b"<loc>http" * 25_000, SITEMAP_URL)
    assert time.perf_counter() - started < 1
    assert result.links == ()


def test_plain_text_sitemap() -> None:
    text = (
        b"https://news.example/a?utm_source=x\r\n\n"
        b"not a url\n/relative/is/not/allowed/here\n"
        b"  https://news.example/b#frag  \n"
        b"javascript:alert(1)\n"
        b"https://news.example/a"
    )
    assert [link.url for link in parse_sitemap(text, SITEMAP_URL).links] == [
        "https://news.example/a",
        "https://news.example/b",
    ]


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\n\n",
        b"\x00\x01garbage",
        b"<html><body><a href='https://news.example/a'>a</a></body></html>",
    ],
)
def test_empty_or_foreign_documents_give_an_empty_result(content: bytes) -> None:
    assert parse_sitemap(content, SITEMAP_URL) == SitemapResult((), (), False)


def test_short_gzip_keeps_the_complete_lines_before_the_end() -> None:
    lines = b"".join(
        b"https://news.example/story-%d\n" % (i * 7919 % 100_003) for i in range(5_000)
    )
    result = parse_sitemap(gzip.compress(lines)[:-5_000], SITEMAP_URL)
    assert result.truncated
    assert 0 < len(result.links) < 5_000
    assert [link.url.encode() for link in result.links] == lines.split(b"\n")[: len(result.links)]


def test_corrupt_gzip_does_not_raise() -> None:
    data = gzip.compress(b"https://news.example/a\n" * 1000)
    result = parse_sitemap(data[:20] + b"\xff" * 64 + data[84:], SITEMAP_URL)
    assert result.truncated


def test_the_url_cap_counts_entries_whatever_their_loc() -> None:
    # 300,000 entries that add nothing (a repeated loc, an empty one, a broken one) stop being
    # read at max_urls, so they cost what max_urls good entries cost
    junk = (
        b"<url><loc>https://news.example/same</loc></url><url></url>"
        b"<url><loc>http://[::1/</loc></url>"
    ) * 100_000
    started = time.perf_counter()
    result = parse_sitemap(b"<urlset>" + junk + b"</urlset>", SITEMAP_URL, max_urls=1000)
    assert time.perf_counter() - started < 1
    assert result == SitemapResult((Link("https://news.example/same"),), (), truncated=True)


def test_an_empty_sitemap_entry_is_not_the_sitemap_itself() -> None:
    index = b"<sitemapindex><sitemap></sitemap><sitemap><loc> </loc></sitemap></sitemapindex>"
    assert parse_sitemap(index, SITEMAP_URL) == SitemapResult((), (), truncated=False)
