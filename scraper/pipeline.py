"""fetch -> extract -> write. The only module that knows the order of the stages."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from scraper.config import Settings
from scraper.errors import ScraperError
from scraper.extract import extract_page
from scraper.fetch import fetch, make_client
from scraper.fetch.guard import AddressGuard
from scraper.fetch.robots import RobotsChecker
from scraper.learn import template_for
from scraper.models import Article, Page
from scraper.write import open_writers

# Hosts are fetched concurrently for multi-URL commands, but never more than this at once.
MAX_CONCURRENT_FETCHES = 8


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one input: an article (and the files written for it) or an error."""

    source: str
    article: Article | None = None
    error: ScraperError | None = None
    paths: tuple[Path, ...] = ()


def extract_from_page(page: Page, settings: Settings) -> Article:
    """Extract with the site's configured rules and the template learned for its host."""
    site = settings.site_rules(urlsplit(page.final_url).hostname or "")
    return extract_page(page, settings.extract, site, template_for(settings, page.final_url))


def extract(html: str, url: str, settings: Settings | None = None) -> Article:
    """Extract the article from an HTML string that was fetched elsewhere."""
    page = Page(
        url=url,
        final_url=url,
        status=200,
        headers={},
        content=html.encode("utf-8", "surrogatepass"),
        html=html,
        encoding="utf-8",
        encoding_source="given",
        fetched_at=datetime.now(UTC),
    )
    return extract_from_page(page, settings or Settings())


async def fetch_article(
    url: str, client: httpx.AsyncClient, settings: Settings, robots: RobotsChecker | None = None
) -> Article:
    """Fetch and extract ``url``; with ``robots``, refuse first what its robots.txt forbids."""
    if robots is not None:
        await robots.require_allowed(url)
    page = await fetch(url, client, settings.fetch)
    return extract_from_page(page, settings)


def _robots(
    client: httpx.AsyncClient, settings: Settings, obey: bool | None
) -> RobotsChecker | None:
    obey = settings.crawl.obey_robots if obey is None else obey
    return RobotsChecker(client, settings.fetch, settings.crawl) if obey else None


def scrape(
    url: str, settings: Settings | None = None, *, obey_robots: bool | None = None
) -> Article:
    """Fetch one URL and return its article. Raises a ScraperError subclass on failure
    (RobotsDisallowed when robots.txt forbids the URL; ``obey_robots=False`` skips that
    check; None follows ``crawl.obey_robots``, true by default)."""
    settings = settings or Settings()

    async def run() -> Article:
        async with make_client(settings.fetch, _user_guard([url], settings)) as client:
            return await fetch_article(
                url, client, settings, _robots(client, settings, obey_robots)
            )

    return asyncio.run(run())


def scrape_many(urls: Sequence[str], settings: Settings) -> list[Outcome]:
    """Fetch and extract every URL (concurrently, bounded); one Outcome per URL, in order.
    robots.txt is asked once per origin unless ``crawl.obey_robots`` is off."""

    async def run() -> list[Outcome]:
        gate = asyncio.Semaphore(MAX_CONCURRENT_FETCHES)
        async with make_client(settings.fetch, _user_guard(urls, settings)) as client:
            robots = _robots(client, settings, None)

            async def one(url: str) -> Outcome:
                async with gate:
                    return await _attempt(url, lambda: fetch_article(url, client, settings, robots))

            return list(await asyncio.gather(*(one(url) for url in urls)))

    return asyncio.run(run())


def _user_guard(urls: Sequence[str], settings: Settings) -> AddressGuard:
    """URLs the user typed may reach any address (an intranet page, a local server); a
    redirect to another host is checked like a crawl's unless allow_private_addresses."""
    return AddressGuard.from_settings(settings.fetch, trusted_urls=urls)


async def _attempt(source: str, work: Callable[[], Awaitable[Article]]) -> Outcome:
    try:
        return Outcome(source, article=await work())
    except ScraperError as exc:
        exc.url = exc.url or source
        return Outcome(source, error=exc)


def write_outcomes(outcomes: Sequence[Outcome], settings: Settings) -> list[Outcome]:
    """Save every article with the configured writers; a failed write becomes that URL's error."""
    written: list[Outcome] = []
    with open_writers(settings.write) as sink:
        for outcome in outcomes:
            if outcome.article is None:
                written.append(outcome)
                continue
            try:
                paths = tuple(sink.write(outcome.article))
            except ScraperError as exc:
                written.append(Outcome(outcome.source, error=exc))
            else:
                written.append(Outcome(outcome.source, article=outcome.article, paths=paths))
    return written
