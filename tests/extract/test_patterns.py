"""The literal prefilter of the ask patterns: every literal it relies on is one a match needs."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scraper.extract import rules
from scraper.extract.patterns import required_literals, search, whole


def test_one_literal_per_alternative() -> None:
    pattern = search(r"\bsign(?:ing)? up (?:for|to) .{0,40}newsletters?", r"^\W*write to \S+")
    assert required_literals(pattern) == ("newsletter", "write to")


def test_quantified_and_grouped_parts_are_not_required() -> None:
    assert required_literals(search(r"\bthanks? (?:you )?for")) == ("thank",)
    assert required_literals(search(r"\benter your e-?mail")) == ("enter your e",)


def test_an_alternative_without_literals_disables_the_prefilter() -> None:
    assert required_literals(search(r"^\W*(?:yes|no)\b", r"\bmaybe\b")) is None


@pytest.mark.parametrize(
    ("rule", "pattern"), rules.ASK_PATTERNS, ids=[r for r, _ in rules.ASK_PATTERNS]
)
def test_every_text_an_ask_pattern_matches_holds_one_of_its_literals(
    rule: str, pattern: re.Pattern[str]
) -> None:
    """The prefilter is sound: a block it rules out could not have matched. Checked on texts
    hypothesis builds to match each pattern."""
    literals = rules.ASK_LITERALS[rule]
    assert literals is not None, f"{rule}: no literal prefilter; every block would run the regex"

    @settings(max_examples=200, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(st.from_regex(pattern))
    def holds_a_literal(text: str) -> None:
        assert any(literal in text for literal in literals), text

    holds_a_literal()


def test_whole_matches_only_the_whole_block() -> None:
    label = whole(r"advertisement")
    assert label.match("ADVERTISEMENT")
    assert label.match("Advertisement:")
    assert not label.match("Advertisement revenue fell by a third")
