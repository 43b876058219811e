"""What users hand the CLI besides URLs: HTML files (gzipped too), folders, WARC files, stdin.

Each becomes Pages decoded exactly like fetched ones (``page_from_bytes``), so offline
extraction gives the same articles as a live scrape of the same bytes.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from scraper.errors import ConfigError
from scraper.fetch import page_from_bytes
from scraper.fetch.archive import pages_from_warc
from scraper.models import Page

HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz")
# ".open": the archive of a crawl that was killed; it still holds whole records.
WARC_SUFFIXES = (".warc", ".warc.gz", ".warc.gz.open")


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def expand(sources: Iterable[str]) -> list[str]:
    """Folders replaced by the HTML and WARC files in them (name order); the rest as given."""
    expanded: list[str] = []
    for source in sources:
        path = Path(source)
        if not is_url(source) and path.is_dir():
            found = sorted(path.rglob("*"))
            expanded.extend(str(p) for p in found if p.name.endswith(HTML_SUFFIXES + WARC_SUFFIXES))
        else:
            expanded.append(source)
    return expanded


def read_html(path: Path) -> bytes:
    """A saved page's bytes, gunzipped when the name ends in .gz. Raises ConfigError."""
    if not path.is_file():
        raise ConfigError(f"{path}: not a URL (http/https) and no such file")
    try:
        data = path.read_bytes()
        return gzip.decompress(data) if path.name.endswith(".gz") else data
    except (OSError, gzip.BadGzipFile, EOFError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc


def local_pages(source: str, base_url: str | None, stdin: BinaryIO) -> Iterator[Page]:
    """The pages of one local source: stdin ("-"), a WARC file (its 200 responses) or an
    HTML file. ``base_url`` is the address the page came from (required for stdin)."""
    if source == "-":
        if base_url is None:
            raise ConfigError("reading stdin needs --url URL (the page's address)")
        yield page_from_bytes(stdin.read(), base_url)
        return
    path = Path(source)
    if path.name.endswith(WARC_SUFFIXES):
        yield from (page for page in pages_from_warc(path) if page.status == 200)
        return
    yield page_from_bytes(read_html(path), base_url or path.resolve().as_uri())
