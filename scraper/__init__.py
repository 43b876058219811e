"""scraper: clean article text and metadata from news pages.

>>> import scraper
>>> article = scraper.scrape("https://example.com/news/story")   # doctest: +SKIP
>>> print(article.title, article.text)                            # doctest: +SKIP
"""

from __future__ import annotations

import logging

from scraper.config import Settings, load_settings
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

logging.getLogger(__name__).addHandler(logging.NullHandler())
