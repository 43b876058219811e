"""URLs in, URLs out: the pages a crawl should fetch, found in feeds, sitemaps and sections.

Nothing here fetches. The crawl loop fetches a feed, sitemap or section page and hands the
body here; what comes back is normalised ``Link`` values ready for the frontier. Every URL
passes through ``normalise_url``, the single definition of URL identity used for dedup.

Imports only ``scraper.models``, ``scraper.errors`` and ``scraper.config``.
"""

from __future__ import annotations

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
