"""The values discover hands to the crawl loop, and the one error it adds to the tree."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from scraper.errors import ScraperError

# A title is a label for logs and queues; a hostile source must not make it megabytes long.
MAX_TITLE_CHARS = 500
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Link:
    """A page URL found in a feed, sitemap or section page."""

    url: str  # already normalised (normalise_url), so it can be compared as-is
    published: datetime | None = None  # tz-aware UTC, when the source dated the item
    title: str | None = None


@dataclass(frozen=True, slots=True)
class SitemapResult:
    """What one sitemap document lists: pages (urlset) and child sitemaps (sitemapindex)."""

    links: tuple[Link, ...]  # at most max_urls, deduplicated, in document order
    sitemaps: tuple[str, ...]  # child sitemap URLs, normalised and deduplicated
    # Not all of the document was read: a cap (max_urls, max_bytes) was hit, a gzip stream
    # was corrupt or cut short, or the XML parser refused the rest (an entity bomb). What was
    # read before that point is still returned.
    truncated: bool


class NotAFeedError(ScraperError):
    """The bytes are not an RSS, Atom or JSON feed at all (HTML, garbage, empty), or are a
    hostile one the XML parser refuses (nesting deeper than 256, entity amplification).

    A real feed with no items is not an error: it gives ``[]``.
    """

    default_code = "not_a_feed"


def clean_title(text: object) -> str | None:
    """Whitespace collapsed and length capped; None when there is no text."""
    if not isinstance(text, str):
        return None
    text = _SPACES.sub(" ", text[: MAX_TITLE_CHARS * 4]).strip()[:MAX_TITLE_CHARS].rstrip()
    return text or None
