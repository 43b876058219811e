"""Feed bytes -> Links: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed by hand.

feedparser gets a ``BytesIO``, never the bytes or a str: for a bare bytes or str argument it
first tries ``open()`` on it as a path (and fetches it if it looks like a URL), so a body
reading ``/etc/passwd`` would be read from disk. JSON Feed is parsed with ``json`` because
feedparser does not know it.

Two guards run before feedparser, because its cost is per element and it parses a malformed
document twice (its strict SAX pass fails at the end, then its loose parser starts over):
- lxml, with entities unresolved and no DTD or network, first reads the document with no
  tree built; if it trips libxml2's resource limits (nesting deeper than 256, entity
  amplification) the feed is refused in milliseconds. A 200 KB pile of unclosed ``<link>x``
  is such a document and would otherwise cost feedparser about a second.
- only the bytes up to the end of the ``max_items``-th item go to feedparser, so a 50,000
  item feed costs what 1,000 items cost; and at most MAX_TAGS tags (cut after the last whole
  item before them), because feedparser costs ~30-40 us per element whatever it is: 50 MiB of
  ``<a/>`` with no item at all would otherwise take about eight minutes.
"""

from __future__ import annotations

import html
import io
import json
import logging
import re
from collections.abc import Iterable
from typing import Any

import feedparser  # type: ignore[import-untyped]  # ships no type hints
from lxml import etree

from scraper.discover.dates import from_struct_time, parse_iso
from scraper.discover.urls import normalise_url
from scraper.discover.values import Link, NotAFeedError, clean_title

log = logging.getLogger(__name__)

# Measured: 100k empty elements 3.9 s, 1000 plain RSS items (12k tags) 0.5 s, twice that for a
# malformed feed (parsed twice). So a feed's first 1000 plain items fit (news feeds carry 20 to
# 100), and the worst a hostile feed can cost is about a second or two.
MAX_TAGS = 20_000
_BOM_AND_SPACE = b"\xef\xbb\xbf \t\r\n"
_ITEM_END = re.compile(rb"</(?:[A-Za-z_][\w.-]{0,40}:)?(?:item|entry)\s*>", re.IGNORECASE)
_JSON_FEED_VERSION = re.compile(r"^https?://jsonfeed\.org/version/")
_HTTP_URL = re.compile(r"^\s*https?://", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]*>")
# libxml2 has reported its depth and entity-amplification limits under these codes.
_RESOURCE_ERRORS = frozenset(
    code
    for code in (
        getattr(etree.ErrorTypes, "ERR_RESOURCE_LIMIT", None),
        getattr(etree.ErrorTypes, "ERR_ENTITY_LOOP", None),
        getattr(etree.ErrorTypes, "ERR_ENTITY_AMPLIFICATION", None),
    )
    if code is not None
)


def parse_feed(content: bytes, base_url: str, *, max_items: int = 1000) -> list[Link]:
    """The item links of an RSS, Atom or JSON feed, normalised, deduplicated, in feed order.

    At most ``max_items`` items are read (duplicates count: the rest of the document is
    never parsed, which keeps a 50,000 item feed as cheap as a 1,000 item one). Relative
    links resolve against ``xml:base``, then ``base_url`` (the feed's own URL). A feed with
    no items gives ``[]``; bytes that are not a feed at all (empty, HTML, garbage, hostile
    XML) raise NotAFeedError.
    """
    if max_items <= 0:
        return []
    if content.lstrip(_BOM_AND_SPACE).startswith(b"{"):
        return _json_feed(content, base_url, max_items)
    _refuse_hostile_xml(content, base_url)
    parsed = _feedparser(_first_items(content, max_items, base_url), base_url)
    entries = dict.get(parsed, "entries") or []
    if not dict.get(parsed, "version") and not entries:
        raise NotAFeedError("not an RSS, Atom or JSON feed", url=base_url)
    return _dedupe((_entry_link(entry, base_url) for entry in entries), max_items)


def _feedparser(content: bytes, base_url: str) -> Any:
    try:
        return feedparser.parse(
            # No document URL on purpose: feedparser would resolve every link and guid against
            # it, and a guid like "12345" could no longer be told from a real permalink. Links
            # come back absolute or relative to xml:base, and are resolved below.
            io.BytesIO(content),
            # Only links, titles and dates are read, so cleaning item HTML is wasted work.
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except (ValueError, LookupError) as exc:
        # feedparser means to report bad input as "bozo", but a broken encoding declaration
        # (encoding="\xff..." or with a NUL) escapes its encoding detection (found by fuzzing).
        raise NotAFeedError(f"not a readable feed: {exc}", url=base_url) from exc


class _Discard:
    """An lxml parser target that keeps nothing: the check needs no tree."""

    def close(self) -> None:
        return None


def _refuse_hostile_xml(content: bytes, base_url: str) -> None:
    parser = etree.XMLParser(
        target=_Discard(),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    try:
        etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        # Other syntax errors are left to feedparser, which reads malformed feeds well.
        if exc.code in _RESOURCE_ERRORS or "Excessive depth" in str(exc):
            raise NotAFeedError(f"feed refused by the XML parser: {exc}", url=base_url) from exc


def _first_items(content: bytes, max_items: int, base_url: str) -> bytes:
    """``content`` cut after the ``max_items``-th item or entry, if more follow, and before
    the MAX_TAGS-th tag (after the last whole item before it, if there is one)."""
    budget_end = _tag_budget_end(content)
    last_end: int | None = None
    for count, match in enumerate(_ITEM_END.finditer(content, 0, budget_end), start=1):
        if count > max_items:
            return content[:last_end]
        last_end = match.end()
    if budget_end == len(content):
        return content
    log.warning("feed %s: over %d tags, only the first part is read", base_url, MAX_TAGS)
    return content[: last_end or budget_end]


def _tag_budget_end(content: bytes) -> int:
    """Where the MAX_TAGS-th tag starts, or the end of ``content`` if it has fewer."""
    if content.count(b"<") < MAX_TAGS:
        return len(content)
    position = -1
    for _ in range(MAX_TAGS):
        position = content.find(b"<", position + 1)
    return position


def _entry_link(entry: Any, base_url: str) -> Link | None:
    # dict.get, not entry.get: FeedParserDict maps some missing keys to others (updated ->
    # published) with a DeprecationWarning.
    raw = dict.get(entry, "link")
    if not isinstance(raw, str) or not raw.strip():
        return None
    # A guid stands in for the link only when it is a full URL; an opaque id like "12345"
    # would otherwise resolve into a made-up page on the feed's host.
    if dict.get(entry, "guidislink") and not _HTTP_URL.match(raw):
        return None
    url = normalise_url(raw, base_url)
    if url is None:
        return None
    published = from_struct_time(dict.get(entry, "published_parsed")) or from_struct_time(
        dict.get(entry, "updated_parsed")
    )
    return Link(url=url, published=published, title=_entry_title(entry))


def _entry_title(entry: Any) -> str | None:
    title = dict.get(entry, "title")
    detail = dict.get(entry, "title_detail") or {}
    if isinstance(title, str) and "html" in str(detail.get("type", "")):
        # An HTML title (Atom type="html"/"xhtml") as plain text: the markup only decorates.
        title = html.unescape(_TAG.sub(" ", title))
    return clean_title(title)


def _json_feed(content: bytes, base_url: str, max_items: int) -> list[Link]:
    """JSON Feed 1.0/1.1 (jsonfeed.org): items[].url (else an http(s) id), title, dates."""
    try:
        document = json.loads(content)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly nested arrays
        raise NotAFeedError(f"not a feed: invalid JSON ({exc})", url=base_url) from exc
    if not isinstance(document, dict) or not _JSON_FEED_VERSION.match(
        str(document.get("version", ""))
    ):
        raise NotAFeedError("JSON, but not a JSON Feed (no jsonfeed.org version)", url=base_url)
    items = document.get("items")
    if not isinstance(items, list):
        return []
    return _dedupe((_json_item(item, base_url) for item in items[:max_items]), max_items)


def _json_item(item: object, base_url: str) -> Link | None:
    if not isinstance(item, dict):
        return None
    raw = item.get("url")
    if not isinstance(raw, str):
        raw = item.get("id")
        if not isinstance(raw, str) or not _HTTP_URL.match(raw):
            return None
    url = normalise_url(raw, base_url)
    if url is None:
        return None
    published = parse_iso(item.get("date_published")) or parse_iso(item.get("date_modified"))
    return Link(url=url, published=published, title=clean_title(item.get("title")))


def _dedupe(links: Iterable[Link | None], max_items: int) -> list[Link]:
    kept: dict[str, Link] = {}
    for link in links:
        if link is not None and link.url not in kept:
            kept[link.url] = link
            if len(kept) >= max_items:
                break
    return list(kept.values())
