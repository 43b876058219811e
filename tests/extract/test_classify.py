"""Which segments are the article: section fronts, stories beside teasers, fallbacks, boxes."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from selectolax.lexbor import LexborHTMLParser

from scraper.config import ExtractSettings
from scraper.errors import NoContentError
from scraper.extract.body import Block
from scraper.extract.classify import is_section_front
from scraper.extract.scorer import BlockModel as ScoredModel
from scraper.extract.segment import Segment, segment
from tests.extract.support import STORY, STORY_TEXT, URL, article_html, extract

BLURB = "A sentence or two that tells the reader what the linked story is about."


def teasers(count: int, blurb: str = BLURB) -> str:
    return "".join(
        f"<div class='card'><h3><a href='/story/{n}'>Headline of linked story {n}</a></h3>"
        f"<p>{blurb} Number {n}.</p></div>"
        for n in range(count)
    )


def segments(body: str) -> list[Segment]:
    root = LexborHTMLParser(f"<html><body>{body}</body></html>").body
    assert root is not None
    return segment(root).segments


def front(body: str, kept: str, headlines: tuple[str, ...] = ()) -> bool:
    """is_section_front, where the segments whose text holds ``kept`` are the ones kept."""
    root = LexborHTMLParser(f"<html><body>{body}</body></html>").body
    assert root is not None
    seg = segment(root)
    chosen = [s for s in seg.segments if kept in s.block.text]
    return is_section_front(seg, chosen, headlines)


def test_teasers_and_nothing_else_kept_is_a_section_front() -> None:
    assert front(f"<h1>Business</h1>{teasers(8)}", kept="sentence or two")


def test_a_story_beside_a_rail_of_teasers_is_not() -> None:
    story = "".join(STORY * 2)
    body = f"<main><h1>Harbour</h1><div class='body'>{story}</div></main><div>{teasers(8)}</div>"
    assert not front(body, kept=" ")  # the story's paragraphs sit outside any card
    assert front(body, kept="sentence or two")  # had the scorer kept only the blurbs


def test_long_blurbs_are_no_teasers() -> None:
    long = " ".join([BLURB] * 5)
    assert not front(teasers(8, long), kept="sentence or two")


def test_few_linked_headlines_make_no_front() -> None:
    assert not front(teasers(4), kept="sentence or two")


def test_a_post_whose_headline_links_to_itself_is_not_a_front() -> None:
    title = "Headline of linked story 0"
    body = teasers(5).replace(f"<p>{BLURB} Number 0.</p>", "".join(STORY), 1)
    assert front(body, kept="")  # unless the page says which headline is its own
    assert not front(body, kept="", headlines=(title,))


def test_a_section_front_page_is_refused_and_an_article_page_never() -> None:
    head = "<head><title>Business</title></head>"
    html = f"<html>{head}<body><h1>Business</h1>{teasers(8)}</body></html>"
    with pytest.raises(NoContentError, match="section front"):
        extract(html)
    declared = html.replace("<title>", '<meta property="og:type" content="article"><title>')
    assert "sentence or two" in extract(declared).text


def test_paragraphs_marked_for_subscribers_are_article_text() -> None:
    """Text in the markup is content, whatever its class says (issue: metered paragraphs)."""
    locked = "".join(f'<div class="paywall subscriber-only">{p}</div>' for p in STORY[1:])
    article = extract(article_html(STORY[0], locked))
    assert article.text == STORY_TEXT


def test_a_body_in_an_element_named_like_a_standfirst_is_kept() -> None:
    html = article_html(f'<div class="list-deck">{"".join(STORY)}</div>')
    assert extract(html).text == STORY_TEXT


def test_a_newsletter_box_inside_the_story_goes_by_its_name() -> None:
    box = (
        '<div class="newsletter-box"><h3>The morning briefing</h3><p>Local reporting you can '
        "use, every weekday morning, free, and you can stop it whenever you like.</p></div>"
    )
    article = extract(article_html(*STORY[:2], box, STORY[2]))
    assert article.text == STORY_TEXT
    assert any(d.rule == "named:newsletter" for d in article.dropped)


def test_too_little_kept_falls_back_to_trafilatura(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the scorer keeps fewer words than an article needs, trafilatura's reading of the
    page is taken if it finds more."""
    module = importlib.import_module("scraper.extract.classify")
    calls: list[str] = []
    story = [Block("p", p[3:-4]) for p in STORY]

    def reading(html: str, settings: ExtractSettings, url: str) -> list[Block]:
        calls.append(url)
        return story

    monkeypatch.setattr(module, "main_blocks", reading)
    monkeypatch.setattr(ScoredModel, "scores", lambda self, seg: np.zeros(len(seg.segments)))
    assert extract(article_html(*STORY)).text == STORY_TEXT
    assert calls == [URL]
