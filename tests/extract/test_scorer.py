"""The block scorer: oblivious trees evaluated by hand-checked arithmetic, and the shipped model."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from selectolax.lexbor import LexborHTMLParser

from scraper.errors import ExtractError
from scraper.extract.context import CONTEXT_FEATURES
from scraper.extract.features import FEATURES, segment_features
from scraper.extract.scorer import MODEL_FORMAT, Forest, block_model, parse_model
from scraper.extract.segment import segment


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_an_oblivious_tree_reads_one_bit_per_level() -> None:
    # one tree of depth 2: level 0 asks x0 > 1, level 1 asks x1 > 5; leaf = bit0 + 2 * bit1
    forest = Forest(
        features=np.array([[0, 1]]),
        borders=np.array([[1.0, 5.0]], dtype=np.float32),
        leaves=np.array([[-2.0, -1.0, 1.0, 2.0]]),
    )
    rows = np.array([[0, 0], [2, 0], [0, 9], [2, 9]], dtype=np.float32)
    expected = [sigmoid(v) for v in (-2.0, -1.0, 1.0, 2.0)]
    assert forest.probabilities(rows) == pytest.approx(expected)


def test_trees_add_up_then_scale_and_bias_apply() -> None:
    forest = Forest(
        features=np.array([[0], [0]]),
        borders=np.array([[0.5], [1.5]], dtype=np.float32),
        leaves=np.array([[0.0, 1.0], [0.0, 3.0]]),
        scale=0.5,
        bias=-1.0,
    )
    rows = np.array([[0], [1], [2]], dtype=np.float32)
    expected = [sigmoid(0.5 * v - 1.0) for v in (0.0, 1.0, 4.0)]
    assert forest.probabilities(rows) == pytest.approx(expected)
    assert forest.probabilities(np.zeros((0, 1), dtype=np.float32)).shape == (0,)


def test_the_shipped_model_matches_the_features_this_code_computes() -> None:
    model = block_model()
    assert model.first.features.max() < len(FEATURES)
    assert model.second.features.max() < len(FEATURES) + len(CONTEXT_FEATURES)
    assert 0 < model.threshold < 1


def test_the_shipped_model_scores_a_story_above_its_chrome() -> None:
    story = " ".join(["The harbour authority said the repairs would take another month."] * 3)
    html = (f"<html><body><div class='share-bar'><a href='/s'>Share</a></div><article>"
            f"<p>{story}</p><p>{story}</p></article><div class='related'><ul>"
            + "".join(f"<li><a href='/{n}'>Other story {n}</a></li>" for n in range(6))
            + "</ul></div></body></html>")  # fmt: skip
    root = LexborHTMLParser(html).body
    assert root is not None
    seg = segment(root)
    scores = block_model().scores(seg)
    by_text = dict(zip((s.block.text for s in seg.segments), scores, strict=True))
    assert by_text[story] > 0.5
    assert by_text["Share"] < 0.5
    assert max(v for t, v in by_text.items() if t.startswith("Other story")) < 0.5
    assert segment_features(seg).shape == (len(seg.segments), len(FEATURES))


def _model(**changes: Any) -> dict[str, Any]:
    stage = {"features": [[0]], "borders": [[0.0]], "leaves": [[0.0, 1.0]]}
    data = {"format": MODEL_FORMAT, "features": list(FEATURES),
            "context_features": list(CONTEXT_FEATURES), "threshold": 0.5,
            "stages": [stage, stage]}  # fmt: skip
    return data | changes


def test_a_model_for_other_features_or_format_is_refused() -> None:
    assert parse_model(_model()).threshold == 0.5
    with pytest.raises(ExtractError, match="other features"):
        parse_model(_model(features=[*FEATURES, "extra"]))
    with pytest.raises(ExtractError, match="format"):
        parse_model(_model(format=MODEL_FORMAT + 1))
