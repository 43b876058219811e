"""What the fuzz tests feed in: realistic seed documents, mutated byte- and token-wise, and
URLs and header values built from the shapes that break parsers."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from typing import TypeVar

from hypothesis import strategies as st

from scraper.errors import ScraperError

T = TypeVar("T")

BASE_URL = "https://news.example/feeds/world.xml"

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>World</title><link>https://news.example/world</link>
<item><title>Leaders meet</title><link>https://news.example/world/leaders?utm_source=rss</link>
<pubDate>Fri, 14 Mar 2025 10:00:00 +0100</pubDate><guid>https://news.example/g/1</guid>
<content:encoded><![CDATA[<p>Body &amp; more</p>]]></content:encoded></item>
<item><title>Floods &amp; rain</title><link>/world/floods#c</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://news.example/atom/">
<title>News</title><updated>2025-03-14T10:00:00Z</updated>
<entry><title type="html">&lt;b&gt;Big&lt;/b&gt; story</title><link href="2025/big"/>
<id>tag:news.example,2025:1</id><updated>2025-03-14T10:00:00Z</updated></entry>
<entry><title>Other</title><link rel="alternate" href="https://news.example/other"/>
<published>2025-03-13</published></entry></feed>"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="https://news.example/"><title>t</title></channel>
<item rdf:about="https://news.example/rdf/1"><title>One</title>
<link>https://news.example/rdf/1</link></item></rdf:RDF>"""

JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "News",
        "items": [
            {"id": "1", "url": "https://news.example/j/1", "title": "One"},
            {"id": "https://news.example/j/2", "date_published": "2025-03-14T10:00:00Z"},
        ],
    }
).encode()

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://news.example/world/a</loc><lastmod>2025-03-14T10:00:00+01:00</lastmod></url>
<url><loc>relative/b</loc><news:news><news:publication_date>2025-03</news:publication_date>
<news:title>B</news:title></news:news></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://news.example/sitemap-1.xml.gz</loc><lastmod>2025-03-14</lastmod></sitemap>
<sitemap><loc>sitemap-2.xml</loc></sitemap></sitemapindex>"""

TEXT_SITEMAP = b"https://news.example/a\nhttps://news.example/b?x=1#f\n"

HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Harbour reopens after storm | The Example</title>
<meta property="og:title" content="Harbour reopens after storm">
<meta name="author" content="Jane Doe"><link rel="canonical" href="/news/harbour">
<script type="application/ld+json">{"@type":"NewsArticle","headline":"Harbour reopens",
"datePublished":"2025-03-14T10:00:00Z","author":{"name":"Jane Doe"}}</script></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Harbour reopens after storm</h1><p class="byline">By Jane Doe</p>
<p>The harbour reopened on Friday after a storm closed it for three days, officials said,
and the first ferries left on time in the morning with a full load of passengers.</p>
<p>Workers cleared debris from the piers overnight. "We are back," the harbour master said,
adding that repairs to the breakwater would take several more weeks to finish.</p>
<table><tr><td>Ferries</td><td>12</td></tr></table></article>
<aside>Most read: <a href="/a">A</a></aside><footer>&copy; The Example</footer></body></html>"""

# Fragments that have broken parsers before: markup edges, entities, DTDs, encodings, URLs.
TOKENS = (
    b"<", b">", b"</", b"/>", b"&", b"&amp;", b"&#0;", b"&#x110000;", b"&lt;", b"&nbsp;",
    b"<!DOCTYPE x [<!ENTITY e 'ee'>]>", b"&e;", b"<![CDATA[", b"]]>", b"<!--", b"-->",
    b"<?xml version='1.0' encoding='utf-16'?>", b"<?xml version='1.0' encoding='bogus'?>",
    b"\x00", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"\x1f\x8b\x08", b"\xc3", b"\xed\xa0\x80",
    b"<item>", b"</item>", b"<entry>", b"</entry>", b"<link>", b"</link>", b'<link href="',
    b"<loc>", b"</loc>", b"<url>", b"</url>", b"<sitemap>", b"<news:news>", b"<lastmod>",
    b'xml:base="javascript:x/"', b"http://", b"https://[::1]:99999/", b"//x.example/",
    b"javascript:alert(1)", b"data:,x", b"%", b"%zz", b"%00", b"\n", b'"', b"'", b"\\",
    b"<script>", b"</script>", b"<style>", b"<div>", b"</div>", b"<p>", b"<table>", b"<td>",
    b'<meta charset="shift_jis">', b'<meta http-equiv="refresh" content="0;url=x">',
    b'<a href="', b"<svg><math><mtext>", b"<template>", b"<noscript>", b"<iframe srcdoc='",
    b'{"', b'"items":[', b"]", b"}", b"9" * 40, b"-1e999", b"2025-13-45T99:99:99+99:99",
)  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, seeds: tuple[bytes, ...], max_edits: int = 8) -> bytes:
    """A seed document with up to ``max_edits`` edits: a token or random bytes inserted, a
    slice deleted, a slice repeated (up to 64 times), or the document cut short."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, max_edits))):
        position = draw(st.integers(0, len(data)))
        edit = draw(st.integers(0, 4))
        if edit == 0:
            data[position:position] = draw(st.sampled_from(TOKENS))
        elif edit == 1:
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif edit == 2:
            del data[position : position + draw(st.integers(1, 64))]
        elif edit == 3:
            piece = bytes(data[position : position + draw(st.integers(1, 40))])
            data[position:position] = piece * draw(st.integers(1, 64))
        else:
            del data[position:]
    return bytes(data)


def documents(seeds: tuple[bytes, ...]) -> st.SearchStrategy[bytes]:
    """Mutated seeds (sometimes gzipped whole, as a .xml.gz is), or plain random bytes."""
    seed_based = mutated(seeds)
    return st.one_of(
        seed_based,
        seed_based.map(gzip.compress),
        st.binary(max_size=2048),
    )


def html_documents() -> st.SearchStrategy[str]:
    """A real article page mutated, decoded leniently (lone surrogates included, as
    ``surrogateescape`` would leave them), or arbitrary text."""
    seeds = (HTML.encode(),)
    return st.one_of(
        mutated(seeds, max_edits=12).map(lambda b: b.decode("utf-8", "surrogateescape")),
        mutated(seeds, max_edits=12).map(lambda b: b.decode("latin-1")),
        st.text(max_size=3000),
    )


def typed_outcome(call: Callable[[], T]) -> tuple[T | ScraperError, float]:
    """The result of ``call`` or the ScraperError it raised, and the seconds it took. Any
    other exception escapes, which fails the test: only typed errors may leave our code."""
    started = time.perf_counter()
    try:
        result: T | ScraperError = call()
    except ScraperError as exc:
        result = exc
    return result, time.perf_counter() - started
