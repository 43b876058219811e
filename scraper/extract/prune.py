"""Prune the parsed page to what could be article text, before trafilatura parses it again.

Works on the selectolax tree in place: the caller parses once, reads metadata from the intact
tree, then hands it here. What goes is recorded (rule, text) unless it never holds words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from scraper.config import SiteRules
from scraper.errors import ExtractError
from scraper.extract import rules
from scraper.extract.split import merge_split_body
from scraper.models import DroppedBlock

_CLASS_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_EXPLAIN_CHARS = 300  # --explain shows what a block was, not all of it
_NEVER_WIDGETS = frozenset({"html", "body", "main"})  # page-wide classes land on these


@dataclass(frozen=True, slots=True)
class Pruned:
    """The pruned tree (changed in place), what was dropped, and the site's body if it named one.

    The document is serialized only when asked for: most pages hand trafilatura a smaller
    region of the tree instead, and a site template may still drop blocks first.
    """

    tree: LexborHTMLParser | None
    dropped: list[DroppedBlock]
    body: LexborNode | None = None  # the element the site's body selector chose

    @property
    def narrowed(self) -> bool:
        """True when the site's body selector chose the article."""
        return self.body is not None

    @property
    def html(self) -> str:
        """The document left for trafilatura."""
        if self.body is not None:
            return as_document(self.body.html or "")
        return (self.tree.html or "") if self.tree is not None else ""


def prune(tree: LexborHTMLParser, site: SiteRules | None, url: str) -> Pruned:
    """Drop chrome from ``tree`` (in place) and return what is left, with what was dropped."""
    dropped: list[DroppedBlock] = []
    tree.strip_tags(rules.SILENT_TAGS, recursive=True)
    root = tree.body or tree.root
    if root is None:
        return Pruned(None, dropped)
    total = len(_text(root))
    for rule, selector in rules.CHROME_SELECTORS:
        _drop(((f"prune:{rule}", n) for n in root.css(selector)), total, dropped)
    _drop(_widgets(root), len(_text(root)), dropped)
    _free_embedded_posts(root)
    merge_split_body(root)
    if site is not None:
        body = _apply_site_rules(root, site, dropped, url)
        if body is not None:
            return Pruned(tree, dropped, body)
    # trafilatura does not take a bare <body> for a document: hand it the whole page
    return Pruned(tree, dropped)


def _apply_site_rules(
    root: LexborNode, site: SiteRules, dropped: list[DroppedBlock], url: str
) -> LexborNode | None:
    """Drop the site's ``remove`` selectors; return the element its ``body`` selector names."""
    try:
        for selector in site.remove:
            _drop((("site:remove", n) for n in root.css(selector)), 0, dropped)
        return root.css_first(site.body) if site.body else None
    except SelectolaxError as exc:
        message = f"site rules hold a CSS selector that does not parse: {exc}"
        raise ExtractError(message, url=url) from exc


def _widgets(root: LexborNode) -> Iterable[tuple[str, LexborNode]]:
    """Elements whose class or id names a widget (share bar, newsletter box, related list)."""
    seen: set[int] = set()
    for node in root.css(rules.WIDGET_CANDIDATES):
        if node.mem_id in seen or node.tag in _NEVER_WIDGETS:
            continue
        seen.add(node.mem_id)
        rule = _widget_rule(node)
        if rule is not None and node.css_first(rules.KEEP_INSIDE_WIDGETS) is None:
            yield f"prune:{rule}", node


def _free_embedded_posts(root: LexborNode) -> None:
    """Strip what makes trafilatura discard an embedded post: the quote's own class
    (``twitter-tweet``), wrappers named for the embed (``social-embed``) and a ``<figure>``
    around it. A quoted post is part of the story."""
    for quote in root.css("blockquote[class]"):
        node: LexborNode | None = quote
        for _ in range(rules.EMBED_WRAPPER_DEPTH):
            if node is None or node.tag in _NEVER_WIDGETS:
                break
            parent = node.parent
            if node is quote or not rules.EMBED_WORDS.isdisjoint(_class_words(node)):
                attrs = node.attrs
                for name in ("class", "id"):
                    if name in attrs:
                        del attrs[name]
            if node.tag == "figure":
                node.unwrap()
            node = parent


def _class_words(node: LexborNode) -> list[str]:
    """The words of an element's class and id: "shareBar top-ad" -> share, bar, top, ad."""
    attrs = node.attributes
    return [
        w.lower()
        for value in (attrs.get("class"), attrs.get("id"))
        if value
        for w in _CLASS_WORD.findall(value)
    ]


def _widget_rule(node: LexborNode) -> str | None:
    words = _class_words(node)
    for rule, vocabulary in rules.WIDGET_WORDS.items():
        if not vocabulary.isdisjoint(words):
            return rule
    for pair in pairwise(words):
        if pair in rules.WIDGET_WORD_PAIRS:
            return rules.WIDGET_WORD_PAIRS[pair]
    return None


def _drop(found: Iterable[tuple[str, LexborNode]], total: int, dropped: list[DroppedBlock]) -> None:
    """Remove the nodes found, except one holding most of the page (a wrapper, not a widget)."""
    for rule, node in list(found):
        if node.parent is None:  # already gone with an ancestor
            continue
        text = _text(node)
        if total and rule != "site:remove" and len(text) > rules.WRAPPER_SHARE * total:
            continue
        node.decompose()
        if text:
            dropped.append(DroppedBlock(rule, text[:_EXPLAIN_CHARS]))


def as_document(body_html: str) -> str:
    return f"<html><body>{body_html}</body></html>"


def _text(node: LexborNode) -> str:
    return " ".join(node.text(separator=" ").split())
