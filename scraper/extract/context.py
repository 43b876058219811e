"""What the block scorer's second pass adds to each segment's features: the first pass's scores
of its neighbours, of the segments sharing its element and the two above, and where it sits
against the element the first pass liked most. A heading between two kept paragraphs is kept;
a lone long paragraph in a rail of teasers is not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from scraper.extract.features import FEATURES, Matrix
from scraper.extract.segment import Frame, Segment, Segmentation

Scores = npt.NDArray[np.float64]

CONTEXT_FEATURES: tuple[str, ...] = (
    "score_prev3", "score_prev2", "score_prev1", "score_next1", "score_next2", "score_next3",
    "own_mean_score", "own_count", "parent_mean_score", "parent_count",
    "grand_mean_score", "grand_count", "in_best", "levels_to_best", "outside_best",
    "max_score_before", "max_score_after", "page_mean_score", "score",
)  # fmt: skip
_NEIGHBOURS = (-3, -2, -1, 1, 2, 3)


def context_features(seg: Segmentation, first: Matrix, scores: Scores) -> Matrix:
    """``first`` (the FEATURES rows) with CONTEXT_FEATURES appended, given first-pass scores."""
    count = len(scores)
    if not count:
        return np.zeros((0, len(FEATURES) + len(CONTEXT_FEATURES)), dtype=np.float32)
    padded = np.concatenate([[-1.0] * 3, scores, [-1.0] * 3])
    columns = [padded[3 + shift : 3 + shift + count] for shift in _NEIGHBOURS]
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


def _group_means(segments: Sequence[Segment], scores: Scores, level: int) -> list[Scores]:
    """Mean score and count of the segments sharing the element ``level`` levels up."""
    keys = np.fromiter((_up(s.frame, level).index for s in segments), np.intp, len(segments))
    _, groups, counts = np.unique(keys, return_inverse=True, return_counts=True)
    sums = np.bincount(groups, weights=scores)
    return [sums[groups] / counts[groups], counts[groups].astype(np.float64)]


def _up(frame: Frame, levels: int) -> Frame:
    for _ in range(levels):
        frame = frame.parent or frame
    return frame


def _best_subtree(seg: Segmentation, scores: Scores) -> list[Scores]:
    """The element whose segments, weighed by length, the first pass liked most on balance:
    is each segment inside it, how far below, and how far before or after its span."""
    balance = np.zeros(len(seg.frames))
    for item, value in zip(seg.segments, scores, strict=True):
        balance[item.frame.index] += (float(value) - 0.5) * len(item.block.text)
    for frame in reversed(seg.frames):  # children come after their parent
        if frame.parent is not None:
            balance[frame.parent.index] += balance[frame.index]
    best = seg.frames[int(balance.argmax())]
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
    level = 0
    node: Frame | None = frame
    while node is not None:
        if node is ancestor:
            return level
        node, level = node.parent, level + 1
    return -1
