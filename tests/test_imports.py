"""What the crawl's two start-up processes import: a crawl is CPU-bound, so every module
loaded that the process never uses is CPU time taken from fetching and extracting."""

from __future__ import annotations

import subprocess
import sys

from scraper.crawl.forkserver import PRELOAD

# The extraction stack: only the extraction workers (and scrape, extract, eval, learn) run it.
EXTRACTION = {
    "ftfy",
    "trafilatura",
    "scraper.evaluate",
    "scraper.extract.chrome",
    "scraper.extract.metadata",
    "scraper.extract.page",
    "scraper.inputs",
    "scraper.learn",
    "scraper.pipeline",
}
# Workers extract pages handed to them: they never fetch, discover or parse arguments.
NOT_IN_WORKERS = {"feedparser", "httpx", "typer", "yaml", "scraper.discover.feeds", "scraper.fetch"}


def _loaded(imports: str) -> set[str]:
    """The modules a new interpreter holds after ``import <imports>``."""
    code = f"import sys, {imports}; print(' '.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_crawl_process_loads_no_extraction_stack() -> None:
    loaded = _loaded("scraper.cli, scraper.crawl.runner")
    assert "scraper.crawl.runner" in loaded
    assert loaded & EXTRACTION == set()
    extract = {name for name in loaded if name.startswith("scraper.extract")}
    assert extract == {"scraper.extract", "scraper.extract.templates"}


def test_forkserver_preload_loads_only_extraction() -> None:
    loaded = _loaded(", ".join(PRELOAD))
    assert {"scraper.extract.page", "trafilatura"} <= loaded
    assert loaded & NOT_IN_WORKERS == set()
    discover = {name for name in loaded if name.startswith("scraper.discover")}
    assert discover == {"scraper.discover", "scraper.discover.shape"}
