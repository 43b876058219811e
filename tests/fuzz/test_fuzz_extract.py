"""Fuzzing scraper.extract with a real article page mutated (broken markup, stray bytes, lone
surrogates, repeated fragments) and with arbitrary text: the extractor either returns an
Article or raises a ScraperError, and each call ends within 5 s."""

from __future__ import annotations

from hypothesis import given, settings

from scraper import Article, extract
from scraper.config import settings_from_mapping
from tests.fuzz.strategies import html_documents, typed_outcome

EXTRACT_LIMIT = 5.0
URL = "https://news.example/news/2025/03/14/harbour"
# No learned templates: the fuzz run must not read whatever state/ holds in the checkout.
SETTINGS = settings_from_mapping({"extract": {"templates_path": "/nonexistent/templates.sqlite"}})


@settings(max_examples=max(settings().max_examples // 2, 10))
@given(html_documents())
def test_extract_returns_an_article_or_a_typed_error_in_time(html: str) -> None:
    article, seconds = typed_outcome(lambda: extract(html, URL, SETTINGS))
    assert seconds < EXTRACT_LIMIT
    if isinstance(article, Article):
        assert article.text.strip()
        article.text.encode("utf-8")  # what the writers do: no lone surrogates may leak out
