"""Article metadata from the parsed page: JSON-LD first, then OpenGraph and <meta>, then markup.

Per field, the first usable candidate wins, in this order:

- title: JSON-LD headline, og:title (and other meta titles), first ``<h1>``, ``<title>``. A
  " | Site" / " - Site" affix is stripped when it names the site (site_name, publisher, or the
  host's main label), and a candidate that is only the site's name is skipped.
- canonical_url: ``<link rel=canonical>``, og:url, JSON-LD url/mainEntityOfPage; resolved against
  the page URL, http(s) only. A canonical pointing at the site root from a deeper page is a known
  CMS slip and is ignored.
- authors: JSON-LD author, then one meta key at a time (article:author, author, parsely-author…),
  then byline markup; sources are not mixed, so one person is not listed twice in two spellings.
- published / modified: JSON-LD, meta, microdata on elements; for published only, then the
  page's first ``<time>`` elements, a date written out under the ``<h1>``, and htmldate's
  extensive search as a last resort. ISO 8601, see ``dates``.
- language: ``<html lang>``, og:locale, content-language, JSON-LD inLanguage, reduced to the
  lowercase primary subtag ("en-GB" -> "en"): regional variants are spelled inconsistently across
  sites (en_GB, en-gb, en-UK), while the primary subtag is what language-dependent processing needs.
- site_name: og:site_name, JSON-LD publisher/WebSite name, application-name. og:site_name leads
  because JSON-LD publishers are often the parent company rather than the site.
- description, image, tags: JSON-LD, then meta. Tags come from one source, deduplicated, <= 30.

Chosen text values are repaired for mojibake (ftfy).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from scraper.extract import page_hints
from scraper.extract.authors import clean_authors
from scraper.extract.dates import date_in_text, guess_published, normalise_date
from scraper.extract.jsonld import JsonLdFacts, read_jsonld
from scraper.extract.meta_tags import (
    AUTHOR_KEYS,
    DESCRIPTION_KEYS,
    IMAGE_KEYS,
    LANGUAGE_KEYS,
    MODIFIED_KEYS,
    PUBLISHED_KEYS,
    PUBLISHER_KEYS,
    TAG_KEYS,
    TITLE_KEYS,
    URL_KEYS,
    MetaTags,
)
from scraper.extract.meta_text import (
    absolute_http_url,
    clean_text,
    first_text,
    name_key,
    repair,
)

MAX_TAGS = 30
_MAX_TAG_CHARS = 100
_WORD = re.compile(r"\w+")
_MIN_HEADLINE_WORDS = 2  # a one-word <h1> is a logo or a section name more often than not
_HEADLINE_OVERLAP = 0.3
_TITLE_SEPARATOR = re.compile(r"(\s+[|–—·•»:/-]{1,2}\s+|\s*\|\s*)")
_TAG_SPLIT = re.compile(r"[,;]")
_LANGUAGE = re.compile(r"([a-z]{2,3})(?:[-_][\w-]*)?", re.IGNORECASE)
_NOT_LANGUAGES = frozenset({"und", "mul", "mis", "zxx"})


@dataclass(frozen=True, slots=True)
class Metadata:
    title: str | None = None
    canonical_url: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None  # ISO 8601: date, or date-time with offset when known
    modified: str | None = None
    language: str | None = None  # lowercase primary subtag, e.g. "en"
    site_name: str | None = None
    description: str | None = None
    image: str | None = None
    tags: tuple[str, ...] = ()
    expected_words: int | None = None  # JSON-LD wordCount or articleBody words (truncation check)
    # the page says it is an article (JSON-LD article type, og:type article): never a section front
    declares_article: bool = False


def extract_metadata(tree: LexborHTMLParser, url: str) -> Metadata:
    """Read metadata from ``tree`` (the page as parsed, before any pruning)."""
    ld = read_jsonld(tree)
    meta = MetaTags(tree)
    site_name = first_text(meta.get("og:site_name"), ld.site_names, meta.get("application-name"))
    site_names = [name for name in (site_name, *ld.publishers, *meta.get(*PUBLISHER_KEYS)) if name]
    published = (
        _first_date(ld.published, meta.get(*PUBLISHED_KEYS))
        or _first_date(page_hints.itemprop_values(tree, "datePublished"))
        or _first_date(page_hints.time_values(tree))
        or date_in_text(page_hints.text_under_headline(tree))
        or guess_published(tree.html, url)
    )
    modified = _first_date(ld.modified, meta.get(*MODIFIED_KEYS)) or _first_date(
        page_hints.itemprop_values(tree, "dateModified")
    )
    return Metadata(
        title=repair(_title(tree, ld, meta, site_names, url)),
        canonical_url=_canonical(tree, ld, meta, url),
        authors=_authors(tree, ld, meta, site_names),
        published=published,
        modified=modified,
        language=_language(tree, ld, meta),
        site_name=repair(site_name),
        description=repair(first_text(ld.descriptions, meta.get(*DESCRIPTION_KEYS))),
        image=_first_url(url, ld.images, meta.get(*IMAGE_KEYS)),
        tags=_tags(ld, meta),
        expected_words=ld.expected_words,
        declares_article=ld.has_article
        or any(kind.strip().lower() == "article" for kind in meta.get("og:type")),
    )


def _title(
    tree: LexborHTMLParser, ld: JsonLdFacts, meta: MetaTags, site_names: list[str], url: str
) -> str | None:
    site_keys = {name_key(name) for name in site_names} | _host_keys(url)
    site_keys.discard("")
    declared = _first_title((*ld.titles, *meta.get(*TITLE_KEYS)), site_keys)
    headline = _first_title(page_hints.headings(tree), site_keys)
    if headline is not None and (declared is None or _shows(headline, declared)):
        return headline
    return declared or _first_title(page_hints.head_titles(tree), site_keys)


def _first_title(candidates: Iterable[str], site_keys: set[str]) -> str | None:
    for raw in candidates:
        title = strip_site_affix(clean_text(raw), site_keys)
        if title and name_key(title) not in site_keys:
            return title
    return None


def _shows(headline: str, declared: str) -> bool:
    """Whether the visible headline is the declared title as the reader sees it: most of its
    words are the declared title's (the declared one may carry a site or section name, be cut
    short with "...", or be an SEO variant of it)."""
    seen, said = _title_words(headline), _title_words(declared)
    if len(seen) < _MIN_HEADLINE_WORDS:
        return False
    return len(seen & said) >= _HEADLINE_OVERLAP * len(seen)


def _title_words(title: str) -> set[str]:
    return set(_WORD.findall(title.casefold()))


def strip_site_affix(title: str | None, site_keys: set[str]) -> str | None:
    """``title`` without a leading or trailing segment that names the site ("Story | Site")."""
    if not title:
        return None
    parts = _TITLE_SEPARATOR.split(title)  # [text, separator, text, ...]
    while len(parts) > 2 and name_key(parts[-1]) in site_keys:
        del parts[-2:]
    while len(parts) > 2 and name_key(parts[0]) in site_keys:
        del parts[:2]
    return "".join(parts).strip() or None


def _host_keys(url: str) -> set[str]:
    """Name keys for the host: "www.example-news.co.uk" gives "examplenewscouk", "examplenews"."""
    try:
        host = (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        return set()
    labels = host.split(".")
    if len(labels) < 2:
        return set()
    # Without a public-suffix list: a short second-level label (co, com, org, ac) is a suffix.
    main = labels[-3] if len(labels) > 2 and len(labels[-2]) <= 3 else labels[-2]
    return {name_key(host), name_key(main)}


def _canonical(tree: LexborHTMLParser, ld: JsonLdFacts, meta: MetaTags, url: str) -> str | None:
    page_is_root = urlsplit(url).path in ("", "/") if url else True
    for raw in (*page_hints.canonical_links(tree), *meta.get(*URL_KEYS), *ld.urls):
        resolved = absolute_http_url(raw, url)
        if resolved is None:
            continue
        if urlsplit(resolved).path in ("", "/") and not page_is_root:
            continue
        return resolved
    return None


def _authors(
    tree: LexborHTMLParser, ld: JsonLdFacts, meta: MetaTags, site_names: list[str]
) -> tuple[str, ...]:
    declared = [ld.authors, *meta.groups((key,) for key in AUTHOR_KEYS)]
    # Chained, not unpacked: each byline group costs a search of the page, needed only when
    # no earlier source names anyone.
    for group in chain(declared, page_hints.byline_groups(tree)):
        names = clean_authors((repair(clean_text(value)) for value in group), site_names)
        if names:
            return names
    # Nobody but the site itself: a personal site's owner ("Jane Doe" on janedoe.example), or
    # a company blog signed by the company. Taken only from a field that declares the author.
    for group in declared:
        names = clean_authors(repair(clean_text(value)) for value in group)
        if names:
            return names
    return ()


def _first_date(*groups: Iterable[str]) -> str | None:
    for group in groups:
        for raw in group:
            found = normalise_date(raw)
            if found:
                return found
    return None


def normalise_language(raw: object) -> str | None:
    """The lowercase primary language subtag of a tag or locale ("en-GB", "en_US" -> "en")."""
    text = clean_text(raw)
    if not text:
        return None
    found = _LANGUAGE.fullmatch(text.split(",")[0].strip())
    if not found or found[1].lower() in _NOT_LANGUAGES:
        return None
    return found[1].lower()


def _language(tree: LexborHTMLParser, ld: JsonLdFacts, meta: MetaTags) -> str | None:
    candidates = (*page_hints.document_languages(tree), *meta.get(*LANGUAGE_KEYS), *ld.languages)
    return next((lang for raw in candidates if (lang := normalise_language(raw))), None)


def _first_url(base: str, *groups: Sequence[str]) -> str | None:
    for group in groups:
        for raw in group:
            resolved = absolute_http_url(raw, base)
            if resolved:
                return resolved
    return None


def _tags(ld: JsonLdFacts, meta: MetaTags) -> tuple[str, ...]:
    for group in (ld.keywords, *meta.groups(TAG_KEYS)):
        tags: dict[str, str] = {}  # casefolded -> first spelling, in order
        for raw in group:
            for piece in _TAG_SPLIT.split(raw):
                tag = clean_text(piece)
                if tag and len(tag) <= _MAX_TAG_CHARS:
                    tags.setdefault(tag.casefold(), tag)
        if tags:
            # Repair only what is kept: ftfy is the costly step and keyword lists run long.
            kept = (repair(tag) for tag in list(tags.values())[:MAX_TAGS])
            return tuple(tag for tag in kept if tag)
    return ()
