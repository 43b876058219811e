"""Where the running prose of a page is, counted the way a reader's eye would find it.

Trafilatura chooses its container by name first (``article``, ``*-body``, ``content``...). On a
page whose story sits in an unnamed ``<div>`` as text and ``<br>`` rather than ``<p>``, it can
settle on a sidebar or a menu; on a section front it happily returns the teasers. Counting the
long runs of text outside links, and which element holds them, catches both without relying on
any name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from selectolax.lexbor import LexborNode

_RUN_CHARS = 40  # a text run at least this long is prose; menus and labels are shorter
# Text in these belongs to the block around them, not to a container of its own.
_INLINE = frozenset(
    {"a", "b", "strong", "i", "em", "span", "u", "font", "small", "sup", "sub", "mark", "q",
     "abbr", "cite", "time", "br", "code"}
)  # fmt: skip
# A paragraph's text counts for the element that holds the paragraphs.
_PARAGRAPH = frozenset({"p", "blockquote", "h2", "h3", "h4", "li"})
_HEADLINE_LINK_SHARE = 0.8  # a heading this much link text is a teaser's headline
_FRONT_MIN_HEADLINES = 5
_FRONT_BEST_SHARE = 0.3  # on a section front no one element holds this much of the prose
_FRONT_MIN_BEST_CHARS = 200
_REGION_MIN_SHARE = 0.8  # narrow only when one element holds this much of the prose
_REGION_LEVELS = 3  # ... to the element this many levels above it


@dataclass(frozen=True, slots=True)
class Prose:
    """The element holding the most prose, its runs of prose, and the page's total."""

    best: LexborNode | None = None
    runs: list[str] = field(default_factory=list)
    total_chars: int = 0
    # where the story is, with room around it for headings and lists (None: the whole page)
    region: LexborNode | None = None

    @property
    def best_chars(self) -> int:
        return sum(map(len, self.runs))


def measure_prose(root: LexborNode) -> Prose:
    runs: dict[int, list[str]] = {}
    nodes: dict[int, LexborNode] = {}
    for node in root.traverse(include_text=True):
        if not node.is_text_node:
            continue
        raw = node.text_content or ""
        if len(raw) < _RUN_CHARS:  # most are; collapsing its spaces could only shorten it
            continue
        text = " ".join(raw.split())
        holder = _holder(node) if len(text) >= _RUN_CHARS else None
        if holder is not None:
            runs.setdefault(holder.mem_id, []).append(text)
            nodes.setdefault(holder.mem_id, holder)
    if not runs:
        return Prose()
    sizes = {k: sum(map(len, group)) for k, group in runs.items()}
    best = max(sizes, key=sizes.__getitem__)
    total = sum(sizes.values())
    region = _region(nodes[best], sizes[best], total, root)
    return Prose(nodes[best], runs[best], total, region)


def _region(best: LexborNode, best_chars: int, total: int, root: LexborNode) -> LexborNode | None:
    """The neighbourhood of the story: a few levels above the densest container, when that
    container holds most of the page's prose. Its headings, lists and side paragraphs sit in
    those levels; menus, rails and footers mostly do not."""
    if best_chars < _REGION_MIN_SHARE * total:
        return None
    node = best
    for _ in range(_REGION_LEVELS):
        parent = node.parent
        if parent is None or parent.mem_id == root.mem_id:
            return None
        node = parent
    return node


def coverage(runs: list[str], text: str) -> float:
    """The share of the characters of ``runs`` that occur in ``text``."""
    flat = " ".join(text.split())
    total = sum(len(r) for r in runs)
    return sum(len(r) for r in runs if r in flat) / total if total else 1.0


def is_section_front(root: LexborNode, prose: Prose) -> bool:
    """Headlines linking to other stories, and no element holding the bulk of the prose."""
    if prose.best_chars >= _FRONT_MIN_BEST_CHARS and (
        prose.best_chars >= _FRONT_BEST_SHARE * prose.total_chars
    ):
        return False
    headlines = 0
    for heading in root.css("h1, h2, h3, h4"):
        text = len(heading.text(strip=True))
        linked = sum(len(a.text(strip=True)) for a in heading.css("a"))
        headlines += bool(text) and linked >= _HEADLINE_LINK_SHARE * text
    return headlines >= _FRONT_MIN_HEADLINES


def _holder(text_node: LexborNode) -> LexborNode | None:
    """The container a run of text counts for; None for link text (headlines of teasers)."""
    node = text_node.parent
    while node is not None and node.tag in _INLINE:
        if node.tag == "a":
            return None
        node = node.parent
    # a paragraph (and a quote of paragraphs) counts for the element around it
    if node is not None and (node.tag in _PARAGRAPH or _is_text_block(node)):
        node = node.parent
        while node is not None and node.tag == "blockquote":
            node = node.parent
    return node


def _is_text_block(node: LexborNode) -> bool:
    """An element that is itself one paragraph: text and inline elements, no line breaks."""
    return all(
        child.is_text_node or (child.tag in _INLINE and child.tag != "br")
        for child in node.iter(include_text=True)
    )
