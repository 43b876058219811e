"""Scorecards: snippets, refusals and field accuracy, checked on values worked out by hand."""

from __future__ import annotations

import pytest

from scraper.evaluate import Sample
from scraper.scorecard import (
    Extraction,
    author_keys,
    format_scorecards,
    same_authors,
    same_date,
    same_title,
    scorecard,
)


@pytest.mark.parametrize(
    ("label", "found", "same"),
    [
        ("Jane Doe", ("jane doe",), True),
        ("Jane Doe, MD & Sam Roe", ("Sam Roe", "Jane Doe"), True),
        ("Ellen Lindell, VMD, DACVB; Debra Horwitz", ("Ellen Lindell", "Debra Horwitz"), True),
        ("Jane Doe and Sam Roe", ("Jane Doe",), False),
        ("Jane Doe", ("Jane Doe", "Staff Writer"), False),
        ("Jane Doe", (), False),
    ],
)
def test_authors_are_the_same_people(label: str, found: tuple[str, ...], same: bool) -> None:
    assert same_authors(label, Extraction(authors=found)) is same


def test_author_keys_drop_credentials() -> None:
    assert author_keys("Dylan Bailey, MS, RD, FAND") == {"dylan bailey"}


@pytest.mark.parametrize(
    ("label", "found", "same"),
    [
        ("2025-03-09", "2025-03-09T23:00:00-05:00", True),
        ("2025-03-09", "2025-03-10", True),  # a day's edge moves with the time zone
        ("2025-03-09", "2025-03-11", False),
        ("2025-03-09", None, False),
        ("2003-11", "2003-11-02", False),  # a month is no day to compare with
    ],
)
def test_dates_within_a_day(label: str, found: str | None, same: bool) -> None:
    assert same_date(label, Extraction(published=found)) is same


def test_titles_ignore_case_and_punctuation() -> None:
    assert same_title("Harbour repairs: a delay", Extraction(title="harbour repairs - a delay"))
    assert not same_title("Harbour repairs", Extraction(title="Harbour repairs | The Herald"))


def _sample(page_id: str, **labels: object) -> Sample:
    return Sample(page_id, f"https://a.example/{page_id}", b"", "one two three four five", labels)


def test_scorecard_counts_snippets_refusals_and_fields() -> None:
    samples = [
        _sample(
            "p1",
            title="One",
            author="Jane Doe",
            date="2025-01-02",
            **{"with": ["two three"], "without": ["Share this"]},
        ),
        _sample("p2", title="Two", **{"with": ["four five"], "without": ["Advertisement"]}),
        _sample("p3"),
    ]
    results = {
        "p1": Extraction("one two three four five Share this", "One", ("Jane Doe",), "2025-01-02"),
        "p2": Extraction(error="no_content: a section front"),
    }  # p3 missing altogether: refused too
    card = scorecard("set", "x", samples, results, seconds=2.0)
    assert (card.pages, card.refused) == (3, 2)
    assert card.with_missed == pytest.approx(1 / 2)  # p2's snippet is not in an empty text
    assert card.without_leaked == pytest.approx(1 / 2)  # p1 leaked "Share this"
    assert card.title == pytest.approx(1 / 2)  # two pages label a title, one got it
    assert (card.authors, card.date) == (1.0, 1.0)  # only p1 labels them
    assert card.pages_per_second == pytest.approx(1.5)
    unlabelled = scorecard("set", "x", samples[2:], results)
    assert (unlabelled.with_missed, unlabelled.title, unlabelled.pages_per_second) == (
        None,
        None,
        None,
    )
    table = format_scorecards([card, unlabelled])
    assert table.splitlines()[0].split()[:4] == ["set", "extractor", "pages", "F1"]
    assert len(table.splitlines()) == 4
