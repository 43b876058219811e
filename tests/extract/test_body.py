"""Blocks from trafilatura's tree: kinds, link share, paragraphs split at blank lines."""

from __future__ import annotations

from scraper.config import ExtractSettings
from scraper.extract.body import main_blocks

PROSE = (
    "Repairs to the harbour wall will not be finished before the winter storms, the port "
    "authority said on Monday, after divers found more damage than the first survey showed."
)


def blocks(body: str, **settings: bool) -> list[tuple[str, str, float]]:
    # enough prose that trafilatura trusts the article and keeps its structure
    lead = f"<p>{PROSE}</p>" * 3
    html = f"<html><body><article><h1>Headline</h1>{lead}{body}</article></body></html>"
    found = main_blocks(html, ExtractSettings(**settings), "https://news.example/a")
    return [(b.kind, b.text, round(b.link_share, 2)) for b in found]


def test_paragraphs_headings_and_list_items() -> None:
    got = blocks(
        f"<p>{PROSE}</p><h2>What happens next</h2>"
        "<ul><li>Boats move to the inner basin</li><li>Fees are waived</li></ul>"
        f"<p>{PROSE}</p>"
    )
    kinds = [k for k, _, _ in got]
    assert kinds[-5:] == ["p", "head", "item", "item", "p"]
    assert ("item", "Fees are waived", 0.0) in got


def test_link_share_counts_link_text() -> None:
    got = blocks(f'<p>{PROSE}</p><p>Read <a href="/report">the full report</a> online.</p>')
    assert got[-1] == ("p", "Read the full report online.", round(15 / 28, 2))


def test_line_breaks_split_paragraphs() -> None:
    got = blocks(f"<p>{PROSE}<br><br>Second paragraph here.<br>Third one.</p>")
    texts = [t for _, t, _ in got]
    assert texts[-3:] == [PROSE, "Second paragraph here.", "Third one."]


def test_table_rows_and_the_setting_that_drops_them() -> None:
    table = "<table><tr><td>Inner basin</td><td>£40</td></tr><tr><td>Outer</td><td>£25</td></tr>"
    got = blocks(f"<p>{PROSE}</p>{table}</table>")
    assert ("row", "Inner basin | £40", 0.0) in got
    assert all(k != "row" for k, _, _ in blocks(f"<p>{PROSE}</p>{table}</table>",
                                                  include_tables=False))  # fmt: skip


def test_empty_document_has_no_blocks() -> None:
    assert main_blocks("  ", ExtractSettings(), "https://news.example/a") == []
