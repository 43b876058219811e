"""Metadata from ``<script type="application/ld+json">`` blocks (schema.org).

Every block is read; a block that will not decode even after light repair (HTML comment
markers, CDATA wrappers, control characters, trailing commas, ``\\'``) is skipped, never raised.
The article is the best node whose ``@type`` is an article type, found at the top level, in
lists, in ``@graph`` or under ``mainEntity``; ``@id`` references (``{"@id": ...}``) are resolved
against the other nodes of the page, as Yoast-style graphs point at their Person and
Organization nodes. A WebPage node fills the gaps the article node leaves (dates, language,
image, description), never the title or the authors.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from selectolax.lexbor import LexborHTMLParser

ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "AskPublicNewsArticle",
        "SatiricalArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "SocialMediaPosting",
        "TechArticle",
        "ScholarlyArticle",
        "MedicalScholarlyArticle",
        "Report",
        "AdvertiserContentArticle",
    }
)
_MAX_BLOCK_CHARS = 2_000_000
_MAX_NODES = 1000
_MAX_DEPTH = 8
_NESTED_KEYS = ("@graph", "mainEntity", "mainEntityOfPage")
_JUNK = re.compile(r"<!--|-->|(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>")
_JUNK_MARKERS = ("<!", "-->", "]]>")  # every match of _JUNK holds one of these
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRAILING_COMMA = re.compile(r",\s*(?=[\]}])")
_DECODER = json.JSONDecoder(strict=False)  # strict=False: raw newlines inside strings are common


@dataclass(frozen=True, slots=True)
class JsonLdFacts:
    """Raw candidate values from JSON-LD, best first; cleaning happens in ``metadata``."""

    titles: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    published: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()
    site_names: tuple[str, ...] = ()
    descriptions: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    expected_words: int | None = None  # the article's wordCount, or the words of its articleBody
    has_article: bool = False  # a node of an article type was found


def read_jsonld(tree: LexborHTMLParser) -> JsonLdFacts:
    nodes: list[dict[str, Any]] = []
    for script in tree.css('script[type="application/ld+json" i]'):
        for value in decode_block(script.text(deep=True)):
            _collect(value, nodes, 0)
    if not nodes:
        return JsonLdFacts()
    graph = _Graph(nodes)
    article = graph.article()
    page = graph.first_of(lambda types: any(t.endswith("Page") for t in types))
    website = graph.first_of(lambda types: "WebSite" in types)
    main = [node for node in (article, page) if node is not None]
    publishers = tuple(name for node in main for name in graph.names(node.get("publisher")))
    return JsonLdFacts(
        titles=graph.texts([article], "headline", "name") + graph.texts([page], "headline"),
        urls=graph.texts([article], "url") + graph.ids([article], "mainEntityOfPage"),
        authors=graph.names(article.get("author") if article else None),
        published=graph.texts(main, "datePublished", "dateCreated"),
        modified=graph.texts(main, "dateModified"),
        languages=graph.languages([*main, website]),
        publishers=publishers,
        site_names=publishers + graph.texts([website], "name"),
        descriptions=graph.texts(main, "description"),
        images=graph.images(main, "image", "thumbnailUrl", "primaryImageOfPage"),
        keywords=graph.keywords(article),
        expected_words=_expected_words(article),
        has_article=article is not None,
    )


def _expected_words(article: dict[str, Any] | None) -> int | None:
    """How long the page says its article is: the larger of wordCount and articleBody."""
    if article is None:
        return None
    counts = []
    raw = article.get("wordCount")
    if isinstance(raw, str):
        raw = int(raw) if raw.strip().isdigit() else None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        counts.append(int(raw))
    body = article.get("articleBody")
    if isinstance(body, str):
        counts.append(len(body.split()))
    return max(counts) if counts and max(counts) > 0 else None


def decode_block(text: str | None) -> list[Any]:
    """The JSON values in one script block; [] when nothing in it decodes."""
    if not text or len(text) > _MAX_BLOCK_CHARS:
        return []
    if any(marker in text for marker in _JUNK_MARKERS):  # _JUNK tries every position: slow
        text = _JUNK.sub("", text)
    text = _CONTROL.sub(" ", text)
    values, complete = _decode_all(text)
    if complete:
        return values
    repaired, repaired_complete = _decode_all(_TRAILING_COMMA.sub("", text.replace("\\'", "'")))
    return repaired if repaired_complete or len(repaired) > len(values) else values


def _decode_all(text: str) -> tuple[list[Any], bool]:
    """Every value in ``text``: some CMSes concatenate objects (``{..}{..}``) in one block."""
    values: list[Any] = []
    pos, end = 0, len(text)
    while True:
        while pos < end and (text[pos].isspace() or text[pos] in ",;"):
            pos += 1
        if pos >= end:
            return values, True
        try:
            value, pos = _DECODER.raw_decode(text, pos)
        except (ValueError, RecursionError):
            return values, False
        values.append(value)


def _collect(value: Any, out: list[dict[str, Any]], depth: int) -> None:
    if depth > _MAX_DEPTH or len(out) >= _MAX_NODES:
        return
    if isinstance(value, list):
        for item in value:
            _collect(item, out, depth + 1)
    elif isinstance(value, dict):
        out.append(value)
        for key in _NESTED_KEYS:
            if key in value:
                _collect(value[key], out, depth + 1)


def node_types(node: dict[str, Any]) -> set[str]:
    """``@type`` as bare names: "schema:NewsArticle" and "https://schema.org/NewsArticle" too."""
    raw = node.get("@type")
    items = raw if isinstance(raw, list) else [raw]
    return {item.rsplit("/", 1)[-1].rsplit(":", 1)[-1] for item in items if isinstance(item, str)}


class _Graph:
    """The nodes of one page, with ``@id`` references resolved on access."""

    def __init__(self, nodes: list[dict[str, Any]]) -> None:
        self.nodes = nodes
        self.by_id: dict[str, dict[str, Any]] = {}
        for node in nodes:
            node_id = node.get("@id")
            # The same @id appears as a bare reference and as the full node: keep the fuller.
            if isinstance(node_id, str) and len(node) > len(self.by_id.get(node_id, {})):
                self.by_id[node_id] = node

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and set(value) <= {"@id", "@type"}:
            ref = value.get("@id")
            if isinstance(ref, str):
                return self.by_id.get(ref, value)
        return value

    def article(self) -> dict[str, Any] | None:
        best: dict[str, Any] | None = None
        best_score = -1
        for node in self.nodes:
            if not node_types(node) & ARTICLE_TYPES:
                continue
            score = sum(1 for key in ("headline", "datePublished", "author") if node.get(key))
            if score > best_score:
                best, best_score = node, score
        return best

    def first_of(self, wanted: Callable[[set[str]], bool]) -> dict[str, Any] | None:
        return next((node for node in self.nodes if wanted(node_types(node))), None)

    def texts(self, nodes: Sequence[dict[str, Any] | None], *keys: str) -> tuple[str, ...]:
        found: list[str] = []
        for node in nodes:
            for key in keys:
                found.extend(self._strings(node.get(key) if node else None))
        return tuple(found)

    def ids(self, nodes: Sequence[dict[str, Any] | None], key: str) -> tuple[str, ...]:
        found: list[str] = []
        for node in nodes:
            for item in _as_list(node.get(key) if node else None):
                if isinstance(item, str):
                    found.append(item)
                elif isinstance(item, dict):
                    found.extend(
                        v for v in (item.get("@id"), item.get("url")) if isinstance(v, str)
                    )
        return tuple(found)

    def names(self, value: Any) -> tuple[str, ...]:
        """Names of people or organisations: strings, objects with a name, or lists of either."""
        found: list[str] = []
        for item in _as_list(value):
            resolved = self.resolve(item)
            if isinstance(resolved, str):
                found.append(resolved)
            elif isinstance(resolved, dict):
                found.extend(self._name(resolved))
        return tuple(found)

    def _name(self, item: dict[str, Any]) -> tuple[str, ...]:
        name = self._strings(item.get("name"))
        if name:
            return name[:1]
        given, family = item.get("givenName"), item.get("familyName")
        parts = [part for part in (given, family) if isinstance(part, str) and part.strip()]
        return (" ".join(parts),) if parts else ()

    def languages(self, nodes: Sequence[dict[str, Any] | None]) -> tuple[str, ...]:
        found: list[str] = []
        for node in nodes:
            for item in _as_list(node.get("inLanguage") if node else None):
                value = self.resolve(item)
                if isinstance(value, dict):
                    value = value.get("alternateName") or value.get("name")
                if isinstance(value, str):
                    found.append(value)
        return tuple(found)

    def images(self, nodes: Sequence[dict[str, Any] | None], *keys: str) -> tuple[str, ...]:
        found: list[str] = []
        for node in nodes:
            for key in keys:
                for item in _as_list(node.get(key) if node else None):
                    value = self.resolve(item)
                    if isinstance(value, dict):
                        value = value.get("url") or value.get("contentUrl")
                    if isinstance(value, str):
                        found.append(value)
        return tuple(found)

    def keywords(self, article: dict[str, Any] | None) -> tuple[str, ...]:
        found: list[str] = []
        for item in _as_list(article.get("keywords") if article else None):
            value = item.get("name") if isinstance(item, dict) else item
            if isinstance(value, str):
                found.append(value)
        return tuple(found)

    def _strings(self, value: Any) -> tuple[str, ...]:
        found: list[str] = []
        for item in _as_list(value):
            value = item.get("@value") if isinstance(item, dict) else item
            if isinstance(value, str):
                found.append(value)
        return tuple(found)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
