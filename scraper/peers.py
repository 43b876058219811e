"""The extractors that scorecards compare: ours, and plain trafilatura as its users call it.

Each turns a labelled page into an ``Extraction`` (text, title, authors, published date, or
the reason it gave nothing). Trafilatura reads the same decoded text we do; its metadata comes
from ``bare_extraction(with_metadata=True)``, its text from ``extract`` with the defaults
(comments left out), as the published comparisons run it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from scraper.config import Settings
from scraper.errors import ScraperError
from scraper.evaluate import EvalReport, Sample, score_predictions
from scraper.fetch import page_from_bytes
from scraper.models import Page
from scraper.scorecard import Extraction, Scorecard, scorecard

PEERS = ("scraper", "trafilatura")

Extractor = Callable[[Page], Extraction]


def extractor(name: str, settings: Settings | None = None) -> Extractor:
    """The extractor called ``name`` (one of PEERS)."""
    if name == "trafilatura":
        return _trafilatura
    if name != "scraper":
        raise ValueError(f"unknown extractor {name!r}; choose from {', '.join(PEERS)}")
    from scraper.extract import extract_page

    chosen = settings or Settings()

    def ours(page: Page) -> Extraction:
        site = chosen.site_rules(urlsplit(page.final_url).hostname or "")
        article = extract_page(page, chosen.extract, site)
        return Extraction(article.text, article.title, article.authors, article.published)

    return ours


def page_of(sample: Sample) -> Page:
    """The sample decoded as a fetched page would be (charset rules and all)."""
    return page_from_bytes(sample.content, sample.url or f"file:{sample.page_id}")


def run(
    extract: Extractor, pages: Sequence[tuple[str, Page]]
) -> tuple[dict[str, Extraction], float]:
    """``extract`` over ``pages`` (page id, page): results by id, and CPU seconds spent. A
    ScraperError (no article, not HTML) is a refusal, kept with its code."""
    results: dict[str, Extraction] = {}
    started = time.process_time()
    for page_id, page in pages:
        try:
            results[page_id] = extract(page)
        except ScraperError as exc:
            results[page_id] = Extraction(error=f"{exc.code}: {exc.message}")
    return results, time.process_time() - started


@dataclass(frozen=True, slots=True)
class Comparison:
    """Scorecards of every extractor on a set (and its halves), and our per-page report."""

    cards: list[Scorecard]
    ours: EvalReport


def compare(
    samples: Sequence[Sample],
    settings: Settings | None = None,
    peers: Sequence[str] = PEERS,
    *,
    name: str = "set",
) -> Comparison:
    """Every extractor of ``peers`` (ours first) over ``samples``, scored from the same run.
    A set whose pages carry a ``domain`` label is scored whole and by half (``Sample.half``)."""
    pages = [(s.page_id, page_of(s)) for s in samples]
    results = {peer: run(extractor(peer, settings), pages) for peer in peers}
    groups: list[tuple[str, Sequence[Sample]]] = [(name, samples)]
    if any(s.labels.get("domain") for s in samples):
        groups += [(f"{name} {h}", [s for s in samples if s.half == h]) for h in ("A", "B")]
    cards = [
        scorecard(group, peer, subset, results[peer][0])
        for group, subset in groups
        for peer in peers
    ]
    ours, seconds = results[peers[0]]
    report = score_predictions(
        samples,
        {i: r.text for i, r in ours.items()},
        errors={i: r.error for i, r in ours.items() if r.error},
        seconds=seconds,
    )
    return Comparison(cards, report)


def _trafilatura(page: Page) -> Extraction:
    import trafilatura

    text = trafilatura.extract(page.html, include_comments=False) or ""
    meta = trafilatura.bare_extraction(
        page.html, url=page.url, with_metadata=True, include_comments=False
    )
    author = getattr(meta, "author", None) or ""
    return Extraction(
        text=text,
        title=getattr(meta, "title", None),
        authors=tuple(a.strip() for a in author.split(";") if a.strip()),
        published=getattr(meta, "date", None),
    )


def text_only(name: str, settings: Settings | None = None) -> Callable[[Page], str]:
    """The body alone, as fast as each extractor gives it: what the speed benchmark times."""
    if name == "trafilatura":
        import trafilatura

        return lambda page: trafilatura.extract(page.html, include_comments=False) or ""
    full = extractor(name, settings)
    return lambda page: full(page).text
