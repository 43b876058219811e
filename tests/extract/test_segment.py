"""Cutting the pruned page into segments: what joins, what splits, and what each one knows."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from scraper.extract.names import categories_of
from scraper.extract.segment import Segmentation, segment


def cut(body: str) -> Segmentation:
    root = LexborHTMLParser(f"<html><body>{body}</body></html>").body
    assert root is not None
    return segment(root)


def texts(body: str) -> list[str]:
    return [s.block.text for s in cut(body).segments]


def test_inline_elements_join_and_block_elements_split() -> None:
    body = "<div>Lead <b>bold</b> and <a href='/x'>a link</a>.<p>Own paragraph</p>tail</div>"
    assert texts(body) == ["Lead bold and a link.", "Own paragraph", "tail"]


def test_comments_do_not_split_a_paragraph() -> None:
    assert texts("<p>Strict <!--$--><a href='/c'>building codes</a><!--/$-->, and more.</p>") == [
        "Strict building codes, and more."
    ]


def test_line_breaks_stay_inside_the_segment_as_lines() -> None:
    assert texts("<div>First line<br>second line<br><br>third</div>") == [
        "First line\nsecond line\nthird"
    ]


def test_cells_of_a_row_join_and_cells_holding_paragraphs_do_not() -> None:
    table = "<table><tr><th>Berth</th><th>Fee</th></tr><tr><td>Inner</td><td>£40</td></tr></table>"
    seg = cut(table)
    assert [s.block.text for s in seg.segments] == ["Berth | Fee", "Inner | £40"]
    assert {s.block.kind for s in seg.segments} == {"row"}
    assert len({s.block.group for s in seg.segments}) == 1
    layout = "<table><tr><td><p>Left column story.</p></td><td><p>Right one.</p></td></tr></table>"
    assert texts(layout) == ["Left column story.", "Right one."]


def test_kinds_and_list_groups() -> None:
    seg = cut("<h2>Key points</h2><ul><li>One</li><li>Two</li></ul><ol><li>Three</li></ol>"
              "<blockquote><p>Quoted.</p></blockquote><pre>code()</pre>")  # fmt: skip
    kinds = [(s.block.kind, s.block.text) for s in seg.segments]
    assert kinds == [("head", "Key points"), ("item", "One"), ("item", "Two"), ("item", "Three"),
                     ("quote", "Quoted."), ("code", "code()")]  # fmt: skip
    groups = [s.block.group for s in seg.segments if s.block.kind == "item"]
    assert groups[0] == groups[1] != groups[2]


def test_link_characters_are_counted() -> None:
    (only,) = cut("<p>See <a href='/x'>the full report</a> here</p>").segments
    assert only.block.link_chars == len("the full report")


def test_frames_add_up_what_they_hold_and_know_their_names() -> None:
    seg = cut("<div class='share-bar'><p>Share this</p><p>Email</p></div>"
              "<div class='story' hidden><p>A paragraph of the story.</p></div>")  # fmt: skip
    share, email, story = seg.segments
    assert share.frame.parent is email.frame.parent
    bar = share.frame.parent
    assert bar is not None and bar.segments == 2 and bar.chars == len("Share this") + len("Email")
    assert "share" in categories_of(bar.names)
    assert "share" in categories_of(share.frame.outer_names)
    holder = story.frame.parent
    assert holder is not None and "hidden" in categories_of(holder.names)
    assert seg.chars == sum(len(s.block.text) for s in seg.segments)
    assert [s.offset for s in seg.segments] == [0, len("Share this"), len("Share thisEmail")]


def test_repeated_siblings_are_counted() -> None:
    cards = "".join(f"<div class='card'><p>Teaser {n}</p></div>" for n in range(4))
    seg = cut(f"<section>{cards}<div class='other'><p>Other</p></div></section>")
    assert [s.frame.parent.siblings for s in seg.segments] == [4, 4, 4, 4, 1]  # type: ignore[union-attr]


def test_an_empty_page_has_no_segments() -> None:
    assert cut("   ").segments == []
