"""DOM pruning before trafilatura: widgets go by the words of their names, wrappers stay."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser

from scraper.config import SiteRules
from scraper.errors import ExtractError
from scraper.extract import rules
from scraper.extract.prune import WIDGET_CANDIDATE_TAGS, Pruned, _drop, _text, prune

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
    ("widget", "rule"),
    [
        ('<div class="share-bar">Share on Facebook Share on X</div>', "prune:share"),
        ('<div class="shareBar">Share on Facebook Share on X</div>', "prune:share"),
        ('<div id="newsletter-signup">Get our morning briefing</div>', "prune:newsletter"),
        ('<section class="related-stories">Other stories</section>', "prune:recirculation"),
        ('<div class="most-read">Most read</div>', "prune:recirculation"),
        ('<div class="ad ad--inline">Advertisement</div>', "prune:advertisement"),
        ('<div class="cookie-consent">We use cookies</div>', "prune:cookie-banner"),
        ('<div id="comments">Join the discussion</div>', "prune:comments"),
        ('<p class="article-dek">A standfirst summing up the story</p>', "prune:article-header"),
        ("<nav>News Sport Weather</nav>", "prune:nav"),
        ("<footer>About us Contact</footer>", "prune:footer"),
        ("<aside>Key events</aside>", "prune:aside"),
        ("<div hidden>Show 3 new updates</div>", "prune:hidden"),
        ('<div style="display: none">Duplicate headline</div>', "prune:hidden"),
        (
            '<h2 itemprop="description">A standfirst marked as description</h2>',
            "prune:article-header",
        ),
        ('<span class="person-tooltip">Profile card text</span>', "prune:tooltip"),
    ],
)
def test_widget_is_dropped_with_its_rule(widget: str, rule: str) -> None:
    text, dropped = pruned(f"<article>{STORY}{widget}</article>")
    assert "Repairs to the harbour wall" in text
    assert list(dropped.values()) == [rule]


@pytest.mark.parametrize(
    "name", ["header", "masthead-image", "shadow", "read-more-text", "loaded", "addresses"]
)
def test_widget_words_are_whole_words(name: str) -> None:
    """ "ad" is a word of "ad-slot", not a part of "header", "shadow", "loaded" or "addresses"."""
    _, dropped = pruned(f'<article>{STORY}<div class="{name}">A small box</div></article>')
    assert "prune:advertisement" not in dropped.values()


def test_wrapper_with_a_widget_word_in_its_class_is_kept() -> None:
    """A layout wrapper named for its sidebar holds the story; it is not a widget."""
    text, dropped = pruned(f'<div class="main has-sidebar"><h1>Headline</h1>{STORY}</div>')
    assert "Repairs to the harbour wall" in text
    assert dropped == {}


def test_wrapper_holding_most_of_the_page_is_kept() -> None:
    text, _ = pruned(f'<div class="promo-layout">{STORY}</div><div>Small print.</div>')
    assert "Repairs to the harbour wall" in text


def test_embedded_post_in_a_social_wrapper_is_kept_and_unnamed() -> None:
    body = (
        f'<article>{STORY}<div class="social-embed"><blockquote class="twitter-tweet">'
        "<p>The inner basin is open.</p></blockquote></div></article>"
    )
    result = run_prune(body)
    assert "The inner basin is open." in result.html
    assert "twitter-tweet" not in result.html and "social-embed" not in result.html
    assert result.dropped == []


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
    assert "Repairs to the harbour wall" in result.html
    assert "Teaser text" not in result.html and "Win a weekend" not in result.html


def test_a_site_selector_that_does_not_parse_is_an_extract_error() -> None:
    with pytest.raises(ExtractError) as caught:
        run_prune(STORY, SiteRules(remove=("div[[",)))
    assert caught.value.url == URL


def test_widget_candidates_are_the_named_elements_of_some_tags() -> None:
    """prune finds rules.WIDGET_CANDIDATES as the elements with a class or an id, kept by tag."""
    expected = ", ".join(
        f"{tag}[{attr}]" for tag in sorted(WIDGET_CANDIDATE_TAGS) for attr in ("class", "id")
    )
    assert expected == rules.WIDGET_CANDIDATES


def test_widgets_are_weighed_against_the_text_left_after_the_chrome() -> None:
    """Menus as long as the story go first; then the story's wrapper holds most of what is
    left, while a share bar beside it is still a widget."""
    menu = "<nav>" + " ".join(f"<a href='/s{i}'>Section number {i}</a>" for i in range(20))
    share = '<div class="share-bar">Share on Facebook</div>'
    text, dropped = pruned(f'{menu}</nav>{menu}</nav><div class="promo">{STORY}</div>{share}')
    assert "Repairs to the harbour wall" in text
    assert set(dropped.values()) == {"prune:nav", "prune:share"}


@pytest.mark.parametrize(
    "body",
    [
        "<p>one <b>two</b>three</p><nav> menu  item </nav><p>four</p>",
        "<nav><nav>inner</nav> outer </nav>tail",
        "<nav>only</nav>",
        "<nav></nav><p>  </p>x",
        "<div><nav>a\u00a0b</nav><footer>c <i>d</i></footer></div><p>e</p>",
    ],
)
def test_a_drop_says_how_much_shorter_the_page_text_got(body: str) -> None:
    root = LexborHTMLParser(f"<html><body>{body}</body></html>").body
    assert root is not None
    before = len(_text(root))
    removed = _drop((("r", n) for n in root.css("nav, footer")), 0, [])
    assert max(before - removed, 0) == len(_text(root))
