"""Metadata from the page's own markup: canonical link, ``lang``, ``<title>``, ``<h1>``, bylines.

These are the weakest sources, read only to fill what JSON-LD and ``<meta>`` left empty.
"""

from __future__ import annotations

from collections.abc import Iterator

from selectolax.lexbor import LexborHTMLParser, LexborNode

# Most explicit first: microdata, rel=author links, then the class names CMS themes use.
BYLINE_SELECTORS = (
    '[itemprop~="author" i] [itemprop~="name" i]',
    '[itemprop~="author" i]',
    'a[rel~="author" i]',
    # Per-person name elements come before whole byline blocks, which also hold dates and roles.
    '[class*="contributor-name" i]:not(:has(*))',
    '[class*="contributorname" i]:not(:has(*))',
    '[class*="author-name" i]:not(:has(*))',
    '[class*="authorname" i]:not(:has(*))',
    ".byline",
    '[class*="byline" i]',
    ".author",
    ".author-name",
    # Then any element whose class mentions the author, innermost first, and author pages.
    '[class*="author" i]:not(:has(*))',
    'a[href*="/author/" i]',
    'a[href*="/authors/" i]',
    '[class*="author" i]',
)
_MAX_BYLINE_NODES = 5
_MAX_BYLINE_CHARS = 300  # longer is an author bio or a whole article header, not a byline
_MAX_HEADINGS = 3
_MAX_TIMES = 5
_UNDER_HEADLINE_CHARS = 3000


def canonical_links(tree: LexborHTMLParser) -> list[str]:
    return [
        href
        for node in tree.css('link[rel~="canonical" i][href]')
        if (href := node.attributes.get("href"))
    ]


def document_languages(tree: LexborHTMLParser) -> list[str]:
    root = tree.root
    if root is None:
        return []
    attributes = root.attributes
    return [value for key in ("lang", "xml:lang") if (value := attributes.get(key))]


def head_titles(tree: LexborHTMLParser) -> list[str]:
    # Only the head's <title>: inline SVG in the body carries <title> elements of its own.
    node = tree.css_first("head > title")
    return [node.text(deep=True)] if node is not None else []


def headings(tree: LexborHTMLParser) -> list[str]:
    found: list[str] = []
    for node in tree.css("h1"):
        found.append(node.text(deep=True, separator=" "))
        if len(found) >= _MAX_HEADINGS:
            break
    return found


def itemprop_values(tree: LexborHTMLParser, prop: str) -> list[str]:
    """Microdata values on elements other than <meta> (which ``MetaTags`` already read)."""
    found: list[str] = []
    for node in tree.css(f'[itemprop~="{prop}" i]'):
        if node.tag == "meta":
            continue
        attributes = node.attributes
        value = attributes.get("datetime") or attributes.get("content") or node.text(deep=True)
        if value:
            found.append(value)
    return found


def time_values(tree: LexborHTMLParser) -> list[str]:
    """The dates the page shows its reader in ``<time>`` elements, in order (a few at most)."""
    found: list[str] = []
    for node in tree.css("body time")[:_MAX_TIMES]:
        value = node.attributes.get("datetime") or node.text(deep=True)
        if value:
            found.append(value)
    return found


def text_under_headline(tree: LexborHTMLParser) -> str:
    """The first characters of the page's text from its ``<h1>`` on: where a story shows its
    date line ("By Jane Doe, March 9, 2026")."""
    body = tree.body
    if body is None:
        return ""
    text = " ".join(body.text(separator=" ").split())
    heading = tree.css_first("h1")
    start = text.find(" ".join(heading.text(separator=" ").split())) if heading else 0
    return text[max(start, 0) : max(start, 0) + _UNDER_HEADLINE_CHARS]


def byline_groups(tree: LexborHTMLParser) -> Iterator[list[str]]:
    """Byline text lines, one group per selector; callers take the first group naming someone.

    Lines, not whole texts: themes put each author (and their role) in an element of its own,
    with no separator a text join could split on.
    """
    for selector in BYLINE_SELECTORS:
        lines: list[str] = []
        for node in tree.css(selector)[:_MAX_BYLINE_NODES]:
            lines.extend(_lines(node))
        if lines:
            yield lines


def _lines(node: LexborNode) -> list[str]:
    text = node.text(deep=True, separator="\n")
    if not text or len(text) > _MAX_BYLINE_CHARS:
        return []
    return [line for line in text.split("\n") if line.strip()]
