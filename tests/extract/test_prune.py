"""DOM pruning before the scorer: only what is chrome by its element goes; wrappers stay."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser

from scraper.config import SiteRules
from scraper.errors import ExtractError
from scraper.extract.prune import Pruned, prune

STORY = (
    "<p>Repairs to the harbour wall will not be finished before the winter storms, the port "
    "authority said on Monday, after divers found more damage than the first survey showed.</p>"
    "<p>Fishermen said the delay would cost them weeks of landings at the busiest time of the "
    "year, and asked for the fees for the inner basin to be waived until the work is done.</p>"
)
URL = "https://news.example/a"


def run_prune(body: str, site: SiteRules | None = None) -> Pruned:
    return prune(LexborHTMLParser(f"<html><body>{body}</body></html>"), site, URL)


def pruned(body: str, site: SiteRules | None = None) -> tuple[str, dict[str, str]]:
    result = run_prune(body, site)
    text = LexborHTMLParser(result.html).body
    return (text.text(separator=" ") if text else ""), {d.text: d.rule for d in result.dropped}


@pytest.mark.parametrize(
    ("chrome", "rule"),
    [
        ("<nav>News Sport Weather</nav>", "prune:nav"),
        ('<div role="navigation">News Sport Weather</div>', "prune:nav"),
        ("<footer>About us Contact</footer>", "prune:footer"),
        ("<aside>Key events</aside>", "prune:aside"),
        ('<div role="complementary">Key events</div>', "prune:aside"),
    ],
)
def test_chrome_elements_are_dropped_with_their_rule(chrome: str, rule: str) -> None:
    text, dropped = pruned(f"<article>{STORY}{chrome}</article>")
    assert "Repairs to the harbour wall" in text
    (dropped_text,) = dropped
    assert dropped[dropped_text] == rule
    assert dropped_text not in text


@pytest.mark.parametrize(
    "named",
    [
        '<div class="share-bar">Share on Facebook Share on X</div>',
        '<div class="paywall">Subscribers read on: the authority has set aside money.</div>',
        "<div hidden>The rest of the story, hidden until the reader signs in.</div>",
        '<div class="related-stories">Other stories</div>',
    ],
)
def test_elements_named_or_hidden_are_left_to_the_scorer(named: str) -> None:
    """A class name or a hidden flag is a feature the scorer weighs, not a verdict here."""
    text, dropped = pruned(f"<article>{STORY}{named}</article>")
    assert LexborHTMLParser(named).body.text() in text  # type: ignore[union-attr]
    assert dropped == {}


def test_a_chrome_element_holding_most_of_the_page_is_a_wrapper_and_stays() -> None:
    text, dropped = pruned(f"<aside>{STORY}</aside><nav>News Sport</nav>")
    assert "Repairs to the harbour wall" in text
    assert dropped == {"News Sport": "prune:nav"}


def test_scripts_and_styles_go_silently() -> None:
    body = f"<article>{STORY}<script>var x = 1;</script><style>p {{ color: red }}</style></article>"
    result = run_prune(body)
    assert "var x" not in result.html and "color: red" not in result.html
    assert result.dropped == []


def test_site_rules_remove_and_body() -> None:
    body = f'<div class="partner-box">Win a weekend away</div><div class="story">{STORY}</div>'
    text, dropped = pruned(body, SiteRules(remove=(".partner-box",)))
    assert "Win a weekend" not in text
    assert dropped == {"Win a weekend away": "site:remove"}

    result = run_prune(f"<div>Teaser text</div>{body}", SiteRules(body=".story"))
    assert result.narrowed
    assert result.root is not None and result.root.attributes.get("class") == "story"
    assert "Repairs to the harbour wall" in result.html
    assert "Teaser text" not in result.html and "Win a weekend" not in result.html


def test_a_site_selector_that_does_not_parse_is_an_extract_error() -> None:
    with pytest.raises(ExtractError) as caught:
        run_prune(STORY, SiteRules(remove=("div[[",)))
    assert caught.value.url == URL
