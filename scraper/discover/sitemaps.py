"""Sitemap bytes -> SitemapResult: XML urlset / sitemapindex, file-level gzip, plain text.

The XML is streamed through lxml's pull parser in 64 KiB steps with entities unresolved, no
DTD, no network and no huge-tree mode, so XXE and entity bombs stay inert, and each finished
``<url>`` is cleared so memory stays flat however long the file. Gzip is recognised by its
magic bytes (``.xml.gz`` files are served without Content-Encoding) and decompressed by a
zlib object asked for at most 64 KiB per call, never past ``max_bytes`` in total.

Hitting a cap is not an error: a gzip bomb or an oversized file is read up to ``max_bytes``,
an endless urlset up to ``max_urls``, XML that libxml2 refuses part way (an entity bomb trips
its amplification limit) up to that point, and what was read is returned with ``truncated=True``
(as Nutch and Scrapy keep the first part of an oversized sitemap). An element cut in half by
the byte cap is dropped rather than guessed at.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import chain
from typing import Any

from lxml import etree

from scraper.discover.dates import parse_iso
from scraper.discover.urls import normalise_url
from scraper.discover.values import Link, SitemapResult, clean_title

MiB = 1024 * 1024
STEP = 64 * 1024  # output per zlib call and input per parser feed, as Scrapy's _CHUNK_SIZE
_GZIP_MAGIC = b"\x1f\x8b"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_BOM_AND_SPACE = b"\xef\xbb\xbf \t\r\n"
_MAX_LINE = 16 * 1024  # a text-sitemap line longer than this cannot be a usable URL
_ENTRIES = frozenset({"url", "sitemap"})


def parse_sitemap(
    content: bytes,
    base_url: str,
    *,
    max_urls: int = 50_000,
    max_bytes: int = 50 * MiB,
) -> SitemapResult:
    """Page links and child sitemaps listed by one sitemap document.

    ``<urlset>`` gives links with ``lastmod`` or ``news:publication_date`` (preferred) as
    ``published`` and ``news:title`` as title; ``<sitemapindex>`` gives child sitemap URLs.
    Namespaces may be any or none. Locs resolve against ``base_url``; non-http(s) and
    unusable URLs are dropped. At most ``max_urls`` page entries and ``max_urls`` sitemap
    entries are read (an empty, unusable or repeated loc counts, so the cost is bounded by
    the cap whatever the entries hold); at most ``max_bytes`` of (decompressed) document are
    read. Never raises for bad input: an empty
    or unreadable document gives an empty result.
    """
    source = _Chunks(content, max_bytes)
    chunks = iter(source)
    head = b""
    for chunk in chunks:  # skip leading blank chunks so the sniff sees the first real byte
        head += chunk
        if chunk.strip():
            break
    collector = _Collector(base_url, max_urls)
    body = chain([head], chunks)
    if head.lstrip(_BOM_AND_SPACE).startswith(b"<") or head.startswith(_UTF16_BOMS):
        _read_xml(body, collector, source)
    else:
        _read_text(body, collector, source)
    return SitemapResult(
        links=tuple(collector.links.values()),
        sitemaps=tuple(collector.sitemaps),
        truncated=collector.full or collector.refused or source.cut,
    )


class _Chunks:
    """The document in STEP-sized pieces, gunzipped if gzip, and at most max_bytes in all.

    ``cut`` turns True when the document was not read to its end: bytes past max_bytes
    were left unread, or the gzip stream was corrupt or ended early.
    """

    def __init__(self, content: bytes, max_bytes: int) -> None:
        self._content = content
        self._max_bytes = max(0, max_bytes)
        self.cut = False

    def __iter__(self) -> Iterator[bytes]:
        if self._content.startswith(_GZIP_MAGIC):
            return self._gunzip()
        return self._plain()

    def _plain(self) -> Iterator[bytes]:
        end = min(len(self._content), self._max_bytes)
        for start in range(0, end, STEP):
            yield self._content[start : min(start + STEP, end)]
        self.cut = len(self._content) > self._max_bytes

    def _gunzip(self) -> Iterator[bytes]:
        pending = self._content
        room = self._max_bytes
        while pending.startswith(_GZIP_MAGIC):  # a .gz file may hold several members
            decoder = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            while not decoder.eof:
                try:
                    # Asking for room + 1 bytes tells "exactly full" from "more to come".
                    out = decoder.decompress(pending, min(STEP, room + 1))
                except zlib.error:
                    self.cut = True  # corrupt from here on: keep what decoded cleanly
                    return
                pending = decoder.unconsumed_tail
                if len(out) > room:
                    self.cut = True
                    yield out[:room]
                    return
                room -= len(out)
                if out:
                    yield out
                elif not pending:
                    self.cut = True  # the file ends mid-stream
                    return
            pending = decoder.unused_data


class _Collector:
    """Deduplicated links and child sitemaps, from at most max_urls entries of each kind."""

    def __init__(self, base_url: str, max_urls: int) -> None:
        self.base_url = base_url
        self.max_urls = max(0, max_urls)
        self.links: dict[str, Link] = {}
        self.sitemaps: dict[str, None] = {}
        self.full = False
        # Entries are counted whether their URL is usable or not, so 50 MiB of duplicate or
        # broken <loc>s costs what max_urls good ones cost (~1 s), not 30x that.
        self.page_entries = 0
        self.sitemap_entries = 0
        self.refused = False  # the XML parser gave up (an entity bomb, absurd nesting)
        self.root_ended = False

    def add_page(self, loc: str, published: datetime | None, title: str | None) -> bool:
        """Record a page; False once the cap is passed, to stop reading."""
        self.page_entries += 1
        if self.page_entries > self.max_urls:
            self.full = True
            return False
        url = normalise_url(loc, self.base_url) if loc else None
        if url is not None and url not in self.links:
            self.links[url] = Link(url=url, published=published, title=title)
        return True

    def add_sitemap(self, loc: str) -> bool:
        self.sitemap_entries += 1
        if self.sitemap_entries > self.max_urls:
            self.full = True
            return False
        url = normalise_url(loc, self.base_url) if loc else None
        if url is not None:
            self.sitemaps.setdefault(url)
        return True


def _read_xml(chunks: Iterable[bytes], collector: _Collector, source: _Chunks) -> None:
    parser = etree.XMLPullParser(
        events=("end",),
        recover=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        for chunk in chunks:
            parser.feed(chunk)
            if not _take(parser.read_events(), collector):
                return
        parser.close()
    except etree.XMLSyntaxError:
        # Beyond what recover mode can mend, or over libxml2's limits (entity amplification,
        # nesting): keep what was read, and say the rest was not.
        collector.refused = True
        return
    # Closing a cut document makes recover mode finish the entry the cut went through, with
    # whatever half of a URL it holds; so after a cut the last entry is not trusted, nor after
    # libxml2 stopped parsing for good (an entity bomb trips its amplification limit).
    # Recover mode says so in the feed's error log only, not by an exception; and before lxml
    # 6.2 the root element then never ended either.
    gave_up = any(
        error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT for error in parser.feed_error_log
    )
    _take(parser.read_events(), collector, drop_last=source.cut or gave_up)
    if gave_up or not collector.root_ended:
        collector.refused = True


def _take(
    events: Iterable[tuple[str, Any]], collector: _Collector, drop_last: bool = False
) -> bool:
    entries = []
    for _event, element in events:
        if element.getparent() is None:
            collector.root_ended = True
        if _local_name(element.tag) in _ENTRIES:
            entries.append(element)
    for element in entries[:-1] if drop_last else entries:
        name = _local_name(element.tag)
        if name == "url":
            kept = _take_url(_fields(element), collector)
        else:
            kept = collector.add_sitemap(_text(_fields(element).get("loc")))
        _release(element)
        if not kept:
            return False
    return True


def _take_url(fields: dict[str, Any], collector: _Collector) -> bool:
    loc = _text(fields.get("loc"))
    if not loc:  # counted all the same: a cap on entries must hold for empty ones too
        return collector.add_page("", None, None)
    published = parse_iso(_text(fields.get("lastmod")))
    title = None
    news = fields.get("news")
    if news is not None:
        news_fields = _fields(news)
        published = parse_iso(_text(news_fields.get("publication_date"))) or published
        title = clean_title(_text(news_fields.get("title")))
    return collector.add_page(loc, published, title)


def _local_name(tag: object) -> str:
    # Entities and other non-elements have a function as tag. A prefix whose namespace was
    # never declared survives recovery as "news:title", so both "}" and ":" are cut.
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2].rpartition(":")[2]


def _fields(element: Any) -> dict[str, Any]:
    """The direct children by local name, first one winning: ``image:loc`` inside
    ``image:image`` is a grandchild and so never mistaken for the page's ``loc``."""
    fields: dict[str, Any] = {}
    for child in element:
        fields.setdefault(_local_name(child.tag), child)
    return fields


def _text(element: Any) -> str:
    """The text directly inside ``element``: an unresolved entity (``&xxe;``) in it is
    skipped, so an external entity's target never becomes part of a URL."""
    if element is None:
        return ""
    pieces = [element.text or ""]
    pieces.extend(child.tail or "" for child in element)
    return "".join(pieces).strip()


def _release(element: Any) -> None:
    """Free a finished entry and the entries before it, so memory does not grow."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _read_text(chunks: Iterable[bytes], collector: _Collector, source: _Chunks) -> None:
    """A text sitemap: one absolute http(s) URL per line; anything else is ignored."""
    rest = b""
    for chunk in chunks:
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        if len(rest) > _MAX_LINE:
            rest = b"\0"  # still inside an overlong line: its remainder must not count as one
        for line in lines:
            if not _take_line(line, collector):
                return
    if not source.cut:  # after a cut the last line may be half a URL
        _take_line(rest, collector)


def _take_line(line: bytes, collector: _Collector) -> bool:
    line = line.strip()
    if not line.lower().startswith((b"http://", b"https://")) or len(line) > _MAX_LINE:
        return True
    return collector.add_page(line.decode("utf-8", "replace"), None, None)
