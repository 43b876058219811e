"""Text rules over extracted blocks: chrome goes (with its rule), look-alike reporting stays."""

from __future__ import annotations

import re

import pytest

from scraper.config import SiteRules
from scraper.extract.body import Block
from scraper.extract.chrome import strip_chrome

PROSE = (
    "The council said on Thursday that the new bridge would open to traffic in the spring, "
    "a year later than planned, because of flooding on the site during the winter."
)
MORE_PROSE = (
    "Engineers had to pump water out of the foundations for six weeks before concrete could "
    "be poured, and the contractor has asked for more money to cover the delay."
)
LAST_PROSE = (
    "Traffic will use the old crossing until then, with a temporary speed limit while its "
    "bearings are replaced, and the ferry will run an extra evening service."
)


def p(text: str, *, link: float = 0.0, kind: str = "p", group: int = -1) -> Block:
    return Block(kind, text, round(len(text) * link), group)


def link(text: str) -> Block:
    return p(text, link=1.0)


def run(*blocks: Block, headlines: tuple[str, ...] = (), site: SiteRules | None = None) -> tuple[
    list[str], dict[str, str]
]:  # fmt: skip
    patterns = [re.compile(p) for p in site.drop_text] if site else []
    kept, dropped = strip_chrome(blocks, headlines, patterns)
    return [b.text for b in kept], {d.text: d.rule for d in dropped}


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Audio By Carbonatix", "chrome:audio-player"),
        ("Listen to this article", "chrome:audio-player"),
        ("Listen to this article 4 min", "chrome:audio-player"),
        ("Advertisement", "chrome:advertisement"),
        ("ADVERTISEMENT", "chrome:advertisement"),
        ("Story continues below advertisement", "chrome:advertisement"),
        ("Publicité", "chrome:advertisement"),
        ("Share this article", "chrome:share-bar"),
        ("Facebook Twitter Email", "chrome:share-bar"),
        ("Share on Facebook | Share on X", "chrome:share-bar"),
        ("5 min read", "chrome:reading-time"),
        ("Tags: flooding, bridges, council", "chrome:tags"),
        ("Sign up for our morning newsletter to get the day's news", "chrome:newsletter"),
        ("Get the best stories delivered straight to your inbox.", "chrome:newsletter"),
        ("Please consider supporting independent journalism today.", "chrome:donation"),
        ("We use cookies to give you the best experience on our site.", "chrome:cookie-banner"),
        ("Have a tip? Email the newsroom.", "chrome:contact-line"),
        ("Follow The Valley Herald on Facebook and Instagram.", "chrome:contact-line"),
        (
            "If you buy something through our links, we may earn a commission.",
            "chrome:affiliate-disclosure",
        ),
        ("Leave a comment", "chrome:comments-prompt"),
        ("© 2025 The Valley Herald. All rights reserved.", "chrome:copyright"),
        ("Terms | Privacy | Contact us | Advertise", "chrome:link-row"),
        ("___", "chrome:separator"),
        ("Print Article", "chrome:toolbar"),
        ('[button link="/submit"]Send us your review[/button]', "chrome:shortcode"),
    ],
)
def test_chrome_block_is_dropped_with_its_rule(text: str, rule: str) -> None:
    share = 1.0 if rule == "chrome:link-row" else 0.0
    kept, dropped = run(p(PROSE), p(text, link=share), p(MORE_PROSE))
    assert kept == [PROSE, MORE_PROSE]
    assert dropped == {text: rule}


@pytest.mark.parametrize(
    "text",
    [
        "ALSO READ: Council approves new market stalls",
        "Related: Fishermen count losses after storms",
        "Read more: How the flood defences were designed",
        "READ MORE - Schools reopen after repairs",
    ],
)
def test_link_label_paragraph_is_dropped(text: str) -> None:
    kept, dropped = run(p(PROSE), p(text, link=0.8), p(MORE_PROSE))
    assert kept == [PROSE, MORE_PROSE]
    assert dropped == {text: "chrome:link-label"}


@pytest.mark.parametrize(
    "text",
    [
        "Related reporting by the council's own auditors found the same problems in 2019.",
        "Officials said they would read more of the contractor's documents next week.",
        "The company said it would advertise the new jobs locally before the end of May.",
        "Listen, said the mayor, there is simply no money left in this year's budget.",
        "She said residents should follow the money, and asked why the contract was changed.",
        "The trust's newsletter, sent to 4,000 members, first reported the cracks in March, "
        "and local papers picked the story up a week later after engineers confirmed it.",
        "Trending upwards for a third year, house prices rose by 4 per cent in the town.",
        "About 140 homes are still at risk of flooding, the agency said.",
    ],
)
def test_reporting_that_resembles_chrome_is_kept(text: str) -> None:
    kept, dropped = run(p(PROSE), p(text), p(MORE_PROSE))
    assert kept == [PROSE, text, MORE_PROSE]
    assert dropped == {}


def test_recirculation_heading_and_its_story_list_are_dropped() -> None:
    blocks = [
        p(PROSE),
        p(MORE_PROSE),
        p("Latest Stories", kind="head"),
        p("Council approves new market stalls for traders"),
        p("50 minutes -"),
        link("Fishermen count losses after a week of storms"),
        p("1 hour -"),
        p("Schools reopen after repairs to flooded classrooms"),
        p("2 hours ago"),
    ]
    kept, dropped = run(*blocks)
    assert kept == [PROSE, MORE_PROSE]
    assert len(dropped) == 7
    assert dropped["Latest Stories"] == dropped["50 minutes -"] == "chrome:recirculation"
    assert dropped["Schools reopen after repairs to flooded classrooms"] == "chrome:recirculation"


@pytest.mark.parametrize("heading", ["Related", "More from Business", "Most Read", "Top stories"])
def test_recirculation_list_in_the_middle_of_the_story(heading: str) -> None:
    items = [p(t, link=1.0, kind="item", group=7) for t in ("One story", "Two story", "Three")]
    kept, _ = run(p(PROSE), p(heading, kind="head"), *items, p(MORE_PROSE))
    assert kept == [PROSE, MORE_PROSE]


def test_heading_like_related_followed_by_prose_is_kept() -> None:
    kept, dropped = run(p(PROSE), p("Trending", kind="head"), p(MORE_PROSE))
    assert kept == [PROSE, "Trending", MORE_PROSE]
    assert dropped == {}


def test_list_of_links_is_dropped_but_list_of_facts_is_kept() -> None:
    links = [p(t, link=1.0, kind="item", group=3) for t in ("Bridge", "Roads", "Rail")]
    facts = [
        p("Cost: £18m", kind="item", group=5),
        p("Length: 1.2km", kind="item", group=5),
        p("Opens: spring", kind="item", group=5),
    ]
    kept, dropped = run(p(PROSE), *facts, p(MORE_PROSE), *links)
    assert kept == [PROSE, "Cost: £18m", "Length: 1.2km", "Opens: spring", MORE_PROSE]
    assert set(dropped.values()) == {"chrome:link-list"}


def test_lone_teaser_link_is_dropped_but_linked_sentence_is_kept() -> None:
    sentence = "Read the full inspection report, which runs to 300 pages."
    kept, dropped = run(
        p(PROSE), link("Fishermen count losses after a week of storms"), link(sentence)
    )
    assert kept == [PROSE, sentence]
    assert dropped == {"Fishermen count losses after a week of storms": "chrome:link-only"}


def test_headline_kicker_byline_and_dateline_at_the_top_are_dropped() -> None:
    title = "New bridge delayed by a year"
    blocks = [
        p("Transport"),
        p(title, kind="head"),
        p("By Jane Doe and Sam Roe"),
        p("Updated 5:45 PM, May 20, 2025"),
        p(PROSE),
        p(MORE_PROSE),
    ]
    kept, dropped = run(*blocks, headlines=(f"{title} | The Valley Herald",))
    assert kept == [PROSE, MORE_PROSE]
    assert dropped == {
        "Transport": "chrome:kicker",
        title: "chrome:headline",
        "By Jane Doe and Sam Roe": "chrome:byline",
        "Updated 5:45 PM, May 20, 2025": "chrome:dateline",
    }


def test_text_before_the_headline_is_kept_when_it_is_prose() -> None:
    kept, _ = run(p(PROSE), p("New bridge delayed", kind="head"), headlines=("New bridge delayed",))
    assert kept == [PROSE]


def test_headline_repeated_later_is_dropped_but_a_part_of_it_only_at_the_top() -> None:
    title = "New bridge delayed by a year"
    blocks = [p(PROSE), p(MORE_PROSE), p("New bridge delayed"), p(LAST_PROSE), p(title)]
    kept, dropped = run(*blocks, headlines=(title,))
    assert kept == [PROSE, MORE_PROSE, "New bridge delayed", LAST_PROSE]
    assert dropped == {title: "chrome:headline"}


MENU = ["Home", "News", "Sport", "Business", "Weather", "Travel", "Culture", "Contact us"]


def test_a_menu_flattened_into_lines_at_the_top_is_dropped() -> None:
    kept, dropped = run(*(p(entry) for entry in MENU), p(PROSE), p(MORE_PROSE))
    assert kept == [PROSE, MORE_PROSE]
    assert set(dropped.values()) == {"chrome:menu"}


def test_short_lines_inside_the_story_are_kept() -> None:
    lines = ["Two spades", "A wheelbarrow", "Ten sandbags", "Rubber boots", "A rain cape",
             "Work gloves", "A torch", "Rope"]  # fmt: skip
    kept, _ = run(p(PROSE), *(p(line) for line in lines), p(MORE_PROSE))
    assert kept == [PROSE, *lines, MORE_PROSE]


def test_site_drop_text_patterns() -> None:
    site = SiteRules(drop_text=(r"^Reporting by ",))
    kept, dropped = run(p(PROSE), p("Reporting by the newsroom; editing by the desk"), site=site)
    assert kept == [PROSE]
    assert dropped == {"Reporting by the newsroom; editing by the desk": "site:drop_text"}


def test_a_pull_quote_repeated_from_the_body_is_dropped_and_the_body_kept() -> None:
    quote = "would open to traffic in the spring, a year later than planned"
    kept, dropped = run(p(PROSE), p(f"“{quote}”", kind="quote"), p(MORE_PROSE))
    assert kept == [PROSE, MORE_PROSE]
    assert dropped == {f"“{quote}”": "chrome:repeated"}


def test_a_paragraph_printed_twice_is_kept_once() -> None:
    kept, dropped = run(p(PROSE), p(MORE_PROSE), p(PROSE))
    assert kept == [PROSE, MORE_PROSE]
    assert dropped == {PROSE: "chrome:repeated"}


def test_a_short_phrase_found_again_is_no_repeat() -> None:
    phrase = "the new bridge would open"  # under REPEAT_MIN_WORDS: a common phrase, not a copy
    kept, dropped = run(p(PROSE), p(phrase), p(MORE_PROSE))
    assert kept == [PROSE, phrase, MORE_PROSE]
    assert dropped == {}


def test_scored_blocks_meet_only_the_labels_furniture_and_recirculation() -> None:
    """Blocks the scorer kept: an ask it judged article text stays; a widget label, the
    headline and a "Latest Stories" run still go, and what the scorer dropped keeps its mark."""
    ask = "Sign up for our morning newsletter to get the day's news"
    blocks = [p("Audio By Carbonatix"), p(PROSE), p(ask), p(MORE_PROSE),
              p("Latest Stories", kind="head"), link("Council approves new market stalls"),
              p("50 minutes -"), p("Footer links")]  # fmt: skip
    marks = [None, None, None, None, "scorer:recirculation", None, None, "scorer:footer"]
    kept, dropped = strip_chrome(blocks, (), scored=True, marks=marks)
    assert [b.text for b in kept] == [PROSE, ask, MORE_PROSE]
    assert {d.text: d.rule for d in dropped} == {
        "Audio By Carbonatix": "chrome:audio-player",
        "Latest Stories": "scorer:recirculation",
        "Council approves new market stalls": "chrome:recirculation",
        "50 minutes -": "chrome:recirculation",
        "Footer links": "scorer:footer",
    }
