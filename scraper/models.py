"""The frozen values that cross stage boundaries: fetch makes a Page, extract makes an Article."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Page:
    """One fetched (or locally read) HTML document, already decoded to text."""

    url: str
    final_url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    html: str
    encoding: str
    encoding_source: str  # "bom" | "header" | "meta" | "detected" | "default" | "given"
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class DroppedBlock:
    """A block the extractor removed, and the rule that removed it (for --explain)."""

    rule: str
    text: str


@dataclass(frozen=True, slots=True)
class Article:
    """Clean article text plus metadata. ``text`` holds paragraphs separated by blank lines."""

    url: str
    final_url: str
    text: str
    title: str | None = None
    canonical_url: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None  # ISO 8601
    modified: str | None = None  # ISO 8601
    language: str | None = None
    site_name: str | None = None
    description: str | None = None
    image: str | None = None
    tags: tuple[str, ...] = ()
    fetched_at: datetime | None = None
    extractor_version: str = ""
    # How the page's bytes became text (Page.encoding, Page.encoding_source), so a wrong guess
    # can be found in the output later.
    encoding: str | None = None
    encoding_source: str | None = None
    # How clean the extraction looks, in [0, 1], and what lowered it ("too_short", "link_dense",
    # "teaser_or_truncated", "missing_title", "missing_date"): see scraper.extract.quality.
    quality: float = 1.0
    quality_reasons: tuple[str, ...] = ()
    dropped: tuple[DroppedBlock, ...] = field(default=(), repr=False)
    # Hashes of the page's blocks, for learning the site's template (TemplateStore.learn); only
    # filled when asked for, never saved with the article.
    signatures: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    @property
    def word_count(self) -> int:
        return _words(self.text)[0]

    @property
    def fingerprint(self) -> str:
        """A digest of the words of the body, blind to whitespace, case and punctuation."""
        return _words(self.text)[1]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: every metadata key, the text, and provenance."""
        return {
            "url": self.url,
            "final_url": self.final_url,
            "canonical_url": self.canonical_url,
            "title": self.title,
            "authors": list(self.authors),
            "published": self.published,
            "modified": self.modified,
            "language": self.language,
            "site_name": self.site_name,
            "description": self.description,
            "image": self.image,
            "tags": list(self.tags),
            "text": self.text,
            "word_count": self.word_count,
            "fingerprint": self.fingerprint,
            "fetched_at": self.fetched_at.isoformat() if self.fetched_at else None,
            "extractor_version": self.extractor_version,
            "encoding": self.encoding,
            "encoding_source": self.encoding_source,
            "quality": self.quality,
            "quality_reasons": list(self.quality_reasons),
        }


# Extraction asks for an article's word count, then its stored form for that and its fingerprint:
# both come from one scan of the text, and asking again is a lookup (str keeps its hash).
@lru_cache(maxsize=2)
def _words(text: str) -> tuple[int, str]:
    """(word count, fingerprint) of ``text``."""
    lower = text.lower()
    words = _WORD.findall(lower)
    # Where lowercasing keeps every character one character, the words of ``lower`` are those
    # of ``text``: no character is a word character in one case and not in the other
    # (tests/extract/test_article_words.py checks every code point).
    count = len(words) if len(lower) == len(text) else len(_WORD.findall(text))
    return count, hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()[:32]
