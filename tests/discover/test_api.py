"""The contract the crawl loop relies on: names, signatures, frozen values."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from scraper import discover
from scraper.discover import Link, SitemapResult


def test_public_names() -> None:
    assert set(discover.__all__) == {
        "Link",
        "NotAFeedError",
        "SitemapResult",
        "UrlFilter",
        "is_article_url",
        "is_tracking_param",
        "normalise_url",
        "parse_feed",
        "parse_sitemap",
        "section_links",
    }
    for name in discover.__all__:
        assert getattr(discover, name).__module__.startswith("scraper.discover")


def test_signatures() -> None:
    assert str(inspect.signature(discover.normalise_url)) == (
        "(url: 'str', base: 'str | None' = None) -> 'str | None'"
    )
    assert str(inspect.signature(discover.parse_feed)) == (
        "(content: 'bytes', base_url: 'str', *, max_items: 'int' = 1000) -> 'list[Link]'"
    )
    assert str(inspect.signature(discover.parse_sitemap)) == (
        "(content: 'bytes', base_url: 'str', *, max_urls: 'int' = 50000,"
        " max_bytes: 'int' = 52428800) -> 'SitemapResult'"
    )
    assert str(inspect.signature(discover.section_links)) == (
        "(html: 'str', base_url: 'str', *, max_links: 'int' = 1000) -> 'list[Link]'"
    )
    assert str(inspect.signature(discover.UrlFilter)) == (
        "(allow: 'Sequence[str]', deny: 'Sequence[str]') -> 'None'"
    )
    assert str(inspect.signature(discover.is_article_url)) == "(url: 'str') -> 'bool'"


def test_values_are_frozen() -> None:
    link = Link("https://news.example/a")
    assert (link.published, link.title) == (None, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        link.url = "x"  # type: ignore[misc]
    result = SitemapResult(links=(link,), sitemaps=(), truncated=False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.truncated = True  # type: ignore[misc]


def test_discover_imports_only_models_errors_config_and_lazy() -> None:
    import ast
    from pathlib import Path

    allowed = (
        "scraper.discover",
        "scraper.models",
        "scraper.errors",
        "scraper.config",
        "scraper._lazy",
    )
    for path in Path(discover.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("scraper"):
                assert (node.module or "").startswith(allowed), f"{path.name}: {node.module}"
