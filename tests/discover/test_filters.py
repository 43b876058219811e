"""UrlFilter: a source's allow and deny regexes."""

from __future__ import annotations

import pytest

from scraper.config import SourceSettings
from scraper.discover import UrlFilter
from scraper.errors import ConfigError


@pytest.mark.parametrize(
    ("allow", "deny", "url", "expected"),
    [
        ((), (), "https://news.example/anything", True),
        ((r"/world/",), (), "https://news.example/world/story", True),
        ((r"/world/",), (), "https://news.example/sport/story", False),
        ((r"/world/", r"/politics/"), (), "https://news.example/politics/x", True),
        ((), (r"/live/",), "https://news.example/live/blog", False),
        ((), (r"/live/",), "https://news.example/world/x", True),
        ((r"/world/",), (r"/world/live/",), "https://news.example/world/live/x", False),
        ((r"^https://news\.example/",), (), "https://cdn.news.example/x", False),
        ((r"story-\d+$",), (), "https://news.example/a/story-123", True),
    ],
)
def test_accepts(allow: tuple[str, ...], deny: tuple[str, ...], url: str, expected: bool) -> None:
    assert UrlFilter(allow, deny).accepts(url) is expected


def test_from_source_settings() -> None:
    source = SourceSettings(name="ex", allow=(r"/world/",), deny=(r"/world/live/",))
    url_filter = UrlFilter.from_source(source)
    assert url_filter.accepts("https://news.example/world/a")
    assert not url_filter.accepts("https://news.example/world/live/a")
    assert not url_filter.accepts("https://news.example/sport/a")


def test_bad_pattern_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="bad URL pattern"):
        UrlFilter(["("], [])
