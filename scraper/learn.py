"""Learn site templates from sample pages (``scraper learn URL-or-FILE ...``).

Each source is read (a file) or fetched (a URL), extracted with its block signatures, and
counted for its host in the template store (``extract.templates_path``). Pages that are no
article (section fronts, error pages) teach nothing: their blocks would dilute the share of
the blocks that articles repeat. A page already learned counts once, so running the command
again over the same sample changes nothing.

Like ``pipeline``, this module wires stages (fetch, extract) and holds no rules of its own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from scraper.config import Settings
from scraper.errors import ScraperError
from scraper.extract import extract_page
from scraper.extract.templates import SiteTemplate, TemplateStore, host_key
from scraper.fetch import fetch, make_client, page_from_bytes
from scraper.fetch.guard import AddressGuard
from scraper.inputs import expand, is_url, read_html
from scraper.models import Page

__all__ = ["LearnReport", "LearnedPage", "format_learn_report", "learn_from_files", "template_for"]


@dataclass(frozen=True, slots=True)
class LearnedPage:
    """What became of one source: learned, already known, or skipped (with the reason)."""

    source: str
    status: str  # "learned" | "known" | "skipped"
    host: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class LearnReport:
    store_path: Path
    pages: tuple[LearnedPage, ...]
    templates: dict[str, SiteTemplate] = field(default_factory=dict)  # each host, after learning

    @property
    def learned(self) -> int:
        return sum(page.status == "learned" for page in self.pages)

    @property
    def skipped(self) -> int:
        return sum(page.status == "skipped" for page in self.pages)


def learn_from_files(
    sources: Sequence[str | Path], settings: Settings, *, host: str | None = None
) -> LearnReport:
    """Learn the templates of the sources' sites into ``settings.extract.templates_path``.

    ``sources`` are http(s) URLs (fetched one at a time, ``crawl.delay`` apart per host), HTML
    files (``.gz`` too) and folders of them. A file's host is the host of its page's canonical
    URL; ``host``, when given, is the host of every source.
    """
    path = settings.extract.templates_path
    results: list[LearnedPage] = []
    with TemplateStore(path) as store:
        for source, page in _pages(expand(str(s) for s in sources), settings):
            if isinstance(page, ScraperError):
                results.append(LearnedPage(source, "skipped", reason=page.message))
                continue
            results.append(_learn_one(store, source, page, settings, host))
        hosts = sorted({r.host for r in results if r.host})
        templates = {h: store.template(h) for h in hosts}
    return LearnReport(path, tuple(results), templates)


def template_for(settings: Settings, url: str) -> SiteTemplate | None:
    """The learned template of ``url``'s host, or None when nothing was learned for it (no
    store file is created just to find that out)."""
    path = settings.extract.templates_path
    host = urlsplit(url).hostname
    if not host or not path.is_file():
        return None
    with TemplateStore(path) as store:
        template = store.template(host)
    return template if template.signatures else None


def format_learn_report(report: LearnReport) -> str:
    lines = []
    for page in report.pages:
        detail = page.host if page.status != "skipped" else page.reason
        lines.append(f"{page.status:<8} {page.source}  ({detail})")
    for host, template in report.templates.items():
        lines.append(
            f"template {host}: {len(template.signatures)} block(s) from {template.pages} page(s)"
        )
    lines.append(f"{report.learned} page(s) learned into {report.store_path}")
    return "\n".join(lines)


def _learn_one(
    store: TemplateStore, source: str, page: Page, settings: Settings, host: str | None
) -> LearnedPage:
    try:
        site = settings.site_rules(urlsplit(page.final_url).hostname or "")
        article = extract_page(page, settings.extract, site, signatures=True)
    except ScraperError as exc:
        return LearnedPage(source, "skipped", reason=exc.message)
    page_url = article.canonical_url or page.final_url
    site_host = host or _web_host(page.final_url) or _web_host(article.canonical_url)
    if not site_host:
        reason = "no http(s) URL for this page: give its host"
        return LearnedPage(source, "skipped", reason=reason)
    site_host = host_key(site_host)
    new = store.learn(site_host, page_url, article.signatures)
    return LearnedPage(source, "learned" if new else "known", host=site_host)


def _web_host(url: str | None) -> str | None:
    parts = urlsplit(url or "")
    return parts.hostname if parts.scheme in ("http", "https") else None


def _pages(sources: list[str], settings: Settings) -> list[tuple[str, Page | ScraperError]]:
    """Each source as a Page (or the error that kept it from being one), in input order."""
    urls = [s for s in sources if is_url(s)]
    pages = asyncio.run(_fetch_politely(urls, settings)) if urls else []
    fetched = dict(zip(urls, pages, strict=True))
    return [(s, fetched[s] if s in fetched else _read(s)) for s in sources]


def _read(source: str) -> Page | ScraperError:
    try:
        return page_from_bytes(read_html(Path(source)), Path(source).resolve().as_uri())
    except ScraperError as exc:
        return exc


async def _fetch_politely(urls: list[str], settings: Settings) -> list[Page | ScraperError]:
    """One request at a time, ``crawl.delay`` seconds apart on the same host."""
    results: list[Page | ScraperError] = []
    last: dict[str, float] = {}
    # URLs the user typed: their hosts may be on any address; a redirect elsewhere is checked.
    guard = AddressGuard.from_settings(settings.fetch, trusted_urls=urls)
    async with make_client(settings.fetch, guard) as client:
        for url in urls:
            host = urlsplit(url).hostname or ""
            wait = last.get(host, float("-inf")) + settings.crawl.delay - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                results.append(await fetch(url, client, settings.fetch))
            except ScraperError as exc:
                results.append(exc)
            last[host] = time.monotonic()
    return results
