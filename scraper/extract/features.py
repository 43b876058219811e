"""What the block scorer knows about each segment: numbers for its text, its element, the elements
above it, where it sits on the page and what is around it.

``FEATURES`` names the columns of ``segment_features``; ``CONTEXT_FEATURES`` the columns that
``context_features`` adds once a first pass has scored every segment (what the neighbours, the
enclosing elements and the page as a whole were scored). The shipped model records the names it
was trained with, and loading it checks them against these (``scorer``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from scraper.extract import chrome, names, rules
from scraper.extract.segment import (
    ANCESTOR_TAGS,
    COUNTED_CHARS,
    Frame,
    Segment,
    Segmentation,
)

Matrix = npt.NDArray[np.float32]

_TAGS = (
    "p", "div", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
    "figcaption", "dd", "dt", "section", "article", "header", "footer", "aside", "nav", "main",
    "body", "form", "ul", "ol", "table", "figure", "caption", "address", "center", "summary",
    "details",
)  # fmt: skip
_TAG_CODES = {tag: i + 1 for i, tag in enumerate(_TAGS)}  # 0: any other tag
_RULES = (
    "separator", "link-row", "link-only", "audio-player", "advertisement", "share-bar", "toolbar",
    "shortcode", "reading-time", "tags", "link-label", *(rule for rule, _ in rules.ASK_PATTERNS),
)  # fmt: skip
_RULE_CODES = {rule: i + 1 for i, rule in enumerate(_RULES)}
_PUNCTUATION = ".,;:!?"
_SENTENCE_ENDS = (".", "!", "?", '"', "'", "”", ")", "。", "！", "？")
_SAMPLE_CHARS = 400  # shares of digits and capitals are read off a block's first characters
_PROSE_CHARS = 40  # a segment with this much text outside links is prose (see _prose)
_PARAGRAPH_TAGS = frozenset({"p", "blockquote", "h2", "h3", "h4", "li", "dd", "pre"})
_SHORT_WORDS = 12  # byline, date line and recirculation headings are short

_TEXT = (
    "log_chars", "log_words", "link_share", "punctuation_share", "ends_sentence", "digit_share",
    "capital_share", "sentences", "mean_word_chars", "lower_share", "line_breaks", "repeats",
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
_RULE_COLUMNS = ("text_rule", "recirculation_heading", "byline", "dateline", "relative_time")
_NAME_COLUMNS = tuple(
    f"{prefix}{category}"
    for category in names.CATEGORIES
    for prefix in ("named_", "nearest_share_", "nearest_levels_")
)
_TAG_COLUMNS = tuple(f"under_{tag}" for tag in ANCESTOR_TAGS)
FEATURES: tuple[str, ...] = (
    *_TEXT, *_ELEMENT, *_PLACE, *_RULE_COLUMNS, *_NAME_COLUMNS, *_TAG_COLUMNS
)  # fmt: skip
CONTEXT_FEATURES: tuple[str, ...] = (
    "score_prev3", "score_prev2", "score_prev1", "score_next1", "score_next2", "score_next3",
    "own_mean_score", "own_count", "parent_mean_score", "parent_count",
    "grand_mean_score", "grand_count", "in_best", "levels_to_best", "outside_best",
    "max_score_before", "max_score_after", "page_mean_score", "score",
)  # fmt: skip


def segment_features(seg: Segmentation) -> Matrix:
    """One row of FEATURES per segment of ``seg``."""
    segments = seg.segments
    if not segments:
        return np.zeros((0, len(FEATURES)), dtype=np.float32)
    total = max(seg.chars, 1)
    prose = _prose(seg)
    densest = max(seg.frames, key=lambda f: prose.own[f.index])
    below_densest = _levels_below(densest)
    h1 = next((i for i, s in enumerate(segments) if _under(s.frame, "h1")), -1)
    repeats = Counter(s.block.text for s in segments)
    rows = []
    for i, item in enumerate(segments):
        row = _text_columns(item, repeats)
        row += _element_columns(item.frame, prose, densest, below_densest)
        row += _place_columns(segments, i, h1, total)
        row += _rule_columns(item)
        row += _name_columns(item.frame, total)
        row += _tag_columns(item.frame)
        rows.append(row)
    return np.asarray(rows, dtype=np.float32)


class _Prose:
    """Prose characters per frame: held directly (``own``) and held anywhere below (``held``)."""

    def __init__(self, own: list[int], held: list[int]) -> None:
        self.own, self.held = own, held
        self.total = max(held[0], 1) if held else 1


def _prose(seg: Segmentation) -> _Prose:
    """Where the running prose is: a paragraph counts for the element holding the paragraphs."""
    own = [0] * len(seg.frames)
    for item in seg.segments:
        plain = min(len(item.block.text), COUNTED_CHARS) - item.block.link_chars
        if plain >= _PROSE_CHARS:
            frame = item.frame
            holder = frame.parent if frame.tag in _PARAGRAPH_TAGS and frame.parent else frame
            own[holder.index] += plain
    held = list(own)
    for frame in reversed(seg.frames):  # children come after their parent
        if frame.parent is not None:
            held[frame.parent.index] += held[frame.index]
    return _Prose(own, held)


def _levels_below(frame: Frame) -> dict[int, int]:
    """Frame index -> how many levels above ``frame`` it is (``frame`` itself: 0)."""
    levels: dict[int, int] = {}
    node: Frame | None = frame
    while node is not None:
        levels[node.index] = len(levels)
        node = node.parent
    return levels


def _text_columns(item: Segment, repeats: Counter[str]) -> list[float]:
    text = item.block.text
    chars, words = len(text), text.split()
    count = len(words) or 1
    sample = text[:_SAMPLE_CHARS]
    return [
        math.log1p(chars),
        math.log1p(len(words)),
        item.block.link_chars / chars,
        sum(map(text.count, _PUNCTUATION)) / chars,
        float(text.endswith(_SENTENCE_ENDS)),
        sum(map(str.isdigit, sample)) / len(sample),
        sum(word[0].isupper() for word in words[:60]) / min(count, 60),
        float(text.count(". ") + text.count("? ") + text.count("! ")),
        (chars - len(words) + 1) / count,
        sum(word.islower() for word in words[:60]) / min(count, 60),
        float(text.count("\n")),
        float(repeats[text]),
    ]


def _element_columns(
    frame: Frame, prose: _Prose, densest: Frame, below_densest: dict[int, int]
) -> list[float]:
    parent = frame.parent or frame
    grand = parent.parent or parent
    levels_to_densest = _levels_to(frame, densest)
    shared, up = frame, 0  # the lowest frame above both this segment and the densest
    while shared.index not in below_densest and shared.parent is not None:
        shared, up = shared.parent, up + 1
    return [
        float(_TAG_CODES.get(frame.tag, 0)),
        float(frame.tag[1]) if frame.tag in ("h1", "h2", "h3", "h4", "h5", "h6") else 0.0,
        float(frame.depth),
        float(frame.siblings),
        *_frame_columns(frame),
        *_frame_columns(parent),
        *_frame_columns(grand),
        prose.held[frame.index] / prose.total,
        prose.held[parent.index] / prose.total,
        prose.held[grand.index] / prose.total,
        float(levels_to_densest >= 0),
        float(levels_to_densest),
        float(up),
        float(below_densest.get(shared.index, -1)),
    ]


def _frame_columns(frame: Frame) -> tuple[float, float, float]:
    return (
        math.log1p(frame.chars),
        frame.links / frame.chars if frame.chars else 0.0,
        math.log1p(frame.segments),
    )


def _place_columns(segments: Sequence[Segment], i: int, h1: int, total: int) -> list[float]:
    count = len(segments)
    before = segments[i - 1].block if i else None
    after = segments[i + 1].block if i + 1 < count else None
    return [
        segments[i].offset / total,
        i / count,
        (i - h1) / count if h1 >= 0 else -2.0,
        float(0 <= i < h1),
        float(i == h1),
        math.log1p(len(before.text)) if before else -1.0,
        before.link_share if before else -1.0,
        math.log1p(len(after.text)) if after else -1.0,
        after.link_share if after else -1.0,
        math.log1p(total),
    ]


def _rule_columns(item: Segment) -> list[float]:
    """What the text rules of ``rules`` say of a short block (long ones are never chrome)."""
    block = item.block
    if block.words > rules.ASK_MAX_WORDS:
        return [0.0] * len(_RULE_COLUMNS)
    rule = chrome.block_rule(block)
    short = block.words <= _SHORT_WORDS
    text = block.text
    return [
        float(_RULE_CODES.get(rule.partition(":")[2], 0) if rule else 0),
        float(short and bool(rules.RECIRCULATION_HEADINGS.match(text))),
        float(short and bool(rules.BYLINE.match(text))),
        float(short and bool(rules.DATELINE.search(text))),
        float(short and bool(rules.RELATIVE_TIME.match(text))),
    ]


def _name_columns(frame: Frame, total: int) -> list[float]:
    """Per name category: named so itself; the share of the page's text in the nearest element
    above so named, and how many levels up it is (a comment box holds little of the page, an
    article wrapper whose class merely mentions comments holds most of it)."""
    nearest_share = [0.0] * len(names.CATEGORIES)
    nearest_levels = [-1.0] * len(names.CATEGORIES)
    wanted, level = frame.names | frame.outer_names, 0
    node: Frame | None = frame
    while wanted and node is not None:
        found = node.names & wanted
        for bit in range(len(names.CATEGORIES)):
            if found >> bit & 1:
                nearest_share[bit] = node.chars / total
                nearest_levels[bit] = float(level)
        wanted &= ~found
        node, level = node.parent, level + 1
    columns: list[float] = []
    for bit in range(len(names.CATEGORIES)):
        columns += (float(frame.names >> bit & 1), nearest_share[bit], nearest_levels[bit])
    return columns


def _tag_columns(frame: Frame) -> list[float]:
    tags = frame.outer_tags | (
        1 << ANCESTOR_TAGS.index(frame.tag) if frame.tag in ANCESTOR_TAGS else 0
    )
    return [float(tags >> bit & 1) for bit in range(len(ANCESTOR_TAGS))]


def _under(frame: Frame, tag: str) -> bool:
    return frame.tag == tag or bool(frame.outer_tags >> ANCESTOR_TAGS.index(tag) & 1)


def context_features(seg: Segmentation, first: Matrix, scores: npt.NDArray[np.float64]) -> Matrix:
    """``first`` (the FEATURES rows) with CONTEXT_FEATURES appended, given first-pass scores."""
    count = len(scores)
    if not count:
        return np.zeros((0, len(FEATURES) + len(CONTEXT_FEATURES)), dtype=np.float32)
    padded = np.concatenate([[-1.0] * 3, scores, [-1.0] * 3])
    columns = [padded[3 + shift : 3 + shift + count] for shift in (-3, -2, -1, 1, 2, 3)]
    for level in range(3):
        columns += _group_means(seg.segments, scores, level)
    columns += _best_subtree(seg, scores)
    columns += [
        np.maximum.accumulate(scores),
        np.maximum.accumulate(scores[::-1])[::-1],
        np.full(count, scores.mean()),
        scores,
    ]
    return np.concatenate([first, np.stack(columns, axis=1).astype(np.float32)], axis=1)


def _group_means(
    segments: Sequence[Segment], scores: npt.NDArray[np.float64], level: int
) -> list[npt.NDArray[np.float64]]:
    """Mean score and count of the segments sharing the frame ``level`` levels up."""
    keys = [_up(s.frame, level).index for s in segments]
    sums: dict[int, float] = {}
    counts: Counter[int] = Counter(keys)
    for key, value in zip(keys, scores, strict=True):
        sums[key] = sums.get(key, 0.0) + float(value)
    return [
        np.array([sums[k] / counts[k] for k in keys]),
        np.array([float(counts[k]) for k in keys]),
    ]


def _up(frame: Frame, levels: int) -> Frame:
    for _ in range(levels):
        frame = frame.parent or frame
    return frame


def _best_subtree(
    seg: Segmentation, scores: npt.NDArray[np.float64]
) -> list[npt.NDArray[np.float64]]:
    """The element whose segments, weighed by length, the first pass liked most on balance:
    is each segment inside it, how far below, and how far before or after its span."""
    balance = [0.0] * len(seg.frames)
    for item, value in zip(seg.segments, scores, strict=True):
        weight = (float(value) - 0.5) * len(item.block.text)
        node: Frame | None = item.frame
        while node is not None:
            balance[node.index] += weight
            node = node.parent
    best = seg.frames[max(range(len(balance)), key=balance.__getitem__)]
    levels = np.array([_levels_to(s.frame, best) for s in seg.segments], dtype=np.float64)
    inside = levels >= 0
    count = len(levels)
    where = np.flatnonzero(inside)
    first, last = (where[0], where[-1]) if len(where) else (0, count - 1)
    index = np.arange(count)
    outside = np.where(index < first, (index - first) / count, 0.0)
    outside = np.where(index > last, (index - last) / count, outside)
    return [inside.astype(np.float64), levels, outside]


def _levels_to(frame: Frame, ancestor: Frame) -> int:
    """How many levels above ``frame`` ``ancestor`` is; -1 when it is not above it."""
    level, node = 0, frame  # type: int, Frame | None
    while node is not None:
        if node is ancestor:
            return level
        node, level = node.parent, level + 1
    return -1
