"""Section and front pages -> article Links on the same site.

Which link is a story is decided from its URL (``is_article_url``): news sites put a date, a
long slug or a numeric id in story URLs and keep tags, authors, pagination and service
pages under fixed words. Anchors inside ``<article>``, ``<h2>`` and ``<h3>`` are headline
links: they may also point at an opaque story id (``/news/articles/c4g2d5x0y7jo``), and
when the cap bites they are kept before links found elsewhere on the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice
from urllib.parse import parse_qsl, unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser

from scraper.discover.shape import check_html_shape
from scraper.discover.urls import normalise_url
from scraper.discover.values import Link, clean_title
from scraper.errors import ExtractError

# A real front page has a few hundred anchors; past this many the page is hostile or
# generated, and reading on would only cost time (reliability: 10^6 <a> tags).
MAX_ANCHORS = 20_000
_ANCHOR = re.compile(r"<a[\s>]", re.IGNORECASE)
_HEADLINE_ANCHORS = "article a[href], h2 a[href], h3 a[href]"

# Path segments that mark listings and service pages rather than stories.
_NOT_STORY_SEGMENTS = frozenset({
    "tag", "tags", "topic", "topics", "category", "categories", "section", "sections", "author",
    "authors", "by", "contributor", "contributors", "writer", "writers", "staff", "people",
    "page", "search", "login", "log-in", "logout", "signin", "sign-in", "signup", "sign-up",
    "register", "account", "profile", "subscribe", "subscription", "subscriptions", "newsletter",
    "newsletters", "feed", "feeds", "rss", "about", "about-us", "contact", "contact-us",
    "privacy", "privacy-policy", "privacy-notice", "cookies", "cookie-policy",
    "privacy-and-cookie-policy", "terms", "terms-of-service", "terms-of-use",
    "terms-and-conditions", "legal", "imprint", "impressum", "wp-admin", "wp-login.php",
    "wp-json", "cdn-cgi",
})  # fmt: skip
_LISTING_LAST_SEGMENTS = frozenset({"video", "videos", "podcasts", "photos", "gallery"})
_LISTING_QUERY_KEYS = frozenset({"page", "s", "q", "query", "search", "tag", "category"})
_FILE_EXTENSIONS = frozenset({
    "jpg", "jpeg", "png", "gif", "webp", "avif", "svg", "ico", "bmp", "tif", "tiff", "pdf", "xml",
    "rss", "atom", "json", "txt", "csv", "zip", "gz", "tgz", "rar", "7z", "mp3", "mp4", "m4a",
    "m4v", "mov", "avi", "wmv", "webm", "ogg", "wav", "flac", "css", "js", "woff", "woff2", "ttf",
    "eot", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "epub", "exe", "dmg", "apk",
})  # fmt: skip
_YEAR = re.compile(r"^(?:199\d|20\d\d)$")
_MONTH = re.compile(r"^(?:0?[1-9]|1[0-2])$")
_DAY = re.compile(r"^(?:0?[1-9]|[12]\d|3[01])$")
_NUMERIC_ID = re.compile(r"\d{5,}")
_SLUG_HYPHENS = 3  # "several": four or more words
_STORY_ID = re.compile(r"^(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{8,}$")


def is_article_url(url: str) -> bool:
    """True if the URL looks like one story rather than a listing, file or service page.

    A story URL has one of: a date path (/2025/03/14/slug or /2025/03/slug, with something
    after the date: a bare /2025/03/ is a monthly archive), a slug of four or more words
    joined by hyphens, or a numeric id of five or more digits. It must not contain a
    tag/category/author/page/search/login/subscribe/feed/about/contact/privacy/terms
    segment, end in a video or photo listing, carry a listing query (?page=, ?s=, ?tag=),
    or end in a file extension such as .jpg, .pdf or .xml.
    """
    segments = _segments(url)
    if segments is None:
        return False
    return _has_date(segments) or _has_slug(segments) or _has_numeric_id(segments)


def section_links(html: str, base_url: str, *, max_links: int = 1000) -> list[Link]:
    """Story links of a section or front page, on the page's own host (or its www-variant),
    normalised, deduplicated in page order, at most ``max_links`` (headline anchors first)."""
    page = normalise_url(base_url)
    if page is None or max_links <= 0:
        return []
    html = _first_anchors(html)
    # This runs in the crawl's own process, with no time limit: refuse a quadratic page first.
    check_html_shape(html, base_url, max_elements=None)
    try:
        tree = LexborHTMLParser(html)
    except Exception as exc:  # selectolax signals parser trouble with assorted errors
        raise ExtractError(f"HTML could not be parsed: {exc!r}", url=base_url) from exc
    resolve_base = _document_base(tree, page)
    site = _site(page)
    headlines = {node.mem_id for node in islice(tree.css(_HEADLINE_ANCHORS), MAX_ANCHORS)}
    found: dict[str, _Found] = {}
    for anchor in islice(tree.css("a[href]"), MAX_ANCHORS):
        url = normalise_url(anchor.attributes.get("href") or "", resolve_base)
        if url is None or url == page or _site(url) != site:
            continue
        headline = anchor.mem_id in headlines
        if not (is_article_url(url) or (headline and _is_story_id_url(url))):
            continue
        title = clean_title(anchor.text(deep=True, separator=" ", strip=True))
        _remember(found, url, headline, title or clean_title(anchor.attributes.get("title")))
    return _capped(found, max_links)


def _first_anchors(html: str) -> str:
    """The page cut before its (MAX_ANCHORS + 1)-th link: the parser then builds, and the
    selectors then wrap, at most MAX_ANCHORS anchors (10^6 of them took 900 MiB here)."""
    beyond = next(islice(_ANCHOR.finditer(html), MAX_ANCHORS, None), None)
    return html if beyond is None else html[: beyond.start()]


@dataclass(slots=True)
class _Found:
    headline: bool
    title: str | None


def _remember(found: dict[str, _Found], url: str, headline: bool, title: str | None) -> None:
    # The first anchor fixes the position; a later headline anchor for the same URL still
    # marks it a headline and lends it its text (a card's image link comes before its title).
    seen = found.get(url)
    if seen is None:
        found[url] = _Found(headline, title)
    elif headline and not seen.headline:
        seen.headline = True
        seen.title = title or seen.title
    elif seen.title is None:
        seen.title = title


def _capped(found: dict[str, _Found], max_links: int) -> list[Link]:
    urls = list(found)
    if len(urls) > max_links:
        ranked = sorted(urls, key=lambda url: not found[url].headline)  # stable: page order
        keep = set(ranked[:max_links])
        urls = [url for url in urls if url in keep]
    return [Link(url=url, title=found[url].title) for url in urls]


def _document_base(tree: LexborHTMLParser, page: str) -> str:
    """The page URL, or the document's own ``<base href>`` if it gives a usable one."""
    base = tree.css_first("base[href]")
    href = base.attributes.get("href") if base is not None else None
    return (normalise_url(href, page) or page) if href else page


def _site(url: str) -> str:
    host = urlsplit(url).netloc
    return host[4:] if host.startswith("www.") else host


def _segments(url: str) -> list[str] | None:
    """Lowercased path segments of a possible story URL; None if it is ruled out outright."""
    parts = urlsplit(url)
    segments = [unquote(segment).lower() for segment in parts.path.split("/") if segment]
    if not segments or segments[-1] in _LISTING_LAST_SEGMENTS:
        return None
    if any(segment in _NOT_STORY_SEGMENTS for segment in segments):
        return None
    if any(key.lower() in _LISTING_QUERY_KEYS for key, _ in parse_qsl(parts.query)):
        return None
    _stem, dot, extension = segments[-1].rpartition(".")
    if dot and extension in _FILE_EXTENSIONS:
        return None
    return segments


def _has_date(segments: list[str]) -> bool:
    for i in range(len(segments) - 2):
        if _YEAR.match(segments[i]) and _MONTH.match(segments[i + 1]):
            after = i + 3 if _DAY.match(segments[i + 2]) else i + 2
            if after < len(segments):
                return True
    return False


def _has_slug(segments: list[str]) -> bool:
    return any(segment.count("-") >= _SLUG_HYPHENS for segment in segments)


def _has_numeric_id(segments: list[str]) -> bool:
    return any(_NUMERIC_ID.search(segment) for segment in segments)


def _is_story_id_url(url: str) -> bool:
    segments = _segments(url)
    return segments is not None and len(segments) >= 2 and bool(_STORY_ID.match(segments[-1]))
