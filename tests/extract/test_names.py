"""Class and id words: whole words only, never letters inside ids, hashes or other words."""

from __future__ import annotations

import pytest

from scraper.extract.names import CATEGORIES, categories_of, name_bits, name_words


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("shareBar top-ad", ["share", "bar", "top", "ad"]),
        ("article__body entry_content", ["article", "body", "entry", "content"]),
        ("ArticleBody", ["article", "body"]),
        ("HTMLContent", ["html", "content"]),
        ("post-5ad css-8ad3f1 x-1a2b", ["post", "css", "x"]),  # digits: an id or a hash
        ("sc-bdVaJa", ["sc", "bd", "va", "ja"]),
        ("", []),
        (None, []),
    ],
)
def test_name_words(value: str | None, words: list[str]) -> None:
    assert name_words(value) == words


@pytest.mark.parametrize(
    "value",
    ["head", "header-load", "badge", "shadow", "deck2a", "post-8ad3-41f2", "gradient"],
)
def test_no_word_is_read_inside_another_or_inside_a_hash(value: str) -> None:
    assert "advertisement" not in categories_of(name_bits(value, None))
    assert "article-header" not in categories_of(name_bits(value, None))


@pytest.mark.parametrize(
    ("class_value", "id_value", "category"),
    [
        ("share-bar", None, "share"),
        ("ad-slot", None, "advertisement"),
        (None, "newsletter-signup", "newsletter"),
        ("c-article-dek", None, "article-header"),
        ("cookieConsent", None, "cookie-banner"),
        ("not-a-paywall", None, "paywall"),  # a category is a feature for the scorer, not a drop
    ],
)
def test_whole_words_name_their_category(
    class_value: str | None, id_value: str | None, category: str
) -> None:
    assert category in categories_of(name_bits(class_value, id_value))


def test_long_names_are_read_too() -> None:
    long = " ".join(["x"] * 150) + " share"
    assert "share" in categories_of(name_bits(long, None))


def test_every_category_has_its_own_bit() -> None:
    assert categories_of(sum(1 << i for i in range(len(CATEGORIES)))) == list(CATEGORIES)
