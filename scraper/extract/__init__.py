"""Page -> Article: the article body and metadata of one fetched page (``extract_page``).

The names below load on first use (PEP 562): a module such as ``scraper.extract.templates``
can be imported without the extraction stack (selectolax, ftfy, the chrome and text rules):
the crawl's own process never extracts, only its workers do (scraper/crawl/pool.py).
"""

from __future__ import annotations

import typing

from scraper._lazy import lazy_names as _lazy_names

if typing.TYPE_CHECKING:
    from scraper.extract.page import EXTRACTOR_VERSION, extract_page
    from scraper.extract.templates import SiteTemplate

__all__ = ["EXTRACTOR_VERSION", "SiteTemplate", "extract_page"]

_LAZY = {
    "EXTRACTOR_VERSION": "scraper.extract.page",
    "SiteTemplate": "scraper.extract.templates",
    "extract_page": "scraper.extract.page",
}


__getattr__ = _lazy_names(__name__, _LAZY, globals())
