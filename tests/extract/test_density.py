"""Where the prose is: the element with the longest runs of text outside links."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from scraper.extract.density import coverage, is_section_front, measure_prose

RUN = "a run of story text that is long enough to be prose rather than a label"


def body(html: str) -> LexborHTMLParser:
    return LexborHTMLParser(f"<html><body>{html}</body></html>")


def test_text_with_line_breaks_in_a_plain_div_is_found() -> None:
    tree = body(
        f'<div id="story">First {RUN}.<br><br>Second {RUN}.<br><br>Third {RUN}.</div>'
        f'<div class="sidebar"><p>Teaser {RUN}.</p></div>'
    )
    assert tree.body is not None
    prose = measure_prose(tree.body)
    assert prose.best is not None and prose.best.attributes.get("id") == "story"
    assert len(prose.runs) == 3
    assert prose.best_chars < prose.total_chars


def test_paragraphs_count_for_their_container_and_link_text_does_not_count() -> None:
    teasers = "".join(f'<li><a href="/{i}">Headline {RUN}</a></li>' for i in range(9))
    tree = body(f'<ul class="list">{teasers}</ul><div id="story"><p>One {RUN}.</p></div>')
    assert tree.body is not None
    prose = measure_prose(tree.body)
    assert prose.best is not None and prose.best.attributes.get("id") == "story"


def test_coverage_is_the_share_of_prose_found_in_a_text() -> None:
    runs = ["x" * 60, "y" * 40]
    assert coverage(runs, "x" * 60) == 0.6
    assert coverage(runs, "  ".join(runs)) == 1.0
    assert coverage([], "anything") == 1.0


def test_section_front_has_headline_links_and_no_body() -> None:
    item = '<li><h3><a href="/{0}">Story number {0} about the harbour</a></h3><p>{1}.</p></li>'
    front = body("<ul>" + "".join(item.format(i, RUN) for i in range(8)) + "</ul>")
    assert front.body is not None
    assert is_section_front(front.body, measure_prose(front.body))


def test_article_with_a_related_list_is_not_a_section_front() -> None:
    related = "".join(f'<h3><a href="/{i}">Related story {i}</a></h3>' for i in range(8))
    page = body(f'<article>{"".join(f"<p>{RUN}, part {i}.</p>" for i in range(6))}</article>'
                f"<section>{related}</section>")  # fmt: skip
    assert page.body is not None
    assert not is_section_front(page.body, measure_prose(page.body))
