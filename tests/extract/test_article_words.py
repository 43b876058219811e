"""An article's word count and fingerprint, which share one scan of its text."""

from __future__ import annotations

import hashlib
import re
import sys

import pytest

from scraper.models import Article

WORD = re.compile(r"\w+")


def article(text: str) -> Article:
    return Article(url="https://news.example/a", final_url="https://news.example/a", text=text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "—",
        "The Harbour Wall, repaired: 4,000 tonnes!",
        "“Curly” quotes — and dashes – don’t split words oddly",
        "İstanbul and DİYARBAKIR",  # İ lowercases to two characters, one of them no word's
        "ΟΔΟΣ Σ ΣΑΣ, straße, ǅemal",
        "snake_case and CamelCase\n\nnew paragraph",
    ],
)
def test_word_count_and_fingerprint_follow_their_definitions(text: str) -> None:
    words = " ".join(WORD.findall(text.lower()))
    assert article(text).word_count == len(WORD.findall(text))
    assert article(text).fingerprint == hashlib.sha256(words.encode()).hexdigest()[:32]


def test_lowercasing_a_character_keeps_it_a_word_character_or_not() -> None:
    """What lets the word count be read from the lowercased text's words."""
    changed = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if not 0xD800 <= code <= 0xDFFF
        and len(lower := chr(code).lower()) == 1
        and bool(WORD.match(chr(code))) != bool(WORD.match(lower))
    ]
    assert changed == []
