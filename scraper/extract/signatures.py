"""Block signatures: what a block of a page looks like, so that repeats across pages of a site
can be counted (``templates``) and, once learned, dropped.

A block gets up to two signatures, both short hashes:

- ``t…`` its text, blind to case, punctuation and spacing, for short blocks only: a promo box,
  a label, a notice pasted into every article. Long blocks are article text or wrappers.
- ``s…`` where it sits and how it is built, for boxes of links and lists of teasers only: the
  tag and class chain from ``<body>`` down to it and the kinds (tag and class) of its children.
  A "latest stories" list keeps both while its headlines change. Prose is neither, so article
  paragraphs, which sit in the same place on every page too, never get one.

Both are read from the pruned tree, in one pass, before anything is dropped, so what a page
teaches does not depend on what was already learned.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from selectolax.lexbor import LexborNode

from scraper.extract.text import key
from scraper.models import DroppedBlock

# Elements that make a block of their own; inline elements belong to the block around them.
_BLOCK_TAGS = frozenset(
    {"p", "div", "section", "article", "header", "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6",
     "table", "blockquote", "dl", "dt", "dd", "figcaption", "center"}
)  # fmt: skip
_MAX_TEXT_CHARS = 600  # longer blocks are stories or wrappers: their text is never a template
_MIN_TEXT_CHARS = 2
_LINK_SHARE = 0.6  # a block this much link text is a list of links (as in rules.LINK_BLOCK_SHARE)
_MIN_LINKS = 2
# A list of stories: at least this many children (and this share of those with text) that are
# short and carry a link making up a good part of their text. Paragraphs with a link in them
# are longer and mostly plain text.
_MIN_ITEMS = 3
_ITEM_SHARE = 0.6
_ITEM_MAX_CHARS = 300
_ITEM_LINK_SHARE = 0.3
# A block holding more than this share of the page's text is a wrapper, never a template block.
_WRAPPER_SHARE = 0.4
_EXPLAIN_CHARS = 300
_MAX_DEPTH = 200
_NO_DIGITS = str.maketrans("", "", "0123456789")


@dataclass(frozen=True, slots=True)
class Walked:
    """What one pass over a page found: every signature, and the blocks a template names."""

    signatures: frozenset[str]
    matched: list[tuple[LexborNode, str]] = field(default_factory=list)  # (node, text)


class _Size(NamedTuple):  # one per element of the page: a tuple is the cheapest to make
    chars: int = 0
    link_chars: int = 0
    links: int = 0

    @property
    def is_links(self) -> bool:
        """Mostly link text, in more than one link: a box of links."""
        return self.links >= _MIN_LINKS and self.link_chars >= _LINK_SHARE * self.chars > 0

    @property
    def is_teaser(self) -> bool:
        """A list item of a story list: a headline link, maybe a line of summary."""
        return (
            self.links >= 1
            and self.chars <= _ITEM_MAX_CHARS
            and self.link_chars >= _ITEM_LINK_SHARE * self.chars
        )


@dataclass(slots=True)
class _Pass:
    template: frozenset[str]
    signatures: set[str] = field(default_factory=set)
    # (pre-order index, end of its subtree, node) of blocks whose signature is in the template
    hits: list[tuple[int, int, LexborNode]] = field(default_factory=list)
    order: int = 0
    # What was worked out once on this page: a page repeats a few class names on many elements,
    # and a block often wraps a single block with the same text.
    parts: dict[tuple[str, str | None], str] = field(default_factory=dict)
    text_signatures: dict[str, str] = field(default_factory=dict)


def walk(root: LexborNode, template: Iterable[str] = ()) -> Walked:
    """The signatures of the blocks under ``root``, and the outermost blocks whose signature is
    in ``template`` (each with its text), in page order. The tree is not changed."""
    state = _Pass(frozenset(template))
    tag = root.tag or ""
    total = _visit(root, tag, _part(tag, root, state), state).chars
    matched: list[tuple[LexborNode, str]] = []
    covered = -1
    for start, end, node in sorted(state.hits, key=lambda hit: hit[0]):
        if start < covered:
            continue  # inside a block that goes already
        text = " ".join(node.text(separator=" ").split())
        if len(text) > _WRAPPER_SHARE * total:
            continue
        matched.append((node, text))
        covered = end
    return Walked(frozenset(state.signatures), matched)


def drop_matched(walked: Walked, rule: str, keep: LexborNode | None = None) -> list[DroppedBlock]:
    """Remove the matched blocks from the tree, sparing ``keep`` and the blocks around it."""
    spared = _with_ancestors(keep)
    dropped: list[DroppedBlock] = []
    for node, text in walked.matched:
        if node.mem_id in spared:
            continue
        node.decompose()
        if text:
            dropped.append(DroppedBlock(rule, text[:_EXPLAIN_CHARS]))
    return dropped


def _visit(node: LexborNode, tag: str, here: str, state: _Pass, depth: int = 0) -> _Size:
    """How much text and link text lies under ``node`` (a ``tag``, whose path is ``here``);
    records the signatures of its block."""
    start = state.order
    state.order += 1
    if depth >= _MAX_DEPTH:  # no template nests this deep; a hostile page might, past the stack
        return _Size(len(node.text(strip=True)))
    chars = link_chars = links = 0
    kids: list[tuple[str, _Size]] = []
    for child in node.iter(include_text=True):
        if child.is_text_node:
            chars += len((child.text_content or "").strip())
            continue
        child_tag = child.tag or ""
        if child_tag == "a":
            text_chars = len(child.text(strip=True))
            part, kid = "a", _Size(text_chars, text_chars, 1)
        elif child.is_element_node:
            part = _part(child_tag, child, state)
            kid = _visit(child, child_tag, f"{here}/{part}", state, depth + 1)
        else:
            continue
        kids.append((part, kid))
        chars += kid.chars
        link_chars += kid.link_chars
        links += kid.links
    size = _Size(chars, link_chars, links)
    if tag in _BLOCK_TAGS:
        found = _signatures(node, here, kids, size, state)
        state.signatures.update(found)
        if not state.template.isdisjoint(found):
            state.hits.append((start, state.order, node))
    return size


def _signatures(
    node: LexborNode, path: str, kids: list[tuple[str, _Size]], size: _Size, state: _Pass
) -> list[str]:
    found = []
    if _MIN_TEXT_CHARS <= size.chars <= _MAX_TEXT_CHARS:
        text = node.text(separator=" ")
        signature = state.text_signatures.get(text)
        if signature is None:
            signature = state.text_signatures[text] = _text_signature(text)
        if signature:
            found.append(signature)
    if size.is_links or _is_list(kids):
        # the kinds of children, not their number: a list keeps its place as it grows
        shape = ",".join(sorted({part for part, _ in kids}))
        found.append("s" + _digest(f"{path}|{shape}"))
    return found


def _text_signature(text: str) -> str:
    """The ``t…`` signature of a block's text ("" for a text without words)."""
    text_key = key(text)
    return "t" + _digest(text_key) if text_key else ""


def _is_list(kids: list[tuple[str, _Size]]) -> bool:
    """Children that are mostly teasers: short, each with a link that is much of its text."""
    if len(kids) < _MIN_ITEMS:  # too few to hold enough teasers
        return False
    filled = [kid for _, kid in kids if kid.chars]
    teasers = sum(kid.is_teaser for kid in filled)
    return teasers >= _MIN_ITEMS and teasers >= _ITEM_SHARE * len(filled)


def _part(tag: str, node: LexborNode, state: _Pass) -> str:
    """A node's tag and classes, with numbers left out (they count items or pages)."""
    name = (tag, node.attributes.get("class"))
    part = state.parts.get(name)
    if part is None:
        classes = name[1]
        part = ".".join([tag, *sorted(classes.translate(_NO_DIGITS).split())]) if classes else tag
        state.parts[name] = part
    return part


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def _with_ancestors(node: LexborNode | None) -> set[int]:
    ids: set[int] = set()
    while node is not None:
        ids.add(node.mem_id)
        node = node.parent
    return ids
