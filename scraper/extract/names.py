"""The words of an element's class and id, and what they name.

Class names are written by hand ("share-bar", "articleBody", "sidebar_widget") or by tools
("css-1x8ad3f", "sc-bdVaJa", "post-5ad"). Only the first kind says anything, and only in whole
words: "ad" must not be read inside "head", "load" or a hex id. A name is split on spaces,
"-", "_", ":", "." and "/", each piece on camelCase; a piece that holds a digit is an id or a
hash, and none of its letters count.
"""

from __future__ import annotations

import re
from functools import lru_cache

from scraper.extract import rules

_PIECE = re.compile(r"[^\s\-_:./]+")
_CAMEL_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_REMEMBERED_NAME_CHARS = 200  # longer values are worked out each time, never remembered
# Bit of each category of rules.CLASS_WORDS, in its order, and the categories of each word.
CATEGORIES: tuple[str, ...] = tuple(rules.CLASS_WORDS)
_WORD_BITS: dict[str, int] = {}
for _bit, _words in enumerate(rules.CLASS_WORDS.values()):
    for _word in _words:
        _WORD_BITS[_word] = _WORD_BITS.get(_word, 0) | (1 << _bit)


def name_words(value: str | None) -> list[str]:
    """The lower-cased words of a class or id value ("shareBar top-ad" -> share, bar, top, ad)."""
    if not value:
        return []
    words: list[str] = []
    for piece in _PIECE.findall(value):
        if piece.isalpha() and piece.islower():  # most pieces: one lower-case word already
            words.append(piece)
        elif not any(map(str.isdigit, piece)):
            words += (word.lower() for word in _CAMEL_WORD.findall(piece))
    return words


def name_bits(class_value: str | None, id_value: str | None) -> int:
    """The categories (a bit each, in CATEGORIES order) that an element's names fall in."""
    if not class_value and not id_value:
        return 0
    if len(class_value or "") + len(id_value or "") > _REMEMBERED_NAME_CHARS:
        return _bits(class_value, id_value)
    return _remembered_bits(class_value, id_value)


def categories_of(bits: int) -> list[str]:
    """The category names of a bit set made by ``name_bits``."""
    return [name for i, name in enumerate(CATEGORIES) if bits >> i & 1]


def _bits(class_value: str | None, id_value: str | None) -> int:
    bits = 0
    for value in (class_value, id_value):
        for word in name_words(value):
            bits |= _WORD_BITS.get(word, 0)
    return bits


# A site gives many elements, and all its pages, the same few names.
@lru_cache(maxsize=8192)
def _remembered_bits(class_value: str | None, id_value: str | None) -> int:
    return _bits(class_value, id_value)
