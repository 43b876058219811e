"""URLs in, URLs out: the pages a crawl should fetch, found in feeds, sitemaps and sections.

Nothing here fetches. The crawl loop fetches a feed, sitemap or section page and hands the
body here; what comes back is normalised ``Link`` values ready for the frontier. Every URL
passes through ``normalise_url``, the single definition of URL identity used for dedup.

Imports only ``scraper.models``, ``scraper.errors`` and ``scraper.config``. The names below
load on first use (PEP 562, through ``scraper._lazy``): the extraction workers import
``scraper.discover.shape`` alone, and must not pay for the feed parser (feedparser) and the
sitemap and section readers.
"""

from __future__ import annotations

import typing

from scraper._lazy import lazy_names as _lazy_names

if typing.TYPE_CHECKING:
    from scraper.discover.feeds import parse_feed
    from scraper.discover.filters import UrlFilter
    from scraper.discover.sections import is_article_url, section_links
    from scraper.discover.sitemaps import parse_sitemap
    from scraper.discover.urls import is_tracking_param, normalise_url
    from scraper.discover.values import Link, NotAFeedError, SitemapResult

__all__ = [
    "Link",
    "NotAFeedError",
    "SitemapResult",
    "UrlFilter",
    "is_article_url",
    "is_tracking_param",
    "normalise_url",
    "parse_feed",
    "parse_sitemap",
    "section_links",
]

_LAZY = {
    "Link": "scraper.discover.values",
    "NotAFeedError": "scraper.discover.values",
    "SitemapResult": "scraper.discover.values",
    "UrlFilter": "scraper.discover.filters",
    "is_article_url": "scraper.discover.sections",
    "is_tracking_param": "scraper.discover.urls",
    "normalise_url": "scraper.discover.urls",
    "parse_feed": "scraper.discover.feeds",
    "parse_sitemap": "scraper.discover.sitemaps",
    "section_links": "scraper.discover.sections",
}


__getattr__ = _lazy_names(__name__, _LAZY, globals())
