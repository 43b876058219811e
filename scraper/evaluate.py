"""Score the extractor against a labelled dataset (``scraper eval DATASET_DIR``).

A dataset is a directory with ``ground-truth.json`` (page id -> ``{"articleBody", "url"}``) and
``html/<id>.html.gz``. The metric is the one published with the article-extraction benchmark:

* tokens are runs of ``\\w``; shingles are 4-grams of tokens (a text with fewer than 4 tokens is
  one shingle, an empty text has none);
* per page, true/false positives and false negatives are counted over shingle multisets and
  normalised to sum to 1, so every page weighs the same;
* precision is the mean over pages that predicted something, recall the mean over pages with a
  non-empty truth (a page with no false positive and no false negative scores 1.0 on both);
* F1 is that of the two means; accuracy is the share of pages whose tokens equal the truth's.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import fmean
from typing import Any
from urllib.parse import urlsplit

_TOKEN = re.compile(r"\w+")
_NGRAM = 4


@dataclass(frozen=True, slots=True)
class Sample:
    """One labelled page: its raw bytes and the article text it should yield.

    ``labels`` holds what else the dataset says of the page (WCXB: title, author, date, the
    ``with`` and ``without`` snippets, the domain); empty for a dataset with bodies only.
    """

    page_id: str
    url: str
    content: bytes
    truth: str
    labels: Mapping[str, Any] = field(default_factory=dict)

    @property
    def domain(self) -> str:
        """The site the page is from: the dataset's ``domain`` label, else the URL's host."""
        label = self.labels.get("domain")
        if isinstance(label, str) and label:
            return label.lower()
        return (urlsplit(self.url).hostname or "").removeprefix("www.")

    @property
    def half(self) -> str:
        """ "A" or "B": a fixed hash of the domain splits a dataset in two by site. Rules and
        models are tuned on half A only; half B checks that what was learned holds."""
        return "AB"[hashlib.sha256(self.domain.encode("utf-8")).digest()[0] % 2]


@dataclass(frozen=True, slots=True)
class PageScore:
    page_id: str
    url: str
    precision: float
    recall: float
    f1: float
    exact: bool
    predicted: bool
    has_truth: bool
    error: str | None = None  # why nothing was predicted (e.g. "no_content"), if so


@dataclass(frozen=True, slots=True)
class EvalReport:
    pages: tuple[PageScore, ...]
    precision: float
    recall: float
    f1: float
    accuracy: float
    seconds: float = 0.0  # time spent extracting, all pages together

    @property
    def pages_per_second(self) -> float:
        return len(self.pages) / self.seconds if self.seconds else 0.0


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text)


def shingles(tokens: Sequence[str]) -> Counter[tuple[str, ...]]:
    if len(tokens) < _NGRAM:
        return Counter([tuple(tokens)] if tokens else [])
    return Counter(tuple(tokens[i : i + _NGRAM]) for i in range(len(tokens) - _NGRAM + 1))


def score_page(truth: str, predicted: str) -> tuple[float, float, bool, bool, bool]:
    """(precision, recall, exact, predicted anything, truth non-empty) for one page."""
    true_tokens, pred_tokens = tokenize(truth), tokenize(predicted)
    true, pred = shingles(true_tokens), shingles(pred_tokens)
    tp = sum((true & pred).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    exact = true_tokens == pred_tokens
    if fp == fn == 0:
        return 1.0, 1.0, exact, tp > 0, tp > 0
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, exact, tp + fp > 0, tp + fn > 0


def score_predictions(
    samples: Sequence[Sample],
    predictions: Mapping[str, str],
    *,
    errors: Mapping[str, str] | None = None,
    seconds: float = 0.0,
) -> EvalReport:
    """Score ``predictions`` (page id -> text; a missing id is an empty prediction)."""
    pages = tuple(_page_score(s, predictions.get(s.page_id, ""), errors) for s in samples)
    precision = fmean([p.precision for p in pages if p.predicted] or [0.0])
    recall = fmean([p.recall for p in pages if p.has_truth] or [0.0])
    return EvalReport(
        pages=pages,
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        accuracy=fmean([p.exact for p in pages] or [0.0]),
        seconds=seconds,
    )


def _page_score(sample: Sample, predicted: str, errors: Mapping[str, str] | None) -> PageScore:
    precision, recall, exact, has_prediction, has_truth = score_page(sample.truth, predicted)
    return PageScore(
        page_id=sample.page_id,
        url=sample.url,
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        exact=exact,
        predicted=has_prediction,
        has_truth=has_truth,
        error=(errors or {}).get(sample.page_id),
    )


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def load_dataset(dataset_dir: Path) -> list[Sample]:
    """The labelled pages of ``dataset_dir``, in a stable (sorted by id) order."""
    truth_file = dataset_dir / "ground-truth.json"
    truths = json.loads(truth_file.read_text(encoding="utf-8"))
    samples = []
    for page_id in sorted(truths):
        item = truths[page_id]
        content = gzip.decompress((dataset_dir / "html" / f"{page_id}.html.gz").read_bytes())
        labels = {k: v for k, v in item.items() if k not in ("url", "articleBody")}
        samples.append(
            Sample(page_id, item.get("url") or "", content, item.get("articleBody") or "", labels)
        )
    return samples


def format_report(report: EvalReport, worst: int = 10) -> str:
    """The summary (F1, precision, recall, accuracy, speed) and the ``worst`` pages by F1."""
    lines = [
        f"pages      {len(report.pages)}",
        f"f1         {report.f1:.3f}",
        f"precision  {report.precision:.3f}",
        f"recall     {report.recall:.3f}",
        f"accuracy   {report.accuracy:.3f}",
    ]
    if report.seconds:
        lines.append(f"speed      {report.pages_per_second:.1f} pages/s")
    ranked = format_worst(report, worst)
    return "\n".join([*lines, "", ranked] if ranked else lines)


def format_worst(report: EvalReport, worst: int = 10) -> str:
    """The ``worst`` pages by F1, with why a page gave nothing ("" when none are asked for)."""
    ranked = sorted(report.pages, key=lambda p: (p.f1, p.page_id))[: max(worst, 0)]
    if not ranked:
        return ""
    lines = ["worst pages by F1:"]
    for p in ranked:
        note = f"  [{p.error}]" if p.error else ""
        lines.append(
            f"  {p.f1:.3f}  P={p.precision:.3f} R={p.recall:.3f}  {p.page_id[:16]}  {p.url}{note}"
        )
    return "\n".join(lines)
