"""Helpers for the extraction tests: build a Page from inline HTML or from ``pages/``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from scraper.config import ExtractSettings, SiteRules
from scraper.extract import extract_page
from scraper.extract.scorer import BlockModel
from scraper.extract.segment import ANCESTOR_TAGS, Segmentation
from scraper.models import Article, Page

PAGES = Path(__file__).resolve().parent / "pages"
URL = "https://news.example/2025/05/20/story"
FETCHED_AT = datetime(2025, 5, 20, 12, 0, tzinfo=UTC)


def make_page(html: str, url: str = URL) -> Page:
    return Page(
        url=url,
        final_url=url,
        status=200,
        headers={"content-type": "text/html; charset=utf-8"},
        content=html.encode("utf-8"),
        html=html,
        encoding="utf-8",
        encoding_source="given",
        fetched_at=FETCHED_AT,
    )


def page_file(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def extract(
    html: str, *, site: SiteRules | None = None, settings: ExtractSettings | None = None
) -> Article:
    return extract_page(make_page(html), settings or ExtractSettings(), site)


def article_html(*paragraphs: str, title: str = "Harbour repairs fall behind schedule") -> str:
    """A plain article page: headline, then ``paragraphs`` (raw HTML) in an <article>."""
    body = "\n".join(paragraphs)
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title} | The Valley Herald</title></head>
<body><header><a href="/">The Valley Herald</a><nav><a href="/news">News</a></nav></header>
<main><article><h1>{title}</h1>
<div class="article-body">
{body}
</div></article></main>
<footer><a href="/about">About us</a></footer></body></html>"""


# Ordinary reporting, long enough to make an article on its own.
STORY = (
    "<p>Repairs to the harbour wall will not be finished before the winter storms, the port "
    "authority said on Monday, after divers found more damage than the first survey showed.</p>",
    "<p>The authority said the contractor would work through the weekend to secure the most "
    "exposed section, and that boats would be moved to the inner basin as a precaution.</p>",
    "<p>Fishermen said the delay would cost them weeks of landings at the busiest time of the "
    "year, and asked for the fees for the inner basin to be waived until the work is done.</p>",
)
STORY_TEXT = "\n\n".join(p[3:-4] for p in STORY)


def score_by_container(monkeypatch: pytest.MonkeyPatch, container: str = "article") -> None:
    """Make the block scorer keep exactly the segments inside ``container``: for tests of the
    mechanisms around the scorer (settings, text rules, fallbacks), whose outcome must not
    hang on how a trained model judges a three-paragraph toy page."""

    def scores(self: BlockModel, seg: Segmentation) -> npt.NDArray[np.float64]:
        bit = 1 << ANCESTOR_TAGS.index(container)
        inside = [bool((s.frame.outer_tags | _own(s.frame.tag)) & bit) for s in seg.segments]
        return np.array(inside, dtype=np.float64)

    def _own(tag: str) -> int:
        return 1 << ANCESTOR_TAGS.index(tag) if tag in ANCESTOR_TAGS else 0

    monkeypatch.setattr(BlockModel, "scores", scores)
