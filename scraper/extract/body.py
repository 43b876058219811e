"""The main text, as trafilatura finds it in the pruned page, split into typed blocks.

This is the one boundary where trafilatura and lxml errors become ExtractError. The chrome
rules need what plain text loses (which blocks were headings or list items, how much of each
was link text), so the blocks are read from trafilatura's document tree (``<p>``, ``<head>``,
``<list>``, ``<ref>``...) as ``bare_extraction`` returns it; asking ``extract`` for XML would
give the same tree, serialized and fingerprinted, at a quarter more cost.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from scraper.config import ExtractSettings
from scraper.errors import ExtractError

_LINE_BREAK = "\n"
# Nested inside another block (a table cell, a list item), these still start a new line.
_BLOCK_TAGS = frozenset({"p", "head", "list", "item", "quote", "row", "table", "code"})


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph-like unit of the extracted text."""

    kind: str  # "p", "head", "item", "quote", "row", "code"
    text: str
    link_chars: int = 0  # characters of ``text`` that were link text
    group: int = -1  # blocks from the same list, table or quote share a group
    # Whitespace-separated words of ``text``: counted once, as the chrome rules ask many times.
    words: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", len(self.text.split()))

    @property
    def link_share(self) -> float:
        return self.link_chars / len(self.text) if self.text else 0.0


def main_blocks(html: str, settings: ExtractSettings, url: str) -> list[Block]:
    """Run trafilatura on ``html`` (a decoded string, never bytes) and return its blocks."""
    if not html.strip():
        return []
    # Imported on first use: a crawl's main process loads this package for its types but
    # extracts nothing itself, and trafilatura would cost it ~35 MiB.
    import trafilatura

    try:
        document = trafilatura.bare_extraction(
            html,
            include_comments=False,
            include_tables=settings.include_tables,
            include_links=True,
            fast=True,
        )
        body = getattr(document, "body", None)
        return _blocks(body) if body is not None else []
    except Exception as exc:  # trafilatura and lxml raise many kinds; all mean the same here
        raise ExtractError(f"text extraction failed: {exc!r}", url=url) from exc


def _blocks(main: Any, groups: Iterator[int] | None = None) -> list[Block]:
    groups = groups if groups is not None else count()
    blocks: list[Block] = []
    for child in main:
        tag, group = child.tag, next(groups)
        if tag == "list":
            for item in child.iter("item"):
                blocks += _block("item", item, group)
        elif tag == "table":
            for row in child.iter("row"):
                if any(len(cell) and cell[0].tag in _BLOCK_TAGS for cell in row):
                    # a layout table: each cell is a column of paragraphs, not a data cell
                    for cell in row:
                        blocks += _blocks(cell, groups)
                else:
                    blocks.append(_row(row, group))
        elif tag == "quote" and len(child) and all(c.tag == "p" for c in child):
            for p in child:
                blocks += _block("quote", p, group)
        else:
            blocks += _block(tag if tag in ("p", "head", "quote", "code") else "p", child, group)
    return [b for b in blocks if b.text]


def _block(kind: str, elem: Any, group: int) -> list[Block]:
    """The paragraphs of ``elem``: one block, or one per line where line breaks or nested
    paragraphs split it."""
    parts: list[tuple[str, bool]] = []
    _collect(elem, parts, in_link=False)
    return [Block(kind, text, links, group) for text, links in _paragraphs(parts)]


def _row(row: Any, group: int) -> Block:
    cells = [b for cell in row for b in _block("row", cell, group)]
    text = " | ".join(c.text for c in cells)
    return Block("row", text, sum(c.link_chars for c in cells), group)


def _collect(elem: Any, parts: list[tuple[str, bool]], *, in_link: bool) -> None:
    """Append the text of ``elem`` to ``parts`` as (text, is link text) pieces.

    Nested lists are left out: their items become blocks of their own.
    """
    link = in_link or elem.tag == "ref"
    if elem.text:
        parts.append((elem.text, link))
    for child in elem:
        if child.tag == "lb":
            parts.append((_LINE_BREAK, False))
        elif child.tag in _BLOCK_TAGS:
            if child.tag != "list" or elem.tag != "item":
                parts.append((_LINE_BREAK, False))
                _collect(child, parts, in_link=link)
                parts.append((_LINE_BREAK, False))
        else:
            _collect(child, parts, in_link=link)
        if child.tail:
            parts.append((child.tail, link))


def _paragraphs(parts: list[tuple[str, bool]]) -> Iterator[tuple[str, int]]:
    """(text, link characters) per line, whitespace collapsed, empty lines left out.

    Every line break makes a paragraph: news pages that break lines with ``<br>`` mostly mean
    a new paragraph, and trafilatura has already folded ``<br><br>`` into one break.
    """
    text, links = "", 0
    for piece, is_link in parts:
        first, *rest = piece.split(_LINE_BREAK)
        text, links = text + first, links + (len(first.strip()) if is_link else 0)
        for line in rest:
            if clean := " ".join(text.split()):
                yield clean, links
            text, links = line, len(line.strip()) if is_link else 0
    if clean := " ".join(text.split()):
        yield clean, links
