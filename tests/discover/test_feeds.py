"""parse_feed: RSS, Atom and JSON Feed to Links; hostile and non-feed bytes."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from scraper.discover import Link, NotAFeedError, parse_feed
from scraper.discover.feeds import MAX_TAGS
from scraper.errors import ScraperError

FEED_URL = "https://news.example/feeds/world.xml"

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
  <title>World</title><link>https://news.example/world</link>
  <item>
    <title>Leaders meet in  Geneva</title>
    <link>https://news.example/world/2025/03/14/leaders-meet?utm_source=rss&amp;utm_medium=feed</link>
    <pubDate>Fri, 14 Mar 2025 10:00:00 +0100</pubDate>
  </item>
  <item>
    <title>Floods</title>
    <link>/world/floods-leave-thousands-homeless#comments</link>
    <pubDate>Thu, 13 Mar 2025 08:30:00 GMT</pubDate>
  </item>
  <item>
    <title>Leaders meet (repeat)</title>
    <link>https://NEWS.example/world/2025/03/14/leaders-meet?fbclid=abc</link>
  </item>
  <item><title>Permalink guid</title><guid>https://news.example/world/story-12345</guid></item>
  <item><title>Opaque guid</title><guid>12345</guid></item>
  <item><title>Not a permalink</title><guid isPermaLink="false">https://news.example/x</guid></item>
  <item><title>Script</title><link>javascript:alert(1)</link></item>
  <item><title>No link at all</title></item>
</channel></rss>"""


def test_rss2_links_dates_titles_and_dedupe() -> None:
    links = parse_feed(RSS, FEED_URL)
    assert links == [
        Link(
            url="https://news.example/world/2025/03/14/leaders-meet",
            published=datetime(2025, 3, 14, 9, 0, tzinfo=UTC),
            title="Leaders meet in Geneva",
        ),
        Link(
            url="https://news.example/world/floods-leave-thousands-homeless",
            published=datetime(2025, 3, 13, 8, 30, tzinfo=UTC),
            title="Floods",
        ),
        Link(url="https://news.example/world/story-12345", title="Permalink guid"),
    ]
    assert all(link.published is None or link.published.tzinfo is UTC for link in links)


def test_atom_relative_links_and_xml_base() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://news.example/blog/">
  <title>Blog</title><link href="/"/><updated>2025-03-14T10:00:00Z</updated>
  <entry>
    <title>One</title><id>tag:news.example,2025:1</id>
    <link rel="alternate" type="text/html" href="2025/03/first-post-of-the-year"/>
    <link rel="edit" href="/api/1"/>
    <updated>2025-03-14T10:00:00+02:00</updated>
  </entry>
  <entry xml:base="/other/">
    <title type="html">Two &amp;amp; more</title><id>tag:news.example,2025:2</id>
    <link href="two"/>
    <published>2025-03-13T08:00:00Z</published><updated>2025-03-14T08:00:00Z</updated>
  </entry>
  <entry><title>Podcast only</title><id>urn:x</id><link rel="enclosure" href="a.mp3"/></entry>
</feed>"""
    links = parse_feed(atom, "https://news.example/feeds/atom.xml")
    assert [(link.url, link.published, link.title) for link in links] == [
        (
            "https://news.example/blog/2025/03/first-post-of-the-year",
            datetime(2025, 3, 14, 8, 0, tzinfo=UTC),
            "One",
        ),
        ("https://news.example/other/two", datetime(2025, 3, 13, 8, 0, tzinfo=UTC), "Two & more"),
    ]


def test_atom_without_xml_base_resolves_against_the_feed_url() -> None:
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
      <entry><title>a</title><link href="../2025/03/a-relative-story-link"/></entry></feed>"""
    links = parse_feed(atom, "https://news.example/feeds/atom.xml")
    assert [link.url for link in links] == ["https://news.example/2025/03/a-relative-story-link"]


def test_rss1_rdf_and_rss091() -> None:
    rdf = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://news.example/"><title>x</title><link>https://news.example/</link></channel>
  <item rdf:about="https://news.example/a-b-c-d"><title>A</title>
    <link>https://news.example/a-b-c-d</link><dc:date>2025-03-14T10:00:00+01:00</dc:date></item>
</rdf:RDF>"""
    assert parse_feed(rdf, FEED_URL) == [
        Link("https://news.example/a-b-c-d", datetime(2025, 3, 14, 9, 0, tzinfo=UTC), "A")
    ]
    # 0.91 with the Netscape DTD (never fetched) and HTML entities it does not declare
    rss091 = (
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        b'"http://127.0.0.1:9/rss-0.91.dtd">\n'
        b'<rss version="0.91"><channel><title>Caf&eacute;</title><link>http://news.example/</link>'
        b"<item><title>Caf&eacute; &amp; cr\xe8me</title>"
        b"<link>http://news.example/story?b=2&a=1</link></item></channel></rss>"
    )
    assert parse_feed(rss091, FEED_URL) == [
        Link("http://news.example/story?a=1&b=2", title="Café & crème")
    ]


def test_json_feed() -> None:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "World",
        "items": [
            {
                "id": "1",
                "url": "https://news.example/world/2025/03/14/leaders-meet?utm_campaign=x",
                "title": "Leaders meet",
                "date_published": "2025-03-14T10:00:00+01:00",
            },
            {"id": "https://news.example/world/by-id-only-story", "date_modified": "2025-03-13"},
            {"id": "2", "url": "/world/relative-story-in-json"},
            {"id": "3"},
            {"id": "4", "url": "mailto:desk@news.example"},
            "not an object",
            {"id": "5", "url": "https://news.example/world/2025/03/14/leaders-meet#x"},
        ],
    }
    links = parse_feed(json.dumps(feed).encode(), FEED_URL)
    assert links == [
        Link(
            "https://news.example/world/2025/03/14/leaders-meet",
            datetime(2025, 3, 14, 9, 0, tzinfo=UTC),
            "Leaders meet",
        ),
        Link("https://news.example/world/by-id-only-story", datetime(2025, 3, 13, tzinfo=UTC)),
        Link("https://news.example/world/relative-story-in-json"),
    ]


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"   \n",
        b"\x00\x01\x02\xff garbage",
        b"<!doctype html><html><body><a href='/x'>x</a></body></html>",
        b"<urlset><url><loc>https://news.example/a</loc></url></urlset>",
        b'{"title": "plain JSON, not a JSON Feed"}',
        b"{not json",
        b"[" * 100_000,
    ],
)
def test_bytes_that_are_not_a_feed_raise(content: bytes) -> None:
    with pytest.raises(NotAFeedError) as caught:
        parse_feed(content, FEED_URL)
    assert isinstance(caught.value, ScraperError)
    assert caught.value.url == FEED_URL
    assert caught.value.code == "not_a_feed"


def test_a_feed_with_no_items_is_empty_not_an_error() -> None:
    assert (
        parse_feed(b'<rss version="2.0"><channel><title>t</title></channel></rss>', FEED_URL) == []
    )
    assert parse_feed(b'{"version": "https://jsonfeed.org/version/1", "items": []}', FEED_URL) == []


def test_a_path_as_content_is_not_opened() -> None:
    # feedparser opens a bare bytes/str argument as a file if it can
    with pytest.raises(NotAFeedError):
        parse_feed(b"/etc/passwd", FEED_URL)


def test_billion_laughs_is_refused_fast() -> None:
    entities = b"".join(
        b'<!ENTITY lol%d "%s">\n' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10)
    )
    feed = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol0 "lol">\n' + entities + b"]>\n"
        b'<rss version="2.0"><channel><title>t</title>'
        b"<item><title>&lol9;</title><link>https://news.example/a</link></item></channel></rss>"
    )
    started = time.perf_counter()
    with pytest.raises(NotAFeedError):
        parse_feed(feed, FEED_URL)
    assert time.perf_counter() - started < 1


def test_quadratic_blowup_is_refused_fast() -> None:
    feed = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "' + b"A" * 100_000 + b'">]>\n'
        b'<rss version="2.0"><channel><item><title>' + b"&a;" * 50_000 + b"</title>"
        b"<link>https://news.example/a</link></item></channel></rss>"
    )
    started = time.perf_counter()
    with pytest.raises(NotAFeedError):
        parse_feed(feed, FEED_URL)
    assert time.perf_counter() - started < 1


def test_pile_of_unclosed_links_finishes_fast() -> None:
    pile = b"<rss>" + b"<link>x" * 29_000  # 200 KB; trafilatura's regex takes ~19 s on this
    assert len(pile) > 200_000
    started = time.perf_counter()
    with pytest.raises(NotAFeedError):
        parse_feed(pile, FEED_URL)
    assert time.perf_counter() - started < 1


def test_items_are_capped_and_the_rest_not_parsed() -> None:
    item = b"<item><title>S%d</title><link>https://news.example/story-%d</link></item>\n"
    feed = (
        b'<rss version="2.0"><channel><title>t</title>'
        + b"".join(item % (i, i) for i in range(20_000))
        + b"</channel></rss>"
    )
    started = time.perf_counter()
    links = parse_feed(feed, FEED_URL, max_items=100)
    assert time.perf_counter() - started < 0.5  # all 20,000 through feedparser: ~1.5 s
    assert [link.url for link in links] == [f"https://news.example/story-{i}" for i in range(100)]
    assert parse_feed(feed, FEED_URL, max_items=0) == []


def test_the_cap_counts_items_read_before_dedupe() -> None:
    item = b"<item><link>https://news.example/story-%d</link></item>"
    feed = b'<rss version="2.0"><channel>' + (item % 1) * 3 + item % 2 + b"</channel></rss>"
    assert [link.url for link in parse_feed(feed, FEED_URL, max_items=3)] == [
        "https://news.example/story-1"
    ]
    assert len(parse_feed(feed, FEED_URL, max_items=4)) == 2
    items = [{"url": "https://news.example/story-1"}] * 3 + [{"url": "https://news.example/2"}]
    doc = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}).encode()
    assert len(parse_feed(doc, FEED_URL, max_items=3)) == 1
    assert len(parse_feed(doc, FEED_URL, max_items=4)) == 2


def test_markup_past_the_tag_budget_is_not_parsed(caplog: pytest.LogCaptureFixture) -> None:
    # feedparser costs ~30 us per element: 12M empty elements (48 MB, no item) would take
    # minutes; only the first MAX_TAGS tags are parsed, and whole items before them kept.
    item = b"<item><link>https://news.example/story-%d</link></item>"
    feed = (
        b'<rss version="2.0"><channel>'
        + b"".join(item % i for i in range(3))
        + b"<a/>" * 12_000_000
        + item % 99
        + b"</channel></rss>"
    )
    started = time.perf_counter()
    links = parse_feed(feed, FEED_URL)
    assert time.perf_counter() - started < 5
    assert [link.url for link in links] == [f"https://news.example/story-{i}" for i in range(3)]
    assert f"over {MAX_TAGS} tags" in caplog.text


def test_a_feed_within_the_tag_budget_is_read_whole() -> None:
    item = b"<item><title>S%d</title><link>https://news.example/story-%d</link></item>"
    feed = b'<rss version="2.0"><channel>' + b"".join(item % (i, i) for i in range(1000))
    assert feed.count(b"<") < MAX_TAGS
    assert len(parse_feed(feed + b"</channel></rss>", FEED_URL)) == 1000
