"""Entry points of ``scraper`` and ``python -m scraper``, and of ``scrape``.

Kept apart from scraper.cli, which imports ~0.5 s of libraries (pydantic, httpx, typer...):
a crawl starts its extraction workers' server first (scraper.crawl.forkserver), so that
server's imports and ours overlap.
"""

from __future__ import annotations

import sys


def main() -> None:
    if _command(sys.argv[1:]) == "crawl":
        from scraper.crawl.forkserver import start_early

        start_early()
    from scraper.cli import main as run

    run()


def scrape_main() -> None:
    from scraper.cli import scrape_main as run

    run()


def _command(arguments: list[str]) -> str | None:
    """The subcommand asked for: the first argument that is not an option."""
    return next((argument for argument in arguments if not argument.startswith("-")), None)


if __name__ == "__main__":
    main()
