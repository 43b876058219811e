"""Rejoining a body split into chunks: side by side, in page order; nothing else is touched."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from scraper.extract.split import merge_split_body

PARA = (
    "<p>{} paragraph of the story, long enough to count as running prose on the page of news.</p>"
)


def paragraphs(*names: str) -> str:
    return "".join(PARA.format(n) for n in names)


def test_chunks_with_an_ad_between_them_are_unwrapped_in_order() -> None:
    tree = LexborHTMLParser(
        "<html><body><article>"
        f'<div class="grid"><div class="story-body">{paragraphs("First", "Second")}</div></div>'
        '<div class="ad">Advertisement</div>'
        f'<div class="grid"><div class="story-body">{paragraphs("Third", "Fourth")}</div></div>'
        "</article></body></html>"
    )
    assert tree.body is not None
    assert merge_split_body(tree.body) == 2
    article = tree.css_first("article")
    assert article is not None
    assert not tree.css(".story-body") and not tree.css(".grid")
    ps = [p.text()[:6] for p in article.css("p")]
    assert ps == ["First ", "Second", "Third ", "Fourth"]


def test_live_blog_entries_are_unwrapped_up_to_the_feed() -> None:
    entry = '<article class="entry"><h3>{0}</h3><div class="entry-body">{1}</div></article>'
    feed = "".join(entry.format(n, paragraphs(n, n)) for n in ("One", "Two", "Three"))
    tree = LexborHTMLParser(f'<html><body><div class="feed">{feed}</div></body></html>')
    assert tree.body is not None
    assert merge_split_body(tree.body) == 3
    feed_node = tree.css_first(".feed")
    assert feed_node is not None
    assert not feed_node.css("article")
    assert [h.text() for h in feed_node.css("h3")] == ["One", "Two", "Three"]


def test_a_single_body_is_left_alone() -> None:
    html = f'<html><body><div class="story-body">{paragraphs("A", "B", "C")}</div></body></html>'
    tree = LexborHTMLParser(html)
    assert tree.body is not None
    assert merge_split_body(tree.body) == 0
    assert tree.css(".story-body")


def test_teasers_with_a_line_each_are_not_chunks() -> None:
    teaser = '<div class="teaser"><p>A short teaser line.</p></div>'
    html = f"<html><body><div>{paragraphs('A', 'B', 'C')}</div>{teaser * 4}</body></html>"
    tree = LexborHTMLParser(html)
    assert tree.body is not None
    assert merge_split_body(tree.body) == 0
    assert len(tree.css(".teaser")) == 4
