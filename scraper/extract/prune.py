"""Prune the parsed page to what could be article text, before trafilatura parses it again.

Works on the selectolax tree in place: the caller parses once, reads metadata from the intact
tree, then hands it here. What goes is recorded (rule, text) unless it never holds words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
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
# rules.WIDGET_CANDIDATES is "div[class], div[id], ...": searching for any element with a class or
# an id and keeping these tags finds the same elements in half the time lexbor takes to try
# every one of those selectors on every element.
WIDGET_CANDIDATE_TAGS = (
    frozenset(selector.partition("[")[0] for selector in rules.WIDGET_CANDIDATES.split(", "))
    - _NEVER_WIDGETS
)
_NAMED = "[class], [id]"
# Every word that names a widget, alone or as the first of a pair: most names hold none.
_WIDGET_VOCABULARY = frozenset().union(*rules.WIDGET_WORDS.values())
_PAIR_STARTS = frozenset(first for first, _ in rules.WIDGET_WORD_PAIRS)
_REMEMBERED_NAME_CHARS = 200


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
    removed = 0
    for rule, selector in rules.CHROME_SELECTORS:
        removed += _drop(((f"prune:{rule}", n) for n in root.css(selector)), total, dropped)
    _drop(_widgets(root), max(total - removed, 0), dropped)  # the text left, not measured again
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


def _widgets(root: LexborNode) -> list[tuple[str, LexborNode]]:
    """Elements whose class or id names a widget (share bar, newsletter box, related list)."""
    seen: set[int] = set()
    named: list[tuple[str, LexborNode]] = []
    for node in root.css(_NAMED):
        if node.tag not in WIDGET_CANDIDATE_TAGS or node.mem_id in seen:
            continue
        seen.add(node.mem_id)
        attrs = node.attributes
        rule = _widget_rule(attrs.get("class"), attrs.get("id"))
        if rule is not None:
            named.append((rule, node))
    if not named:
        return []
    # One search of the page instead of one per widget, which costs a pass over its subtree.
    keepers = _holders(root, rules.KEEP_INSIDE_WIDGETS)
    return [(f"prune:{rule}", node) for rule, node in named if node.mem_id not in keepers]


def _holders(root: LexborNode, selector: str) -> set[int]:
    """The ``mem_id`` of every element under ``root`` that matches ``selector`` or holds one
    that does (what ``node.css_first(selector)`` finds something in)."""
    ids: set[int] = set()
    for match in root.css(selector):
        node: LexborNode | None = match
        while node is not None and node.mem_id not in ids:  # its ancestors are in already
            ids.add(node.mem_id)
            node = node.parent
    return ids


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
            names = node.attributes
            class_words = _class_words(names.get("class"), names.get("id"))
            if node is quote or not rules.EMBED_WORDS.isdisjoint(class_words):
                attrs = node.attrs
                for name in ("class", "id"):
                    if name in attrs:
                        del attrs[name]
            if node.tag == "figure":
                node.unwrap()
            node = parent


def _class_words(class_value: str | None, id_value: str | None) -> list[str]:
    """The words of an element's class and id: "shareBar top-ad" -> share, bar, top, ad."""
    return [
        w.lower() for value in (class_value, id_value) if value for w in _CLASS_WORD.findall(value)
    ]


def _widget_rule(class_value: str | None, id_value: str | None) -> str | None:
    if len(class_value or "") + len(id_value or "") > _REMEMBERED_NAME_CHARS:
        return _rule_of(_class_words(class_value, id_value))
    return _remembered_rule(class_value, id_value)


# Names repeat: a site gives many elements, and all its pages, the same few classes. Only short
# names are remembered, so that no page can fill the memory with them.
@lru_cache(maxsize=4096)
def _remembered_rule(class_value: str | None, id_value: str | None) -> str | None:
    return _rule_of(_class_words(class_value, id_value))


def _rule_of(words: list[str]) -> str | None:
    if not _WIDGET_VOCABULARY.isdisjoint(words):
        for rule, vocabulary in rules.WIDGET_WORDS.items():
            if not vocabulary.isdisjoint(words):
                return rule
    if not _PAIR_STARTS.isdisjoint(words):
        for pair in pairwise(words):
            if pair in rules.WIDGET_WORD_PAIRS:
                return rules.WIDGET_WORD_PAIRS[pair]
    return None


def _drop(found: Iterable[tuple[str, LexborNode]], total: int, dropped: list[DroppedBlock]) -> int:
    """Remove the nodes found, except one holding most of the page (a wrapper, not a widget).

    Returns how much shorter that made the page's ``_text``: it is the words of all its text
    nodes joined by single spaces, so each node took its own ``_text`` and one space along
    (all of it, plus one, when nothing is left)."""
    removed = 0
    for rule, node in list(found):
        if node.parent is None:  # already gone with an ancestor
            continue
        text = _text(node)
        if total and rule != "site:remove" and len(text) > rules.WRAPPER_SHARE * total:
            continue
        node.decompose()
        if text:
            dropped.append(DroppedBlock(rule, text[:_EXPLAIN_CHARS]))
            removed += len(text) + 1
    return removed


def as_document(body_html: str) -> str:
    return f"<html><body>{body_html}</body></html>"


def _text(node: LexborNode) -> str:
    return " ".join(node.text(separator=" ").split())
