"""Small text helpers shared by the metadata readers (JSON-LD, <meta>, HTML hints)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from urllib.parse import urldefrag, urljoin, urlsplit

import ftfy

_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_SPACE = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[\W_]+")


def clean_text(value: object) -> str | None:
    """Trimmed, whitespace-collapsed text with entities decoded and stray tags removed.

    Values come from attributes and JSON-LD, where CMSes often leave escaped or tagged text.
    Cheap on purpose: it runs on every candidate; ``repair`` runs only on chosen values.
    """
    if not isinstance(value, str) or not value:
        return None
    if "<" in value:
        value = _TAG.sub(" ", value)
    if "&" in value:
        value = html.unescape(value)
    value = _SPACE.sub(" ", value).strip()
    return value or None


def repair(value: str | None) -> str | None:
    """Mojibake repair for a value about to be returned (curly quotes are not damage: kept)."""
    if value is None:
        return None
    # ftfy is the costly step, and printable ASCII holds nothing for it to fix (no mojibake,
    # no control characters): it comes back unchanged.
    fixed: str = (
        value
        if value.isascii() and value.isprintable()
        else ftfy.fix_text(value, uncurl_quotes=False, unescape_html=False)
    )
    return _SPACE.sub(" ", fixed).strip() or None


def name_key(value: str) -> str:
    """A comparison key for names: case, punctuation, spaces and a leading "the" ignored."""
    key = _NOT_ALNUM.sub("", value.casefold())
    return key.removeprefix("the") or key


def first_text(*groups: Iterable[object]) -> str | None:
    """The first non-empty cleaned string across the candidate groups, in order."""
    for group in groups:
        for value in group:
            text = clean_text(value)
            if text:
                return text
    return None


def absolute_http_url(value: object, base: str) -> str | None:
    """``value`` resolved against ``base``, without fragment; None unless it is http(s)."""
    text = clean_text(value)
    if not text or text.startswith(("data:", "javascript:")):
        return None
    try:
        resolved, _ = urldefrag(urljoin(base, text))
        parts = urlsplit(resolved)
    except ValueError:  # malformed (e.g. bad IPv6 literal): not a usable URL
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return resolved
