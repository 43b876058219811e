"""What the block scorer knows about each segment: numbers for its text, its element and the two
above it, where the page's prose is, where the segment sits, what the text rules say of it, and
how much of the page the nearest element named for each class-word category holds.

``FEATURES`` names the columns of ``segment_features``. The shipped model records the names it
was trained with, and loading it checks them against these (``scorer``). Per-element numbers
are worked out once per element (``_FrameTable``) and gathered for all segments with numpy.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import numpy.typing as npt

from scraper.extract import chrome, names, rules
from scraper.extract.segment import COUNTED_CHARS, Frame, Segment, Segmentation

Matrix = npt.NDArray[np.float32]
_Column = npt.NDArray[np.float64]

_TAGS = (
    "p", "div", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
    "figcaption", "dd", "dt", "section", "article", "header", "footer", "aside", "nav", "main",
    "body", "form", "ul", "ol", "table", "figure", "caption", "address", "center", "summary",
    "details",
)  # fmt: skip
_TAG_CODES = {tag: i + 1 for i, tag in enumerate(_TAGS)}  # 0: any other tag
_HEADING_LEVELS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Tags whose presence at or above a segment is a feature.
_UNDER = ("article", "main", "header", "form", "li", "table", "figure", "blockquote", "section",
          "ul", "ol", "h2", "p")  # fmt: skip
_RULES = (
    "separator", "link-row", "link-only", "audio-player", "advertisement", "share-bar", "toolbar",
    "paywall", "shortcode", "reading-time", "tags", "link-label",
    *(rule for rule, _ in rules.ASK_PATTERNS),
)  # fmt: skip
_RULE_CODES = {f"chrome:{rule}": i + 1 for i, rule in enumerate(_RULES)}
# Counted with str.count, one C pass per character kind rather than a call per character.
_PUNCTUATION = ".,;:!?"
_DIGITS = "0123456789"
_SENTENCE_ENDS = (".", "!", "?", '"', "'", "”", ")", "。", "！", "？")
_SAMPLE_CHARS = 400  # shares of digits are read off a block's first characters
_SAMPLE_WORDS = 60  # ... and shares of capitalised words off its first words
_PROSE_CHARS = 40  # a segment with this much text outside links is prose (see _FrameTable)
_PARAGRAPH_TAGS = frozenset({"p", "blockquote", "h2", "h3", "h4", "li", "dd", "pre"})

_TEXT = (
    "log_chars", "log_words", "link_share", "punctuation_share", "ends_sentence", "digit_share",
    "capital_share", "sentences", "mean_word_chars", "lower_share", "line_breaks", "repeats",
    "text_rule",
)  # fmt: skip
_ELEMENT = (
    "tag", "heading_level", "depth", "siblings",
    "own_log_chars", "own_link_share", "own_log_segments",
    "parent_log_chars", "parent_link_share", "parent_log_segments",
    "grand_log_chars", "grand_link_share", "grand_log_segments",
    "own_prose_share", "parent_prose_share", "grand_prose_share",
    "in_densest", "levels_to_densest", "levels_to_shared", "shared_levels_below_densest",
)  # fmt: skip
_PLACE = (
    "offset_share", "index_share", "after_h1", "before_h1", "is_h1",
    "prev_log_chars", "prev_link_share", "next_log_chars", "next_link_share", "page_log_chars",
)  # fmt: skip
FEATURES: tuple[str, ...] = (
    *_TEXT,
    *_ELEMENT,
    *_PLACE,
    *(f"nearest_share_{category}" for category in names.CATEGORIES),
    *(f"under_{tag}" for tag in _UNDER),
)


def segment_features(seg: Segmentation) -> Matrix:
    """One row of FEATURES per segment of ``seg``."""
    segments = seg.segments
    if not segments:
        return np.zeros((0, len(FEATURES)), dtype=np.float32)
    table = _FrameTable(seg)
    own = np.fromiter((s.frame.index for s in segments), np.intp, len(segments))
    parent = table.parent[own]
    grand = table.parent[parent]
    text = _text_columns(segments)
    element = [
        table.tag[own], table.heading[own], table.depth[own], table.siblings[own],
        *table.size_columns(own), *table.size_columns(parent), *table.size_columns(grand),
        table.prose_share[own], table.prose_share[parent], table.prose_share[grand],
        (table.to_densest[own] >= 0).astype(np.float64), table.to_densest[own],
        table.to_shared[own], table.shared_below[own],
    ]  # fmt: skip
    place = _place_columns(segments, text, table, own, seg.chars)
    columns = [text, np.stack(element, axis=1), place, table.nearest[own], table.under[own]]
    return np.concatenate(columns, axis=1).astype(np.float32)


class _FrameTable:
    """Per-element numbers, indexed by ``Frame.index``; parents come before their children."""

    def __init__(self, seg: Segmentation) -> None:
        frames = seg.frames
        count = len(frames)
        self.parent = np.fromiter(
            (f.parent.index if f.parent else f.index for f in frames), np.intp, count
        )
        self.tag = np.array([_TAG_CODES.get(f.tag, 0) for f in frames], dtype=np.float64)
        self.heading = np.array([_HEADING_LEVELS.get(f.tag, 0) for f in frames], dtype=np.float64)
        self.depth = np.array([f.depth for f in frames], dtype=np.float64)
        self.siblings = np.array([f.siblings for f in frames], dtype=np.float64)
        self.chars = np.array([f.chars for f in frames], dtype=np.float64)
        self.links = np.array([f.links for f in frames], dtype=np.float64)
        self.segments = np.array([f.segments for f in frames], dtype=np.float64)
        self.prose_share = self._prose(seg)
        self.to_densest, self.to_shared, self.shared_below = self._densest(seg)
        self.nearest = self._nearest(seg)
        self.under = self._under(seg)

    def size_columns(self, index: npt.NDArray[np.intp]) -> tuple[_Column, _Column, _Column]:
        chars = self.chars[index]
        return (
            np.log1p(chars),
            self.links[index] / np.maximum(chars, 1),
            np.log1p(self.segments[index]),
        )

    def _prose(self, seg: Segmentation) -> _Column:
        """Share of the page's prose held anywhere below each element. A paragraph counts for
        the element holding the paragraphs: that is where a reader's eye finds the story."""
        own = np.zeros(len(seg.frames))
        for item in seg.segments:
            plain = min(len(item.block.text), COUNTED_CHARS) - item.block.link_chars
            if plain >= _PROSE_CHARS:
                frame = item.frame
                holder = frame.parent if frame.tag in _PARAGRAPH_TAGS and frame.parent else frame
                own[holder.index] += plain
        self.densest = int(own.argmax())
        held = own.copy()
        for frame in reversed(seg.frames):
            if frame.parent is not None:
                held[frame.parent.index] += held[frame.index]
        share: _Column = held / max(held[0], 1.0)
        return share

    def _densest(self, seg: Segmentation) -> tuple[_Column, _Column, _Column]:
        """Per element: levels down from the densest element (-1 outside it), levels up to the
        lowest element above both, and how far above the densest that element is."""
        count = len(seg.frames)
        chain: dict[int, int] = {}  # the densest and the elements above it -> levels above it
        node: Frame | None = seg.frames[self.densest]
        while node is not None:
            chain[node.index] = len(chain)
            node = node.parent
        to_densest, to_shared, shared_below = np.full(count, -1.0), np.zeros(count), np.zeros(count)
        for frame in seg.frames:
            i = frame.index
            if i in chain:
                shared_below[i] = chain[i]
                to_densest[i] = 0.0 if chain[i] == 0 else -1.0
                continue
            up = frame.parent.index if frame.parent else i
            to_densest[i] = to_densest[up] + 1 if to_densest[up] >= 0 else -1.0
            to_shared[i], shared_below[i] = to_shared[up] + 1, shared_below[up]
        return to_densest, to_shared, shared_below

    def _nearest(self, seg: Segmentation) -> npt.NDArray[np.float64]:
        """Per element and name category: the share of the page's text held by the nearest
        element at or above it so named (a comment box holds little of the page; an article
        wrapper whose class merely mentions comments holds most of it)."""
        total = max(seg.chars, 1)
        empty = [0.0] * len(names.CATEGORIES)
        rows: list[list[float]] = []
        for frame in seg.frames:  # an unnamed element shares its parent's row, uncopied
            row = rows[frame.parent.index] if frame.parent is not None else empty
            if frame.names:
                row = list(row)
                for bit in range(len(names.CATEGORIES)):
                    if frame.names >> bit & 1:
                        row[bit] = frame.chars / total
            rows.append(row)
        return np.array(rows, dtype=np.float64).reshape(len(rows), len(names.CATEGORIES))

    def _under(self, seg: Segmentation) -> npt.NDArray[np.float64]:
        empty = [0.0] * len(_UNDER)
        rows: list[list[float]] = []
        for frame in seg.frames:
            row = rows[frame.parent.index] if frame.parent is not None else empty
            if frame.tag in _UNDER:
                row = list(row)
                row[_UNDER.index(frame.tag)] = 1.0
            rows.append(row)
        return np.array(rows, dtype=np.float64).reshape(len(rows), len(_UNDER))


def _text_columns(segments: list[Segment]) -> npt.NDArray[np.float64]:
    repeats = Counter(s.block.text for s in segments)
    rows = []
    for item in segments:
        block = item.block
        text = block.text
        chars, count = len(text), block.words or 1
        sample = text[:_SAMPLE_CHARS]
        first = sample.split()[:_SAMPLE_WORDS]
        rule = chrome.block_rule(block) if block.words <= rules.ASK_MAX_WORDS else None
        rows.append(
            (
                math.log1p(chars),
                math.log1p(block.words),
                block.link_chars / chars,
                sum(map(text.count, _PUNCTUATION)) / chars,
                text.endswith(_SENTENCE_ENDS),
                sum(map(sample.count, _DIGITS)) / len(sample),
                sum(map(str.isupper, "".join([w[0] for w in first]))) / (len(first) or 1),
                text.count(". ") + text.count("? ") + text.count("! "),
                (chars - count + 1) / count,
                sum(map(str.islower, first)) / (len(first) or 1),
                text.count("\n"),
                repeats[text],
                _RULE_CODES.get(rule, 0) if rule else 0,
            )
        )
    return np.array(rows, dtype=np.float64)


def _place_columns(
    segments: list[Segment],
    text: npt.NDArray[np.float64],
    table: _FrameTable,
    own: npt.NDArray[np.intp],
    page_chars: int,
) -> npt.NDArray[np.float64]:
    count = len(segments)
    index = np.arange(count, dtype=np.float64)
    h1s = np.flatnonzero(table.heading[own] == 1)
    h1 = float(h1s[0]) if len(h1s) else -1.0
    log_chars, link_share = text[:, 0], text[:, 2]
    missing = np.array([-1.0])
    return np.stack(
        [
            np.array([s.offset for s in segments], dtype=np.float64) / max(page_chars, 1),
            index / count,
            (index - h1) / count if h1 >= 0 else np.full(count, -2.0),
            (index < h1).astype(np.float64),
            (index == h1).astype(np.float64),
            np.concatenate([missing, log_chars[:-1]]),
            np.concatenate([missing, link_share[:-1]]),
            np.concatenate([log_chars[1:], missing]),
            np.concatenate([link_share[1:], missing]),
            np.full(count, math.log1p(page_chars)),
        ],
        axis=1,
    )
