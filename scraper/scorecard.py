"""Scorecards: how an extractor did on a labelled set, beside a peer from the same run.

Per extractor and set: the body metric of ``evaluate`` (F1, precision, recall), the pages it
refused, and, where the set labels them (WCXB), the share of ``with`` snippets missing from the
text, of ``without`` snippets leaked into it, and the accuracy of title, authors and date.

How a field counts as right (the same test for every extractor):

* title: the same words, case and punctuation aside;
* authors: the same people: each side is split into names at commas, semicolons, "&" and
  "and", credentials ("MS", "RD", "PhD") and case are set aside, and the two sets must match;
* date: the published day within one day of the labelled one (time zones move a day's edge).

Only pages whose label has a value count for a field's accuracy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import fmean

from scraper.evaluate import Sample, score_predictions

_WORD = re.compile(r"\w+")
_NAME_SPLIT = re.compile(r"\s*(?:[,;&]|\band\b)\s*", re.IGNORECASE)
_CREDENTIAL = re.compile(r"(?:[A-Z]{2,6}|Ph\.?D\.?|M\.?D\.?|Jr\.?|Sr\.?)")


@dataclass(frozen=True, slots=True)
class Extraction:
    """What an extractor gave for one page; ``error`` is why it gave nothing (a refusal)."""

    text: str = ""
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Scorecard:
    dataset: str
    extractor: str
    pages: int
    f1: float
    precision: float
    recall: float
    refused: int
    with_missed: float | None = None  # share of `with` snippets not in the text
    without_leaked: float | None = None  # share of `without` snippets in the text
    title: float | None = None
    authors: float | None = None
    date: float | None = None
    pages_per_second: float | None = None


def scorecard(
    dataset: str,
    extractor: str,
    samples: Sequence[Sample],
    results: Mapping[str, Extraction],
    *,
    seconds: float | None = None,
) -> Scorecard:
    """Score ``results`` (page id -> Extraction; a missing id is a page refused)."""
    found = [results.get(s.page_id) or Extraction(error="missing") for s in samples]
    report = score_predictions(
        samples, {s.page_id: r.text for s, r in zip(samples, found, strict=True)}
    )
    with_missed, without_leaked = _snippets(samples, found)
    return Scorecard(
        dataset=dataset,
        extractor=extractor,
        pages=len(samples),
        f1=report.f1,
        precision=report.precision,
        recall=report.recall,
        refused=sum(r.error is not None for r in found),
        with_missed=with_missed,
        without_leaked=without_leaked,
        title=_accuracy(samples, found, "title", same_title),
        authors=_accuracy(samples, found, "author", same_authors),
        date=_accuracy(samples, found, "date", same_date),
        pages_per_second=len(samples) / seconds if seconds else None,
    )


def same_title(label: str, result: Extraction) -> bool:
    return _words(label) == _words(result.title or "")


def same_authors(label: str, result: Extraction) -> bool:
    return author_keys(label) == author_keys("; ".join(result.authors))


def same_date(label: str, result: Extraction) -> bool:
    try:
        labelled = date.fromisoformat(label[:10])
        found = date.fromisoformat((result.published or "")[:10])
    except ValueError:
        return False
    return abs((found - labelled).days) <= 1


def author_keys(value: str) -> frozenset[str]:
    """The people a byline names, as comparison keys ("Jane Doe, MD & Sam Roe" -> 2 keys)."""
    names = (part.strip(" .") for part in _NAME_SPLIT.split(value))
    return frozenset(
        _words(name) for name in names if name and not _CREDENTIAL.fullmatch(name.strip())
    )


def _words(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def _snippets(
    samples: Sequence[Sample], found: Sequence[Extraction]
) -> tuple[float | None, float | None]:
    missed: list[bool] = []
    leaked: list[bool] = []
    for sample, result in zip(samples, found, strict=True):
        text = f" {_words(result.text)} "
        missed += [f" {_words(s)} " not in text for s in _labels(sample, "with")]
        leaked += [f" {_words(s)} " in text for s in _labels(sample, "without") if _words(s)]
    return (fmean(missed) if missed else None), (fmean(leaked) if leaked else None)


def _labels(sample: Sample, key: str) -> list[str]:
    value = sample.labels.get(key)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _accuracy(
    samples: Sequence[Sample],
    found: Sequence[Extraction],
    key: str,
    same: Callable[[str, Extraction], bool],
) -> float | None:
    checks = [
        same(label, result)
        for sample, result in zip(samples, found, strict=True)
        if isinstance(label := sample.labels.get(key), str) and label.strip()
    ]
    return fmean(checks) if checks else None


def format_scorecards(cards: Sequence[Scorecard]) -> str:
    """One row per scorecard, in the order given; fields a set does not label are blank."""
    head = (
        f"{'set':<20} {'extractor':<12} {'pages':>5} {'F1':>6} {'prec':>6} {'recall':>6} "
        f"{'refused':>7} {'with-':>6} {'without+':>8} {'title':>6} {'authors':>7} {'date':>6} "
        f"{'pages/s':>8}"
    )
    rows = [head, "-" * len(head)]
    for c in cards:
        rows.append(
            f"{c.dataset:<20} {c.extractor:<12} {c.pages:>5} {c.f1:6.3f} {c.precision:6.3f} "
            f"{c.recall:6.3f} {c.refused:>7} {_share(c.with_missed, 6)} "
            f"{_share(c.without_leaked, 8)} {_share(c.title, 6)} {_share(c.authors, 7)} "
            f"{_share(c.date, 6)} {_share(c.pages_per_second, 8, '.1f')}"
        )
    return "\n".join(rows)


def _share(value: float | None, width: int, spec: str = ".3f") -> str:
    return f"{value:{width}{spec}}" if value is not None else " " * width
