"""The public names outside tools rely on: a change here is a breaking change."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import scraper

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "article.html"


def test_all_lists_exactly_the_public_names() -> None:
    for name in scraper.__all__:  # some load on first use: each must resolve
        getattr(scraper, name)
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


def _fresh(code: str) -> str:
    """``code`` run by a new interpreter, so no earlier import in this one decides the result."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_import_scraper_loads_no_pipeline() -> None:
    # The command line starts a crawl's extraction workers before the rest of the package
    # loads, which only pays off while ``import scraper`` stays this light.
    loaded = _fresh(
        "import sys, scraper; print(sorted(m for m in sys.modules"
        " if m.split('.')[0] in {'scraper', 'httpx', 'pydantic', 'selectolax', 'trafilatura'}))"
    )
    assert loaded == "['scraper', 'scraper._lazy', 'scraper.errors', 'scraper.models']"


def test_extract_stays_the_function_when_the_subpackage_loads_first() -> None:
    # Loading the subpackage scraper.extract sets the package attribute of that name.
    shown = _fresh(
        "import scraper.extract.templates, scraper; import scraper.pipeline;"
        " print(scraper.extract is scraper.pipeline.extract, callable(scraper.extract))"
    )
    assert shown == "True True"
