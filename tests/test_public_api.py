"""The public names outside tools rely on: a change here is a breaking change."""

from __future__ import annotations

import inspect
from pathlib import Path

import scraper

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "article.html"


def test_all_lists_exactly_the_public_names() -> None:
    public = {name for name in vars(scraper) if not name.startswith("_")} - {"annotations"}
    modules = {name for name in public if inspect.ismodule(getattr(scraper, name))}
    assert set(scraper.__all__) == (public - modules) | {"__version__"}


def test_every_error_is_a_scraper_error() -> None:
    errors = [getattr(scraper, n) for n in scraper.__all__ if n.endswith("Error")]
    assert len(errors) == 8
    for error in errors:
        assert issubclass(error, scraper.ScraperError)
    assert issubclass(scraper.NoContentError, scraper.ExtractError)
    assert issubclass(scraper.TransientFetchError, scraper.FetchError)


def test_extract_signature_and_result() -> None:
    params = list(inspect.signature(scraper.extract).parameters)
    assert params[:2] == ["html", "url"]
    article = scraper.extract(EXAMPLE.read_text(encoding="utf-8"), "https://courier.example/n/1")
    assert isinstance(article, scraper.Article)
    assert article.text.startswith("Port Elwen switched on")
    assert article.url == "https://courier.example/n/1"


def test_scrape_signature() -> None:
    assert next(iter(inspect.signature(scraper.scrape).parameters)) == "url"
