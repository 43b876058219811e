"""Quality score and reasons on every article; pages that are no article are refused, with why."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from scraper.config import ExtractSettings
from scraper.errors import NoContentError
from scraper.extract import extract_page
from scraper.extract.quality import PENALTIES, Signals, score
from tests.extract.support import extract, make_page

HEADLINE = "Harbour repairs fall behind schedule"
DATE = '<meta property="article:published_time" content="2025-05-19T08:00:00+00:00">'
_SENTENCES = (
    "Repairs to the harbour wall will not be finished before the winter storms, the port "
    "authority said on Monday, after divers found more damage than the first survey showed.",
    "The authority said the contractor would work through the weekend to secure the most "
    "exposed section, and that boats would be moved to the inner basin as a precaution.",
    "Fishermen said the delay would cost them weeks of landings at the busiest time of the "
    "year, and asked for the fees for the inner basin to be waived until the work is done.",
    "The harbour master said the wall had stood for a hundred and forty years and that the "
    "storms of the last three winters had done more harm to it than the whole century before.",
    "Engineers from the county council will inspect the outer breakwater next month, and a "
    "report on the cost of strengthening it is due before the budget is set in February.",
    "Boat owners who cannot find room in the inner basin have been offered berths at the "
    "marina across the bay, where the council will pay half of the fees until spring.",
    "The lifeboat station, which sits behind the damaged section, will stay open, its "
    "coxswain said, although crews will launch from the slipway on the north side instead.",
    "Shops on the quay reported fewer visitors since the fences went up in September, and "
    "the traders' association has asked for signs directing people around the works.",
    "A public meeting on the repairs will be held in the town hall on the second Tuesday of "
    "next month, when the authority's chief engineer will answer questions from residents.",
    "The first survey of the wall was carried out in the spring by a firm from the city, "
    "which the authority said had been given too little time to inspect the foundations.",
)
LONG_STORY = [f"<p>{s}</p>" for s in _SENTENCES]  # about 300 words


def page(
    *paragraphs: str, head: str = DATE, title: str | None = HEADLINE, extra_body: str = ""
) -> str:
    title_tag = f"<title>{title} | The Valley Herald</title>" if title else ""
    h1 = f"<h1>{title}</h1>" if title else ""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{title_tag}{head}
</head><body><header><a href="/">The Valley Herald</a><nav><a href="/news">News</a></nav></header>
<main><article>{h1}<div class="article-body">{"".join(paragraphs)}</div></article></main>
{extra_body}<footer><a href="/about">About us</a></footer></body></html>"""


def jsonld(**fields: object) -> str:
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": HEADLINE}
    data |= {"datePublished": "2025-05-19T08:00:00+00:00", **fields}
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


# --- the score ------------------------------------------------------------------------------


def test_a_clean_article_scores_one_with_no_reasons() -> None:
    article = extract(page(*LONG_STORY))
    assert (article.quality, article.quality_reasons) == (1.0, ())


def test_quality_is_part_of_the_json_form() -> None:
    record = extract(page(*LONG_STORY[:2])).to_dict()
    assert record["quality"] == pytest.approx(1.0 - PENALTIES["too_short"])
    assert record["quality_reasons"] == ["too_short"]


def test_a_short_body_is_too_short() -> None:
    article = extract(page(*LONG_STORY[:3]))
    assert article.quality_reasons == ("too_short",)
    assert 0.0 < article.quality < 1.0


def test_a_body_made_of_links_is_link_dense() -> None:
    linked = [f'<p><a href="/n/{n}">{s}</a> {s[:40]}.</p>' for n, s in enumerate(_SENTENCES * 2)]
    article = extract(page(*linked))
    assert "link_dense" in article.quality_reasons


@pytest.mark.parametrize(
    "ending",
    [
        "<p>Divers will return to the harbour on Thursday to check whether the cracks …</p>",
        "<p>Divers will return to the harbour on Thursday to check whether the cracks...</p>",
        "<p>Divers will return on Thursday to check the cracks. Continue reading</p>",
    ],
    ids=["ellipsis", "three-dots", "continue-reading"],
)
def test_a_body_that_stops_mid_story_is_a_teaser(ending: str) -> None:
    article = extract(page(*LONG_STORY, ending))
    assert "teaser_or_truncated" in article.quality_reasons


def test_a_paywall_barrier_beside_the_body_marks_a_teaser() -> None:
    barrier = (
        '<div class="barrier"><h2>Subscribe to continue reading</h2>'
        "<p>Unlock this article and get unlimited access to our journalism.</p>"
        '<a href="/subscribe">Start your trial</a></div>'
    )
    article = extract(page(*LONG_STORY[:6], barrier))
    assert "Subscribe to continue reading" not in article.text
    assert "teaser_or_truncated" in article.quality_reasons


@pytest.mark.parametrize(
    "notice",
    [
        "Log in to continue READING",
        "Sign in to keep readıng",  # dotless i: the same letter to the case-blind regex
        "This article is only for ſubscribers",  # long s
        "UNLOCK THE FULL STORY",
    ],
)
def test_a_paywall_notice_in_any_case_marks_a_teaser(notice: str) -> None:
    signals = Signals(text="A short body.", words=3, title="T", published="2024-05-01")
    assert "teaser_or_truncated" in score(replace(signals, page_text=f"Menu {notice} Footer"))[1]
    assert "teaser_or_truncated" not in score(replace(signals, page_text="Menu Footer"))[1]


def test_a_body_much_shorter_than_its_word_count_is_truncated() -> None:
    article = extract(page(*LONG_STORY, head=jsonld(wordCount=1400)))
    assert "teaser_or_truncated" in article.quality_reasons
    whole = extract(page(*LONG_STORY, head=jsonld(wordCount=310)))
    assert "teaser_or_truncated" not in whole.quality_reasons


def test_a_body_much_shorter_than_its_article_body_is_truncated() -> None:
    article_body = " ".join(_SENTENCES * 8)
    article = extract(page(*LONG_STORY, head=jsonld(articleBody=article_body)))
    assert "teaser_or_truncated" in article.quality_reasons


def test_missing_title_and_date_are_reasons() -> None:
    html = page(*LONG_STORY, head="", title=None)
    article = extract_page(make_page(html, "https://news.example/story"), ExtractSettings())
    assert article.quality_reasons == ("missing_title", "missing_date")
    expected = 1.0 - PENALTIES["missing_title"] - PENALTIES["missing_date"]
    assert article.quality == pytest.approx(expected)


def test_score_stays_in_range_and_lists_reasons_in_a_fixed_order() -> None:
    worst = Signals(text="Read more", words=2, link_chars=9, expected_words=900)
    value, reasons = score(worst)
    assert value == 0.0
    assert reasons == tuple(PENALTIES)


# --- pages that are no article --------------------------------------------------------------


def refused(html: str) -> str:
    with pytest.raises(NoContentError) as caught:
        extract(html)
    assert caught.value.url
    return caught.value.message


def test_an_error_page_served_with_200_is_refused() -> None:
    html = page(
        "<p>Sorry, the page you are looking for may have been moved or deleted. Try the search "
        "box above, or go back to the front page for today's top stories from the valley.</p>",
        "<p>If you followed a link from another site, please let us know so we can fix it.</p>",
        title="Page not found",
        head="",
    )
    assert "error page" in refused(html)


def test_an_error_page_known_by_its_text_is_refused() -> None:
    html = page(
        "<p>Oops. The page you requested could not be found on this server, and it may have "
        "been removed. Please check the address or use the search box at the top.</p>",
        title="The Valley Herald",
        head="",
    )
    assert "error page" in refused(html)


def test_a_javascript_shell_is_refused() -> None:
    html = """<!DOCTYPE html><html><head><title>The Valley Herald</title></head><body>
    <noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div>
    <script src="/static/js/main.4f2a.js"></script></body></html>"""
    assert "JavaScript" in refused(html)


def test_a_javascript_shell_with_a_rendered_header_is_refused() -> None:
    html = page(
        "<p>We're sorry but The Valley Herald doesn't work properly without JavaScript enabled. "
        "Please enable it to continue reading the news from the valley and the coast.</p>",
        title="The Valley Herald",
        head="",
    )
    assert "JavaScript" in refused(html)


def test_a_consent_wall_is_refused() -> None:
    html = """<!DOCTYPE html><html><head><title>Before you continue</title></head><body>
    <div class="wall"><h2>We value your privacy</h2>
    <p>We and our partners store and access information on your device, such as cookies, and
    process personal data such as unique identifiers for personalised ads and content, ad and
    content measurement, and audience insights. With your permission we may use precise
    geolocation data. You may click to consent to our and our partners' processing as
    described above, or to refuse consent, or access more detailed information and change your
    preferences before consenting.</p>
    <button>Accept all</button><button>Reject all</button><a href="/privacy">Manage preferences</a>
    </div></body></html>"""
    assert "consent wall" in refused(html)


def test_a_short_story_with_a_comments_notice_is_no_shell() -> None:
    comments = (
        "<noscript>Please enable JavaScript to view the comments powered by Disqus.</noscript>"
    )
    article = extract(page(*LONG_STORY[:2], extra_body=comments))
    assert article.text.startswith("Repairs to the harbour wall")


def test_a_story_under_a_cookie_banner_is_kept() -> None:
    banner = (
        '<div class="notice"><p>We use cookies to improve your experience. By continuing to '
        "browse you accept our cookie policy.</p><button>Accept all</button></div>"
    )
    article = extract(page(*LONG_STORY[:3], extra_body=banner))
    assert article.text.startswith("Repairs to the harbour wall")
    assert "cookies" not in article.text


def test_a_story_about_something_not_found_is_kept() -> None:
    html = page(*LONG_STORY[:3], title="Missing hiker still not found after three days")
    assert extract(html).title == "Missing hiker still not found after three days"
