"""Metadata from ``<meta>`` tags: OpenGraph, Twitter, Dublin Core, Parse.ly, Sailthru, microdata.

The page's meta tags are read once into a case-insensitive multimap; the key lists below say,
per field, which names to try and in what order (the most specific and best kept first).
"""

from __future__ import annotations

from collections.abc import Iterable

from selectolax.lexbor import LexborHTMLParser

# The attributes that name a <meta> tag's value; sites mix them freely (property="author" too).
_NAME_ATTRIBUTES = ("property", "name", "itemprop", "http-equiv")

TITLE_KEYS = (
    "og:title",
    "twitter:title",
    "parsely-title",
    "sailthru.title",
    "dc.title",
    "dcterms.title",
    "headline",
)
URL_KEYS = ("og:url",)
AUTHOR_KEYS = (
    "article:author",
    "author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "dcterms.creator",
    "byl",
    "citation_author",
)
PUBLISHED_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "article:published",
    "datepublished",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "dc.date.created",
    "dcterms.created",
    "citation_publication_date",
    "publish-date",
    "publish_date",
    "publishdate",
    "publication_date",
    "pubdate",
    "date",
)
MODIFIED_KEYS = (
    "article:modified_time",
    "og:article:modified_time",
    "article:modified",
    "datemodified",
    "og:updated_time",
    "dc.date.modified",
    "dcterms.modified",
    "last-modified",
    "lastmod",
)
LANGUAGE_KEYS = ("og:locale", "content-language", "dc.language", "dcterms.language", "language")
PUBLISHER_KEYS = ("article:publisher", "dc.publisher", "dcterms.publisher", "publisher")
DESCRIPTION_KEYS = (
    "og:description",
    "twitter:description",
    "description",
    "dc.description",
    "dcterms.description",
    "sailthru.description",
)
IMAGE_KEYS = (
    "og:image",
    "og:image:secure_url",
    "og:image:url",
    "twitter:image",
    "twitter:image:src",
    "parsely-image-url",
    "sailthru.image.full",
    "thumbnailurl",
)
TAG_KEYS = (
    ("article:tag",),
    ("news_keywords",),
    ("keywords",),
    ("parsely-tags",),
    ("sailthru.tags",),
)


class MetaTags:
    """All ``<meta>`` name/value pairs of a page; names are compared lowercased."""

    __slots__ = ("_values",)

    def __init__(self, tree: LexborHTMLParser) -> None:
        self._values: dict[str, list[str]] = {}
        for node in tree.css("meta[content]"):
            attributes = node.attributes
            content = attributes.get("content")
            if not content:
                continue
            # A tag naming itself twice (name= and property= alike) counts once.
            keys = {attributes.get(attribute) for attribute in _NAME_ATTRIBUTES}
            for key in keys:
                if key:
                    self._values.setdefault(key.strip().lower(), []).append(content)

    def get(self, *keys: str) -> list[str]:
        """Values of ``keys``, in key order, then document order."""
        found: list[str] = []
        for key in keys:
            found.extend(self._values.get(key, ()))
        return found

    def groups(self, key_groups: Iterable[tuple[str, ...]]) -> list[list[str]]:
        """One list of values per group of keys (for fields where sources must not be mixed)."""
        return [self.get(*keys) for keys in key_groups]
