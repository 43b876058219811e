"""The block scorer: a learned model that says, for each segment, how likely it is article text.

Two passes of gradient-boosted oblivious trees (trained with CatBoost by
``benchmarks/train_blocks.py`` on labelled pages, shipped as ``block_model.json``). The first
pass scores each segment from its own features; the second sees the first pass's scores of its
neighbours and of the elements around it too, so a heading between two kept paragraphs is kept
and a lone long paragraph in a rail of teasers is not.

Oblivious trees ask the same question of every node on a level, so a tree of depth d is d
comparisons and one lookup: numpy scores all segments against all trees in a handful of array
operations. Evaluated here rather than by CatBoost or scikit-learn at run time: both would add
seconds of import and tens of MiB to every extraction worker for what is a few comparisons.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from scraper.errors import ExtractError
from scraper.extract.context import CONTEXT_FEATURES, context_features
from scraper.extract.features import FEATURES, Matrix, segment_features
from scraper.extract.segment import Segmentation

MODEL_FILE = "block_model.json"
_CHUNK_ROWS = 1024
MODEL_FORMAT = 1

Scores = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Forest:
    """Oblivious trees: per tree, the feature and border of each level, and the leaf values."""

    features: npt.NDArray[np.intp]  # (trees, depth)
    borders: npt.NDArray[np.float32]  # (trees, depth)
    leaves: npt.NDArray[np.float64]  # (trees, 2 ** depth)
    scale: float = 1.0
    bias: float = 0.0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Forest:
        return cls(
            np.asarray(data["features"], dtype=np.intp),
            np.asarray(data["borders"], dtype=np.float32),
            np.asarray(data["leaves"], dtype=np.float64),
            float(data.get("scale", 1.0)),
            float(data.get("bias", 0.0)),
        )

    def probabilities(self, rows: Matrix) -> Scores:
        """P(article text) for each row: a sigmoid of the summed leaf values."""
        if len(rows) > _CHUNK_ROWS:  # bounds the (trees x depth x rows) arrays of a huge page
            chunks = range(0, len(rows), _CHUNK_ROWS)
            return np.concatenate([self.probabilities(rows[i : i + _CHUNK_ROWS]) for i in chunks])
        if not len(rows):
            return np.zeros(0)
        trees, depth = self.features.shape
        # (trees * depth, rows): each level's question asked of every row at once
        above = rows.T[self.features.ravel()] > self.borders.reshape(-1, 1)
        levels = above.reshape(trees, depth, len(rows))
        leaf = np.zeros((trees, len(rows)), dtype=np.intp)
        for level in range(depth):
            leaf |= levels[:, level].astype(np.intp) << level
        leaf += (np.arange(trees, dtype=np.intp) << depth)[:, None]
        raw = np.take(self.leaves, leaf).sum(axis=0) * self.scale + self.bias
        scores: Scores = 1.0 / (1.0 + np.exp(-raw))
        return scores


@dataclass(frozen=True, slots=True)
class BlockModel:
    first: Forest
    second: Forest
    threshold: float

    def scores(self, seg: Segmentation) -> Scores:
        """P(article text) for each segment of ``seg``, after both passes."""
        rows = segment_features(seg)
        first = self.first.probabilities(rows)
        return self.second.probabilities(context_features(seg, rows, first))


@cache
def block_model() -> BlockModel:
    """The shipped model, read once per process."""
    text = resources.files("scraper.extract").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return parse_model(json.loads(text))


def parse_model(data: dict[str, Any]) -> BlockModel:
    """A model from its JSON form; refuses one made for other features than this code computes."""
    if data.get("format") != MODEL_FORMAT:
        raise ExtractError(f"block model has format {data.get('format')!r}, not {MODEL_FORMAT}")
    if (
        tuple(data.get("features", ())) != FEATURES
        or tuple(data.get("context_features", ())) != CONTEXT_FEATURES
    ):
        raise ExtractError("block model was trained on other features; retrain it")
    first, second = (Forest.from_json(stage) for stage in data["stages"])
    return BlockModel(first, second, float(data["threshold"]))
