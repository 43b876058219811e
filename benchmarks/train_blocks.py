"""Train the block scorer (``scraper/extract/block_model.json``) on labelled pages.

Usage: python benchmarks/train_blocks.py [--bench DIR] [--out FILE] [--check]

Needs the ``train`` extra (``pip install -e '.[train]'``: CatBoost). Trains on the scrapinghub
pages and on half A of the WCXB dev pages (``Sample.half``, a fixed hash of the domain); half B
is never read here, so ``benchmarks/extract_bench.py`` can check on it that what was learned
holds on sites the model has not seen.

Each segment of a page (``scraper.extract.segment``) is labelled by how much of its text is in
the page's true body: the share of its 4-gram shingles found there (the benchmark's own tokens).
The first pass learns from the segments' own features; the second from those plus the first
pass's scores around each segment, taken out of fold (each page scored by a model that did not
see its site), so the second pass learns from scores like the ones it will meet on new pages.
The trees are CatBoost's oblivious trees, written out as plain JSON that ``scorer`` evaluates
with numpy; ``--check`` confirms that it scores like CatBoost itself.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scraper.evaluate import Sample, load_dataset, tokenize  # noqa: E402
from scraper.extract import scorer  # noqa: E402
from scraper.extract.context import CONTEXT_FEATURES, context_features  # noqa: E402
from scraper.extract.features import FEATURES, segment_features  # noqa: E402
from scraper.extract.segment import Segmentation  # noqa: E402

DEFAULT_BENCH = ROOT.parent / "shared" / "bench"
DEFAULT_OUT = ROOT / "scraper" / "extract" / scorer.MODEL_FILE
FOLDS = 5
THRESHOLD = 0.5  # a segment at least half in the true body is article text
PARAMETERS: dict[str, Any] = {
    "iterations": 200,
    "depth": 6,
    "learning_rate": 0.15,
    "random_seed": 1,
    "verbose": 0,
    "allow_writing_files": False,  # no catboost_info/ in the working tree
}


def training_samples(bench: Path) -> list[Sample]:
    """Scrapinghub, and half A of the WCXB dev pages."""
    wcxb = [s for s in load_dataset(bench / "wcxb-articles-dev") if s.half == "A"]
    return load_dataset(bench / "scrapinghub") + wcxb


def page_segmentation(sample: Sample) -> Segmentation:
    """The segments the extractor scores on this page (pruned as ``extract_page`` prunes)."""
    from selectolax.lexbor import LexborHTMLParser

    from scraper.extract.prune import prune
    from scraper.extract.segment import segment
    from scraper.fetch import page_from_bytes

    page = page_from_bytes(sample.content, sample.url or f"file:{sample.page_id}")
    root = prune(LexborHTMLParser(page.html), None, page.url).root
    return segment(root) if root is not None else Segmentation([])


def labels(seg: Segmentation, truth: str) -> np.ndarray:
    """The share of each segment's shingles (or, under 4 tokens, its tokens) in the truth."""
    tokens = [t.lower() for t in tokenize(truth)]
    grams = {tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3)}
    joined = f" {' '.join(tokens)} "
    out = []
    for item in seg.segments:
        own = [t.lower() for t in tokenize(item.block.text)]
        if len(own) < 4:
            out.append(float(bool(own) and f" {' '.join(own)} " in joined))
        else:
            shingles = [tuple(own[i : i + 4]) for i in range(len(own) - 3)]
            out.append(sum(g in grams for g in shingles) / len(shingles))
    return np.asarray(out)


def _page_data(sample: Sample) -> dict[str, Any]:
    seg = page_segmentation(sample)
    return {
        "seg": seg,
        "rows": segment_features(seg),
        "labels": labels(seg, sample.truth),
        "fold": hashlib.md5(sample.domain.encode()).digest()[0] % FOLDS,
        "weights": np.sqrt(np.minimum([len(s.block.text) for s in seg.segments], 2000)),
    }


def _fit(pages: list[dict[str, Any]], key: str) -> Any:
    from catboost import CatBoostClassifier

    used = [p for p in pages if len(p["labels"])]
    rows = np.concatenate([p[key] for p in used])
    target = np.concatenate([p["labels"] for p in used]) >= THRESHOLD
    weights = np.concatenate([p["weights"] for p in used])
    return CatBoostClassifier(**PARAMETERS, thread_count=2).fit(rows, target, sample_weight=weights)


def _score(model: Any, rows: np.ndarray) -> np.ndarray:
    return model.predict_proba(rows)[:, 1] if len(rows) else np.zeros(0)


def train(pages: list[dict[str, Any]]) -> tuple[Any, Any]:
    """Both passes; the second learns from out-of-fold first-pass scores."""
    for fold in range(FOLDS):
        model = _fit([p for p in pages if p["fold"] != fold], "rows")
        for page in pages:
            if page["fold"] == fold:
                page["first"] = _score(model, page["rows"])
    for page in pages:
        page["context"] = context_features(page["seg"], page["rows"], page["first"])
    return _fit(pages, "rows"), _fit(pages, "context")


def forest_json(model: Any) -> dict[str, Any]:
    """A CatBoost model's oblivious trees as ``scorer.Forest`` reads them."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.json"
        model.save_model(str(path), format="json")
        data = json.loads(path.read_text(encoding="utf-8"))
    trees = data["oblivious_trees"]
    depth = max(len(t["splits"]) for t in trees)
    scale, biases = data.get("scale_and_bias", [1.0, [0.0]])
    # A shallower tree is padded to the others' depth with questions no row says yes to
    # (x > the largest float32): its leaves keep their indices, the new ones are never reached.
    never = float(np.finfo(np.float32).max)
    features, borders, leaves = [], [], []
    for tree in trees:
        pad = depth - len(tree["splits"])
        features.append([s["float_feature_index"] for s in tree["splits"]] + [0] * pad)
        borders.append([float(np.float32(s["border"])) for s in tree["splits"]] + [never] * pad)
        values = [round(v, 7) for v in tree["leaf_values"]]
        leaves.append(values + [0.0] * (2**depth - len(values)))
    return {
        "features": features,
        "borders": borders,
        "leaves": leaves,
        "scale": scale,
        "bias": biases[0] if isinstance(biases, list) else biases,
    }


def check(models: tuple[Any, Any], pages: list[dict[str, Any]], data: dict[str, Any]) -> float:
    """The largest difference between CatBoost's scores and the exported forests' scores."""
    parsed = scorer.parse_model(data)
    worst = 0.0
    for page in pages[:100]:
        if not len(page["rows"]):
            continue
        ours = parsed.first.probabilities(page["rows"])
        worst = max(worst, float(np.abs(ours - _score(models[0], page["rows"])).max()))
        context = context_features(page["seg"], page["rows"], ours)
        second = parsed.second.probabilities(context)
        worst = max(worst, float(np.abs(second - _score(models[1], context)).max()))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="compare with CatBoost's scores")
    args = parser.parse_args()
    started = time.perf_counter()
    samples = training_samples(args.bench)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pages = pool.map(_page_data, samples, chunksize=8)
    segments = sum(len(p["labels"]) for p in pages)
    print(f"{len(pages)} pages, {segments} segments ({time.perf_counter() - started:.0f} s)")
    models = train(pages)
    data = {
        "format": scorer.MODEL_FORMAT,
        "features": list(FEATURES),
        "context_features": list(CONTEXT_FEATURES),
        "threshold": THRESHOLD,
        "trained_on": {
            "pages": len(pages),
            "segments": segments,
            "sets": ["scrapinghub (181 pages)", "wcxb-articles-dev half A"],
        },
        "parameters": PARAMETERS,
        "stages": [forest_json(model) for model in models],
    }
    if args.check:
        print(f"largest score difference from CatBoost: {check(models, pages, data):.2e}")
    args.out.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"model written to {args.out} ({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
