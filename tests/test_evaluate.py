"""The benchmark metric, checked against values worked out by hand, and a comparison end to end."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from scraper.config import Settings
from scraper.evaluate import (
    Sample,
    format_report,
    load_dataset,
    score_page,
    score_predictions,
    shingles,
    tokenize,
)
from scraper.peers import compare

STORY = [
    "Repairs to the harbour wall will not be finished before the winter storms, the port "
    "authority said on Monday, after divers found more damage than the first survey showed.",
    "The authority said the contractor would work through the weekend to secure the most "
    "exposed section, and that boats would be moved to the inner basin as a precaution.",
    "Fishermen said the delay would cost them weeks of landings at the busiest time of the "
    "year, and asked for the fees for the inner basin to be waived until the work is done.",
]


def test_tokens_and_shingles() -> None:
    assert tokenize("It's 5 p.m. — café!") == ["It", "s", "5", "p", "m", "café"]
    assert shingles(["a", "b", "c", "d", "e"]) == {("a", "b", "c", "d"): 1, ("b", "c", "d", "e"): 1}
    assert shingles(["a", "b"]) == {("a", "b"): 1}  # fewer than 4 tokens: one shingle
    assert shingles([]) == {}


def test_page_score_by_hand() -> None:
    # truth shingles {abcd, bcde}, predicted {abcd, bcdx}: tp 1, fp 1, fn 1
    assert score_page("a b c d e", "a b c d x") == (0.5, 0.5, False, True, True)
    # repeated shingles count as a multiset: truth {abcd x2}, predicted {abcd x1}
    precision, recall, *_ = score_page("a b c d a b c d", "a b c d")
    assert precision == 1.0
    assert recall == pytest.approx(1 / 5)
    assert score_page("one two three four", "one two three four") == (1.0, 1.0, True, True, True)
    assert score_page("", "") == (1.0, 1.0, True, False, False)
    assert score_page("a b c d", "") == (0.0, 0.0, False, False, True)
    assert score_page("", "a b c d") == (0.0, 0.0, False, True, False)


def test_means_skip_pages_without_prediction_or_truth() -> None:
    samples = [
        Sample("p1", "https://a.example/1", b"", "a b c d e"),
        Sample("p2", "https://a.example/2", b"", "a b c d e"),
        Sample("p3", "https://a.example/3", b"", ""),
    ]
    report = score_predictions(samples, {"p1": "a b c d x", "p3": "w x y z"})
    # precision over predicted pages p1 (0.5) and p3 (0.0); recall over p1 (0.5) and p2 (0.0)
    assert report.precision == pytest.approx(0.25)
    assert report.recall == pytest.approx(0.25)
    assert report.f1 == pytest.approx(0.25)
    assert report.accuracy == 0.0


def _article(paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Harbour repairs'
        "</title></head><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>Harbour repairs</h1>{body}</article></body></html>"
    )


def _front() -> str:
    items = "".join(
        f'<li><h3><a href="/{i}">Story number {i} about the harbour works</a></h3></li>'
        for i in range(8)
    )
    return f'<html><head><meta charset="utf-8"></head><body><ul>{items}</ul></body></html>'


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    pages = {
        "aaa": (_article(STORY), "\n".join(STORY)),
        "bbb": (_front(), "Story number one about the harbour works and what it means."),
        "ccc": (_article(STORY), "\n".join(STORY[:2])),
    }
    (tmp_path / "html").mkdir()
    truth = {}
    for page_id, (html, body) in pages.items():
        (tmp_path / "html" / f"{page_id}.html.gz").write_bytes(gzip.compress(html.encode()))
        truth[page_id] = {"articleBody": body, "url": f"https://news.example/{page_id}"}
    (tmp_path / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")
    return tmp_path


def test_compare_scores_our_extractor(dataset: Path) -> None:
    report = compare(load_dataset(dataset), Settings(), peers=("scraper",)).ours
    pages = {p.page_id: p for p in report.pages}
    assert (pages["aaa"].precision, pages["aaa"].recall, pages["aaa"].exact) == (1.0, 1.0, True)
    # a section front raises NoContentError: an empty prediction, recall 0, no precision
    assert pages["bbb"].error is not None and pages["bbb"].error.startswith("no_content")
    assert (pages["bbb"].predicted, pages["bbb"].recall) == (False, 0.0)
    # the third truth lacks the last paragraph: every predicted shingle past it is a false one
    assert pages["ccc"].recall == 1.0 and pages["ccc"].precision < 1.0
    assert report.precision == pytest.approx((1.0 + pages["ccc"].precision) / 2)
    assert report.recall == pytest.approx(2 / 3)
    assert report.accuracy == pytest.approx(1 / 3)
    assert report.seconds > 0


def test_format_report_lists_scores_and_worst_pages(dataset: Path) -> None:
    report = compare(load_dataset(dataset), Settings(), peers=("scraper",)).ours
    text = format_report(report, worst=2)
    lines = text.splitlines()
    assert lines[0] == "pages      3"
    assert any(line.startswith("f1 ") for line in lines)
    assert any(line.startswith("accuracy ") for line in lines)
    worst = lines[lines.index("worst pages by F1:") + 1 :]
    assert len(worst) == 2
    assert "bbb" in worst[0] and "https://news.example/bbb" in worst[0] and "no_content" in worst[0]
    assert "P=" in worst[1] and "R=" in worst[1]


def test_a_set_split_by_domain_is_scored_whole_and_by_half(dataset: Path) -> None:
    truth = json.loads((dataset / "ground-truth.json").read_text(encoding="utf-8"))
    for page_id, item in truth.items():
        item["domain"] = f"{page_id}.example"
    (dataset / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")
    samples = load_dataset(dataset)
    cards = compare(samples, Settings(), name="set").cards
    halves = {s.half for s in samples}
    assert [(c.dataset, c.extractor) for c in cards][:2] == [
        ("set", "scraper"),
        ("set", "trafilatura"),
    ]
    assert {c.dataset for c in cards} == {"set", *(f"set {h}" for h in ("A", "B"))}
    for half in halves:
        (card,) = [c for c in cards if c.dataset == f"set {half}" and c.extractor == "scraper"]
        assert card.pages == sum(s.half == half for s in samples)
