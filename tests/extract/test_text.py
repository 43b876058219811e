"""Mojibake repair touches only mis-decoded text; comparison keys ignore case and punctuation."""

from __future__ import annotations

import random

import pytest

from scraper.extract.text import key, repair_mojibake


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("rehabilitation servicesÂ\xa0for members", "rehabilitation services for members"),
        ("rehabilitation servicesÂ for members", "rehabilitation services for members"),
        ("the cafÃ© on the quay", "the café on the quay"),
        ("donâ€™t wait", "don’t wait"),
        ("Â£18m scheme", "£18m scheme"),
    ],
)
def test_double_encoded_text_is_repaired(broken: str, fixed: str) -> None:
    assert repair_mojibake(broken) == fixed


@pytest.mark.parametrize(
    "text",
    [
        "plain ASCII text",
        "“Curly quotes” and an apostrophe’s curl stay as the author wrote them",
        "Crème brûlée, São Paulo, Zürich, Łódź",
        "Ελληνικά, русский, 日本語",
    ],
)
def test_correct_text_is_left_alone(text: str) -> None:
    assert repair_mojibake(text) == text


def test_key_ignores_case_punctuation_and_spacing() -> None:
    assert key("Farmers march: over  unpaid ARREARS!") == key("farmers march over unpaid arrears")
    assert key("—") == ""


def test_a_text_key_is_never_shorter_than_the_key_of_its_beginning() -> None:
    """What lets the headline rule key only the first words of a long paragraph."""
    rng = random.Random(7)
    letters = "aZ9_ .,’“-\n\xa0éİıſΣσςß日"
    for _ in range(2000):
        text = "".join(rng.choice(letters) for _ in range(rng.randint(0, 40)))
        full = len(key(text))
        assert all(len(key(text[:end])) <= full for end in range(len(text)))
