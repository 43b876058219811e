"""Article metadata from the parsed page: JSON-LD first, then OpenGraph and <meta>, then dates.

(Interface placeholder: the full implementation replaces the body of ``extract_metadata``.)
"""

from __future__ import annotations

from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser


@dataclass(frozen=True, slots=True)
class Metadata:
    title: str | None = None
    canonical_url: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None
    modified: str | None = None
    language: str | None = None
    site_name: str | None = None
    description: str | None = None
    image: str | None = None
    tags: tuple[str, ...] = ()


def extract_metadata(tree: LexborHTMLParser, url: str) -> Metadata:
    """Read metadata from ``tree`` (the page as parsed, before any pruning)."""
    node = tree.css_first("title")
    return Metadata(title=node.text(strip=True) if node else None)
