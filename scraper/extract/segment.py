"""Cut the pruned page into segments: the runs of text a reader sees as one paragraph, heading,
list item or table row, each with the element that holds it.

One walk over the tree, in document order. Inline elements (links, emphasis, spans) add their
text to the segment being built; any other element closes it and opens a ``Frame``, so every
segment knows the block-level element that holds it and, through it, every one above. Frames
add up what they hold (characters, link characters, segments) for the scorer's features.

Written by hand because no library cuts a page this way in one pass: trafilatura and jusText
make their own, coarser decisions on the way, and a second parse would cost more than the walk.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from selectolax.lexbor import LexborNode

from scraper.extract import names
from scraper.extract.body import Block
from scraper.extract.patterns import words

INLINE_TAGS = words(
    "a abbr b bdi bdo big cite code data del dfn em font i ins kbd label mark nobr q rp rt "
    "ruby s samp small span strike strong sub sup time tt u var wbr"
)
# Cells of a table row join into one segment ("a | b | c"); a cell holding paragraphs is a
# column of a layout table, and its paragraphs are segments of their own.
_CELLS = frozenset({"td", "th"})
_CELL_SEPARATOR = " | "
_ITEMS = frozenset({"li", "dd", "dt"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_HIDDEN_BIT = 1 << names.CATEGORIES.index("hidden")
# What one segment counts for in the sums of the frames above it: a text node of megabytes (a
# data dump, a pasted log) would otherwise make every other segment look like a crumb.
COUNTED_CHARS = 3000
# Tags whose presence above a segment the scorer weighs (a bit each).
ANCESTOR_TAGS: tuple[str, ...] = (
    "article", "main", "header", "footer", "nav", "aside", "form", "li", "table", "figure",
    "blockquote", "section", "ul", "ol", "h1", "h2", "h3", "p", "dl", "menu",
)  # fmt: skip
_TAG_BITS = {tag: 1 << i for i, tag in enumerate(ANCESTOR_TAGS)}


@dataclass(slots=True, eq=False)
class Frame:
    """A block-level element on the way down, and what it holds."""

    tag: str
    parent: Frame | None
    index: int  # in Segmentation.frames, which lists frames in document order
    depth: int
    names: int  # class/id categories of this element (names.name_bits), hidden flag included
    outer_names: int  # ... of every element above it
    outer_tags: int  # ANCESTOR_TAGS bits of every element above it
    key: tuple[str, str]  # tag and class: siblings with the same key are repeated items
    chars: int = 0
    links: int = 0
    segments: int = 0
    siblings: int = 1  # elements with the same key under the same parent, itself included


@dataclass(frozen=True, slots=True)
class Segment:
    block: Block
    frame: Frame
    offset: int  # characters of page text before this segment (as Segmentation.chars counts)


@dataclass(frozen=True, slots=True)
class Segmentation:
    frames: list[Frame]
    segments: list[Segment] = field(default_factory=list)

    @property
    def chars(self) -> int:
        """The page's text, each segment counted up to COUNTED_CHARS."""
        return self.frames[0].chars if self.frames else 0


def segment(root: LexborNode) -> Segmentation:
    """The segments of ``root`` (a pruned ``<body>``, or the element a site names as its body)."""
    walker = _Walker(root)
    walker.visit(root, walker.frames[0], in_link=False)
    walker.close(walker.frames[0])
    counts = Counter((f.parent.index, f.key) for f in walker.frames if f.parent is not None)
    for frame in walker.frames:
        if frame.parent is not None:
            frame.siblings = counts[frame.parent.index, frame.key]
    return Segmentation(walker.frames, walker.segments)


class _Walker:
    def __init__(self, root: LexborNode) -> None:
        top = Frame(root.tag or "body", None, 0, 0, 0, 0, 0, (root.tag or "body", ""))
        self.frames = [top]
        self.segments: list[Segment] = []
        self.parts: list[tuple[str, bool]] = []  # the open segment's text, and is it link text
        self.chars = 0

    def visit(self, node: LexborNode, frame: Frame, *, in_link: bool) -> None:
        for child in node.iter(include_text=True):
            if child.is_text_node:
                text = child.text_content
                # whitespace between block elements opens no segment (most text nodes are that)
                if text and (self.parts or not text.isspace()):
                    self.parts.append((text, in_link))
                continue
            tag = child.tag
            if not tag or tag[0] in "-#_!":  # comments and other non-elements
                continue
            if tag == "br":
                self.parts.append(("\n", False))
            elif tag in INLINE_TAGS:
                self.visit(child, frame, in_link=in_link or tag == "a")
            elif tag in _CELLS and frame.tag == "tr":
                if self.parts:
                    self.parts.append((_CELL_SEPARATOR, False))
                self.visit(child, frame, in_link=in_link)
            else:
                if self.parts:
                    self.close(frame)
                inner = self.open(child, tag, frame)
                self.visit(child, inner, in_link=in_link)
                if self.parts:
                    self.close(inner)

    def open(self, node: LexborNode, tag: str, parent: Frame) -> Frame:
        attrs = node.attributes
        bits = names.name_bits(attrs.get("class"), attrs.get("id"))
        if (
            "hidden" in attrs
            or attrs.get("aria-hidden") == "true"
            or _styled_hidden(attrs.get("style"))
        ):
            bits |= _HIDDEN_BIT
        frame = Frame(
            tag,
            parent,
            len(self.frames),
            parent.depth + 1,
            bits,
            parent.outer_names | parent.names,
            parent.outer_tags | _TAG_BITS.get(parent.tag, 0),
            (tag, attrs.get("class") or ""),
        )
        self.frames.append(frame)
        return frame

    def close(self, frame: Frame) -> None:
        """End the open segment, if it holds any text, as a segment of ``frame``."""
        if not self.parts:
            return
        text, links = _joined(self.parts)
        self.parts.clear()
        if not text:
            return
        block = Block(_kind(frame), text, links, _group(frame))
        self.segments.append(Segment(block, frame, self.chars))
        counted = min(len(text), COUNTED_CHARS)
        counted_links = links * counted // len(text)
        self.chars += counted
        holder: Frame | None = frame
        while holder is not None:
            holder.chars += counted
            holder.links += counted_links
            holder.segments += 1
            holder = holder.parent


def _joined(parts: list[tuple[str, bool]]) -> tuple[str, int]:
    """The text of ``parts``, spaces collapsed and a line per ``<br>``, and its link characters."""
    if len(parts) == 1:  # most segments are one text node: no joins, no links to sum
        raw, is_link = parts[0]
        whole = [raw]
    else:
        whole, is_link = [text for text, _ in parts], False
    joined = "".join(whole)
    if "\n" in joined:
        lines = (" ".join(line.split()) for line in joined.split("\n"))
        text = "\n".join(line for line in lines if line).strip(" |")
    else:
        text = " ".join(joined.split()).strip(" |")
    if len(parts) == 1:
        return text, len(text) if is_link else 0
    links = sum(len(piece.strip()) for piece, link in parts if link)
    return text, min(links, len(text))


def _kind(frame: Frame) -> str:
    tag = frame.tag
    if tag in _HEADINGS:
        return "head"
    if tag in _ITEMS:
        return "item"
    if tag == "tr":
        return "row"
    if tag == "pre":
        return "code"
    if tag == "blockquote" or frame.outer_tags & _TAG_BITS["blockquote"]:
        return "quote"
    return "p"


def _group(frame: Frame) -> int:
    """Items of one list, rows of one table share a group: the index of the list or table."""
    if frame.tag in _ITEMS or frame.tag == "tr":
        parent = frame.parent
        while parent is not None and parent.tag in ("tbody", "thead", "tfoot"):
            parent = parent.parent
        return parent.index if parent is not None else -1
    return -1


def _styled_hidden(style: str | None) -> bool:
    if not style or ("none" not in style and "hidden" not in style):
        return False
    compact = style.lower().replace(" ", "")
    return "display:none" in compact or "visibility:hidden" in compact
