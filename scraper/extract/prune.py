"""Prune the parsed page to what could be article text, before it is cut into segments.

Works on the selectolax tree in place: the caller parses once, reads metadata from the intact
tree, then hands it here. Only what is chrome by its element goes here: scripts and other
silent tags, navigation, footers and complementary asides, and what a site's rules remove.
Everything else (share bars, related lists, captions, hidden or paywalled paragraphs) is left
to the block scorer, which weighs an element's class names with its structure and text instead
of taking a word in a class name for a verdict. What goes is recorded (rule, text) unless it
never holds words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from scraper.config import SiteRules
from scraper.errors import ExtractError
from scraper.extract import rules
from scraper.models import DroppedBlock

_EXPLAIN_CHARS = 300  # --explain shows what a block was, not all of it


@dataclass(frozen=True, slots=True)
class Pruned:
    """The pruned tree (changed in place), what was dropped, and the site's body if it named one.

    The document is serialized only when asked for (trafilatura's fallback): the scorer reads
    the tree itself, and a site template may still drop blocks first.
    """

    tree: LexborHTMLParser | None
    dropped: list[DroppedBlock]
    body: LexborNode | None = None  # the element the site's body selector chose

    @property
    def narrowed(self) -> bool:
        """True when the site's body selector chose the article."""
        return self.body is not None

    @property
    def root(self) -> LexborNode | None:
        """Where the article is looked for: the site's body element, else the page's body."""
        if self.body is not None:
            return self.body
        return (self.tree.body or self.tree.root) if self.tree is not None else None

    @property
    def html(self) -> str:
        """The document left, for trafilatura."""
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
    total = len(root.text(separator=" "))
    for rule, selector in rules.CHROME_SELECTORS:
        _drop(((f"prune:{rule}", n) for n in root.css(selector)), total, dropped)
    if site is not None:
        body = _apply_site_rules(root, site, dropped, url)
        if body is not None:
            return Pruned(tree, dropped, body)
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


def _drop(found: Iterable[tuple[str, LexborNode]], total: int, dropped: list[DroppedBlock]) -> None:
    """Remove the nodes found, except one holding most of the page (a wrapper, not chrome:
    some themes put the whole page in an ``<aside>`` or a ``role=navigation`` element)."""
    for rule, node in list(found):
        if node.parent is None:  # already gone with an ancestor
            continue
        raw = node.text(separator=" ")  # measured as ``total`` is: spaces left as they are
        if total and rule != "site:remove" and len(raw) > rules.WRAPPER_SHARE * total:
            continue
        node.decompose()
        if text := " ".join(raw[: 4 * _EXPLAIN_CHARS].split())[:_EXPLAIN_CHARS]:
            dropped.append(DroppedBlock(rule, text))


def as_document(body_html: str) -> str:
    return f"<html><body>{body_html}</body></html>"
