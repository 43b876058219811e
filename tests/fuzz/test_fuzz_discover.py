"""Fuzzing the feed and sitemap parsers with mutated real documents and random bytes: only a
ScraperError may escape, every call ends within its limit, and what comes out is normalised."""

from __future__ import annotations

from hypothesis import example, given

from scraper.discover import SitemapResult, normalise_url, parse_feed, parse_sitemap
from scraper.errors import ScraperError
from tests.fuzz.strategies import (
    ATOM,
    BASE_URL,
    INDEX,
    JSON_FEED,
    RDF,
    RSS,
    TEXT_SITEMAP,
    URLSET,
    documents,
    typed_outcome,
)

PARSE_LIMIT = 2.0  # seconds; these documents are a few KB, real ones parse in milliseconds


def assert_normalised(urls: list[str]) -> None:
    for url in urls:
        assert url.startswith(("http://", "https://"))
        assert normalise_url(url) == url


@given(documents((RSS, ATOM, RDF, JSON_FEED)))
# found by fuzzing: feedparser's encoding detection raised UnicodeDecodeError / ValueError
@example(RSS.replace(b'encoding="', b'encoding="\xff\xfe', 1))
@example(RSS.replace(b'encoding="', b'encoding="\x00', 1))
def test_feed_parser_raises_only_typed_errors_in_time(document: bytes) -> None:
    links, seconds = typed_outcome(lambda: parse_feed(document, BASE_URL, max_items=50))
    assert seconds < PARSE_LIMIT
    if not isinstance(links, ScraperError):
        assert len(links) <= 50
        assert_normalised([link.url for link in links])
        assert len({link.url for link in links}) == len(links)


@given(documents((URLSET, INDEX, TEXT_SITEMAP)))
def test_sitemap_parser_never_raises_and_stays_in_its_caps(document: bytes) -> None:
    result, seconds = typed_outcome(
        lambda: parse_sitemap(document, BASE_URL, max_urls=20, max_bytes=64 * 1024)
    )
    assert seconds < PARSE_LIMIT
    assert isinstance(result, SitemapResult)  # documented: never raises for bad input
    assert len(result.links) <= 20 and len(result.sitemaps) <= 20
    assert_normalised([link.url for link in result.links] + list(result.sitemaps))
