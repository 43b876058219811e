"""extract_page end to end on small realistic pages: what comes out, what is refused, and why."""

from __future__ import annotations

import re
from typing import Any

import pytest
import trafilatura

from scraper.config import ExtractSettings, SiteRules
from scraper.errors import ExtractError, NoContentError
from scraper.extract import EXTRACTOR_VERSION, extract_page
from tests.extract.support import (
    FETCHED_AT,
    STORY,
    STORY_TEXT,
    URL,
    article_html,
    extract,
    make_page,
    page_file,
    score_by_container,
)

LATER = (
    "<p>The port authority will publish a revised timetable for the works next week, once the "
    "divers have finished surveying the outer breakwater.</p>"
)
SCORER_RULES = tuple(f"scorer:{reason}" for reason in ("boilerplate", "recirculation", "headline"))
SEED_LIKE_TEXT = "\n\n".join(
    [
        "Hundreds of cocoa farmers marched through the district capital on Tuesday to demand "
        "payment for beans they delivered to licensed buyers more than four months ago.",
        "The farmers, many of them carrying placards and empty sacks, said the delays had left "
        "them unable to pay school fees or hire labourers for the new season.",
        "“We sold our beans in good faith and we are still waiting,” said the chairman of the "
        "local farmers’ association, who led the march to the regional office.",
        "Officials at the regional office promised to pass a petition to the marketing board and "
        "said payments would resume once fresh funds arrived from the capital.",
        "The association has also asked for affordable transport and rehabilitation services "
        "for members injured during the harvest.",
    ]
)


def test_seed_like_page_comes_out_clean() -> None:
    """Audio label and a timed "Latest Stories" list in the article column, double-encoded
    no-break space in the text: the body comes out as the reader sees the story."""
    article = extract(page_file("seed_like.html"))
    assert article.text == SEED_LIKE_TEXT
    assert "Â" not in article.text and "\xa0" not in article.text


def test_text_layout_is_paragraphs_split_by_one_blank_line() -> None:
    text = extract(page_file("seed_like.html")).text
    assert text == text.strip()
    assert "\n\n\n" not in text
    assert all(par == par.strip() and par for par in text.split("\n\n"))


def test_explain_records_each_dropped_block_with_its_rule() -> None:
    dropped = extract(page_file("seed_like.html")).dropped
    by_text = {d.text: d.rule for d in dropped}
    assert by_text["News Business Sport"] == "prune:nav"
    assert by_text["Farmers march over unpaid cocoa arrears"] == "scorer:headline"
    assert by_text["Audio By Carbonatix"] == "chrome:audio-player"
    assert by_text["Latest Stories"] in ("chrome:recirculation", *SCORER_RULES)
    assert by_text["50 minutes -"] == "chrome:recirculation"
    assert by_text["Council approves new market stalls for traders"] == "chrome:recirculation"


def test_headline_is_not_repeated_at_the_top() -> None:
    title = "Harbour repairs fall behind schedule"
    html = article_html(f"<h2>{title}</h2>", *STORY, title=title)
    article = extract(html)
    assert article.text == STORY_TEXT
    assert {d.text: d.rule for d in article.dropped}[title] == "chrome:headline"


def test_article_fields_come_from_the_page_and_its_metadata() -> None:
    article = extract(article_html(*STORY, title="Harbour repairs fall behind"))
    assert (article.url, article.final_url) == (URL, URL)
    assert article.fetched_at == FETCHED_AT
    assert article.extractor_version == EXTRACTOR_VERSION
    assert article.title is not None and "Harbour repairs fall behind" in article.title
    assert article.word_count == len(re.findall(r"\w+", STORY_TEXT))


def test_section_front_is_no_content() -> None:
    with pytest.raises(NoContentError) as caught:
        extract(page_file("section_front.html"))
    assert caught.value.url == URL
    assert "section front" in caught.value.message


@pytest.mark.parametrize("html", ["", "   \n", "<html><head></head><body></body></html>"])
def test_empty_page_is_no_content(html: str) -> None:
    with pytest.raises(NoContentError) as caught:
        extract(html)
    assert caught.value.url == URL


def test_too_few_words_is_no_content() -> None:
    html = article_html("<p>The harbour wall will be repaired before the winter storms.</p>")
    with pytest.raises(NoContentError, match="fewer than 25"):
        extract(html)


def test_min_words_threshold_comes_from_the_settings() -> None:
    html = article_html(*STORY)
    with pytest.raises(NoContentError, match="fewer than 500"):
        extract(html, settings=ExtractSettings(min_words=500))
    assert extract(html, settings=ExtractSettings(min_words=80)).text == STORY_TEXT


def test_mojibake_repair_can_be_switched_off() -> None:
    html = article_html(*STORY, "<p>The cafÃ© on the quay will stay open during the works.</p>")
    assert "The café on the quay" in extract(html).text
    kept = extract(html, settings=ExtractSettings(fix_mojibake=False)).text
    assert "The cafÃ© on the quay" in kept


def test_hidden_microdata_does_not_duplicate_the_body() -> None:
    hidden = (
        '<div style="display:none" itemscope itemtype="https://schema.org/NewsArticle">'
        '<span itemprop="headline">Harbour repairs fall behind schedule</span>'
        '<div itemprop="description">Repairs to the harbour wall will not be finished.</div>'
        '<div itemprop="datePublished">2025-05-20T08:00:00Z</div></div>'
    )
    article = extract(article_html(*STORY, hidden))
    assert article.text == STORY_TEXT
    dropped = {d.text: d.rule for d in article.dropped}
    # a copy of the lead's first sentence, hidden: the scorer or the repeat check drops it
    duplicate = "Repairs to the harbour wall will not be finished."
    assert dropped[duplicate] in ("chrome:repeated", "scorer:hidden")


def test_body_split_into_chunks_around_an_ad_is_joined_in_order() -> None:
    chunk = '<div class="grid"><div class="story-text">{}</div><div class="rail"></div></div>'
    html = article_html(
        chunk.format(STORY[0] + STORY[1]),
        '<div class="ad-slot"><span>Advertisement</span></div>',
        chunk.format(STORY[2] + LATER),
    )
    paragraphs = extract(html).text.split("\n\n")
    assert paragraphs == [*STORY_TEXT.split("\n\n"), LATER[3:-4]]


def test_story_as_text_and_line_breaks_in_an_unnamed_div_beside_a_sidebar() -> None:
    """No <p>, no telling class: the story's lines are kept, each a paragraph, and the
    sidebar's teaser is not."""
    story = "<br><br>".join(p[3:-4] for p in STORY)
    teaser = "Everything boat owners need to know about moving to the inner basin this winter."
    html = f"""<html><head><title>Harbour repairs</title></head><body>
    <div id="main"><h1>Harbour repairs</h1><div>{story}</div></div>
    <div id="right"><div class="text"><p><a href="/basin">{teaser}</a></p></div></div>
    </body></html>"""
    assert extract(html).text == STORY_TEXT


def test_comments_are_dropped() -> None:
    comments = (
        '<section id="comments"><h3>3 comments</h3><div class="comment"><p>Typical council, '
        "always late and always over budget, nobody is ever held to account for it.</p></div>"
        "</section>"
    )
    article = extract(article_html(*STORY, comments))
    assert article.text == STORY_TEXT
    assert any(d.rule == "scorer:comments" and "Typical council" in d.text for d in article.dropped)


def test_site_rules_remove_narrow_and_drop_text() -> None:
    html = article_html(
        *STORY,
        '<div class="partner-box"><p>Our partners at the marina offer discounted winter '
        "berths to every reader who mentions this article at the office.</p></div>",
        "<p>Reporting by the harbour desk.</p>",
    )
    site = SiteRules(remove=(".partner-box",), drop_text=(r"^Reporting by ",))
    article = extract(html, site=site)
    assert article.text == STORY_TEXT
    assert {"site:remove", "site:drop_text"} <= {d.rule for d in article.dropped}

    narrowed = extract(html, site=SiteRules(body=".article-body p:first-child"))
    assert narrowed.text.startswith("Repairs to the harbour wall")


@pytest.mark.parametrize(
    "site",
    # model_construct: config validation already refuses a bad regex; this is the last guard
    [SiteRules(remove=("div[[",)), SiteRules.model_construct(drop_text=("(unclosed",))],
    ids=["css", "regex"],
)
def test_broken_site_rules_are_an_extract_error_naming_the_url(site: SiteRules) -> None:
    with pytest.raises(ExtractError) as caught:
        extract(article_html(*STORY), site=site)
    assert caught.value.url == URL


def test_tables_follow_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    score_by_container(monkeypatch)
    table = (
        "<table><tr><th>Berth</th><th>Fee</th></tr><tr><td>Inner basin</td><td>£40 a night"
        "</td></tr><tr><td>Outer harbour</td><td>£25 a night</td></tr></table>"
    )
    html = article_html(*STORY, table)
    assert "Inner basin | £40 a night" in extract(html).text
    assert "Inner basin" not in extract(html, settings=ExtractSettings(include_tables=False)).text


def test_trafilatura_failure_becomes_extract_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise ValueError("parser exploded")

    monkeypatch.setattr(trafilatura, "bare_extraction", broken)
    site = SiteRules(body=".article-body")  # a site's own body goes to trafilatura
    with pytest.raises(ExtractError) as caught:
        extract_page(make_page(article_html(*STORY)), ExtractSettings(), site)
    assert not isinstance(caught.value, NoContentError)
    assert caught.value.url == URL
    assert "parser exploded" in caught.value.message
