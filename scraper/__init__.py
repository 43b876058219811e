"""scraper: clean article text and metadata from news pages.

>>> import scraper
>>> article = scraper.scrape("https://example.com/news/story")   # doctest: +SKIP
>>> print(article.title, article.text)                            # doctest: +SKIP

The names below load on first use (PEP 562): ``import scraper`` alone costs a few
milliseconds, so the command line can start a crawl's extraction workers before it imports
the ~0.5 s of libraries the rest of the package needs (scraper/__main__.py).
"""

from __future__ import annotations

import logging
import sys
import types
import typing

from scraper._lazy import lazy_names as _lazy_names
from scraper.errors import (
    ConfigError,
    ExtractError,
    FetchError,
    NoContentError,
    PermanentFetchError,
    ScraperError,
    TransientFetchError,
    WriteError,
)
from scraper.models import Article, DroppedBlock, Page

if typing.TYPE_CHECKING:
    from scraper.config import Settings, load_settings
    from scraper.pipeline import extract, scrape

__version__ = "0.1.0"

__all__ = [
    "Article",
    "ConfigError",
    "DroppedBlock",
    "ExtractError",
    "FetchError",
    "NoContentError",
    "Page",
    "PermanentFetchError",
    "ScraperError",
    "Settings",
    "TransientFetchError",
    "WriteError",
    "__version__",
    "extract",
    "load_settings",
    "scrape",
]

_LAZY = {
    "Settings": "scraper.config",
    "load_settings": "scraper.config",
    "extract": "scraper.pipeline",
    "scrape": "scraper.pipeline",
}


__getattr__ = _lazy_names(__name__, _LAZY, globals())


class _Package(types.ModuleType):
    """The package's module type. Loading a subpackage sets a parent attribute of its name,
    and the subpackage ``scraper.extract`` shares its name with the public function
    ``scraper.extract``: the function is what this attribute must stay."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

logging.getLogger(__name__).addHandler(logging.NullHandler())
