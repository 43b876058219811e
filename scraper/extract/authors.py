"""Author names: bylines and metadata values in, a short list of people out.

Authors are people. A value that is the site or its publisher (or starts like it: "Site
Business" on "Site"), a role ("Staff Writer"), a URL, an e-mail address, a social handle, a
weekday or a credential ("MD" after a name) is dropped rather than guessed at; a profile URL
yields nothing, because the name in its path is a slug, not a spelling we can trust.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from scraper.extract.meta_text import clean_text
from scraper.extract.patterns import words

MAX_AUTHORS = 10
# A byline naming ten people is a few hundred characters; a longer value is a bio, a page's
# text pasted into a field or junk, and the patterns below must never see its length.
MAX_BYLINE_CHARS = 1000
_MAX_NAME_CHARS = 60
_MAX_NAME_WORDS = 6

# "By", "Written by" and the same word in a few other languages; or a one-word label ("Text:").
_LEAD = re.compile(
    r"^(?:(?:written|posted|reported|reporting|story|words|text|report)\s+)?"
    r"(?:by|von|par|por|door|av|af)\b\s*:?\s*"
    r"|^[^\W\d_]{2,20}\s*:\s+",
    re.IGNORECASE,
)
_CONTACT = re.compile(r"\S*@\S*")  # e-mail addresses and @handles
_INNER_BY = re.compile(r".*\bby\s+", re.IGNORECASE)
# What follows the names in a byline: "| Site", " - Section", "Updated 3 hours ago", a date.
_TAIL = re.compile(
    r"\s+[|–—-]\s+.*$|\s*\|.*$"
    r"|\b(?:updated|published|posted|last modified)\b.*$|\s+on\s+\w+\s+\d.*$",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:[,;&]|\band\b|\bund\b|\bet\b|\n)\s*", re.IGNORECASE)
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_URLISH = re.compile(r"https?:|www\.|/|\.(?:com|org|net|co|io)\b", re.IGNORECASE)
_WORDS = re.compile(r"[^\W_]+")
_CREDENTIAL = re.compile(r"[A-Z][A-Z.]{1,5}|Ph\.?D\.?|Jr\.?|Sr\.?")
_EDGE_PUNCT = " \t.,;:|-–—·•*\"'“”‘’()[]"
# Lowercase words that belong inside names ("Ludwig van Beethoven"); any other lowercase word
# marks a phrase ("with additional reporting"), not a name.
_PARTICLES = frozenset(
    [
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "da",
        "di",
        "du",
        "la",
        "le",
        "dos",
        "das",
        "bin",
        "ibn",
        "al",
        "el",
        "ter",
        "ten",
        "y",
        "e",
        "zu",
    ]
)
# Words that make a value a role ("Staff Writer"), a placeholder or a date, not a byline. Group
# bylines ("News Desk", "The Travel Team", "Staff") are what the page says wrote it, and stay.
_NOT_NAMES = words(
    "writer writers reporter reporters correspondent editor editors contributor contributors "
    "columnist journalist admin administrator guest author anonymous unknown agencies wires "
    "monday tuesday wednesday thursday friday saturday sunday january february march july "
    "september october november december bio profile posts articles view follow more"
)


def clean_authors(raw_values: Iterable[object], exclude: Iterable[str] = ()) -> tuple[str, ...]:
    """People named in ``raw_values``, deduplicated case-insensitively, in order of appearance.

    ``exclude`` holds the site and publisher names: a byline naming them names nobody.
    """
    excluded = [words for name in exclude if (words := _word_key(name))]
    seen: set[str] = set()
    names: list[str] = []
    for raw in raw_values:
        for name in split_byline(raw):
            key = name.casefold()
            if key in seen or _is_excluded(name, excluded):
                continue
            seen.add(key)
            names.append(name)
            if len(names) >= MAX_AUTHORS:
                return tuple(names)
    return tuple(names)


def split_byline(raw: object) -> list[str]:
    """The plausible person names in one byline or metadata value."""
    text = clean_text(raw[: MAX_BYLINE_CHARS + 1] if isinstance(raw, str) else raw)
    if not text or len(text) > MAX_BYLINE_CHARS:
        return []
    text = _PARENS.sub(" ", _CONTACT.sub(" ", text))
    text = _LEAD.sub("", text.strip())
    text = _TAIL.sub("", text)
    names: list[str] = []
    for part in _SPLIT.split(text):
        name = " ".join(_INNER_BY.sub("", part).split()).strip(_EDGE_PUNCT)
        if names and _CREDENTIAL.fullmatch(name):
            continue  # "Jane Doe, MD": a qualification of the name before, not a second author
        if _is_person_name(name):
            names.append(name)
    return names


def _is_person_name(name: str) -> bool:
    if not name or len(name) > _MAX_NAME_CHARS or "@" in name:
        return False
    if _URLISH.search(name) or any(char.isdigit() for char in name):
        return False
    words = name.split()
    if len(words) > _MAX_NAME_WORDS or not any(char.isalpha() for char in name):
        return False
    if any(word.casefold() in _NOT_NAMES for word in _WORDS.findall(name)):
        return False
    # Single lowercase tokens are kept: they are user names, which is what the site shows.
    return len(words) == 1 or not any(
        word[0].islower() and word.casefold() not in _PARTICLES for word in words
    )


def _word_key(name: str) -> tuple[str, ...]:
    words = tuple(word.casefold() for word in _WORDS.findall(name))
    # "The Site" and "Site" are the same masthead.
    return words[1:] if len(words) > 1 and words[0] == "the" else words


def _is_excluded(name: str, excluded: list[tuple[str, ...]]) -> bool:
    """True when ``name`` is a site/publisher name, or one of them extended or shortened."""
    words = _word_key(name)
    return any(words[: len(site)] == site[: len(words)] for site in excluded)
