"""The outbox: articles the state has recorded but the output does not hold yet, written out.

The crawl records an article (one transaction, ``exported = 0``), writes it with the output
writers, then marks it exported. A kill -9 anywhere in that sequence leaves the article in the
outbox, and ``Exporter.flush`` at the start of the next run writes it. The writers are
idempotent (files are replaced atomically with the same content, JSONL skips a line it already
holds, SQLite upserts), so an article written just before the kill is not written twice.

Also here: opening what a run writes to, the article writers (``open_sink``: none without
write.output_dir, and then articles simply wait in the outbox) and the WARC archive of the raw
pages (``open_archive``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any

from scraper.config import Settings
from scraper.crawl.state import CrawlState
from scraper.models import Article
from scraper.write import ArticleSink, open_writers

if TYPE_CHECKING:
    from scraper.write.warc import WarcArchive

BATCH = 200
# Article fields that to_dict() never carries: what extraction dropped, and its working data.
_NOT_STORED = frozenset({"dropped", "signatures"})


def article_from_record(record: Mapping[str, Any]) -> Article:
    """The Article a stored ``Article.to_dict()`` came from. Keys that are not Article fields
    (derived ones such as word_count and fingerprint) are left out and recomputed."""
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(Article):
        if spec.name in _NOT_STORED or spec.name not in record:
            continue
        value = record[spec.name]
        values[spec.name] = tuple(value) if isinstance(value, list) else value
    fetched_at = values.get("fetched_at")
    if isinstance(fetched_at, str):
        values["fetched_at"] = datetime.fromisoformat(fetched_at)
    return Article(**values)


class Exporter:
    """Flushes the outbox from the crawl's event loop without blocking it.

    Writing an article means fsyncs and renames; done on the loop, every host would wait for
    the disk. The writes run on one thread of their own (the SQLite writer's connection may
    only be used from the thread that uses it), one flush at a time; the state's own
    bookkeeping stays on the loop's thread.
    """

    def __init__(self, state: CrawlState, sink: ArticleSink) -> None:
        self._state = state
        self._sink = sink
        self._lock = asyncio.Lock()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scraper-write")

    async def flush(self) -> int:
        """Write every article waiting in the outbox and mark it exported; returns how many."""
        loop = asyncio.get_running_loop()
        written = 0
        async with self._lock:
            while batch := self._state.pending_exports(limit=BATCH):
                for url, record in batch:
                    article = article_from_record(record)
                    await loop.run_in_executor(self._thread, self._sink.write, article)
                    self._state.mark_exported(url)
                    written += 1
        return written

    def close(self) -> None:
        self._thread.shutdown(wait=True)


@contextlib.contextmanager
def open_sink(settings: Settings) -> Iterator[ArticleSink | None]:
    """The configured writers, or None without write.output_dir."""
    if settings.write.output_dir is None:
        yield None  # articles stay in the state's outbox until an output is configured
        return
    with open_writers(settings.write) as sink:
        yield sink


@contextlib.contextmanager
def open_archive(settings: Settings, run_id: int) -> Iterator[WarcArchive | None]:
    """The WARC archive of this run's raw pages, when crawl.warc_dir is set."""
    if settings.crawl.warc_dir is None:
        yield None
        return
    # Imported here: warcio is only loaded by runs that archive.
    from scraper.write.warc import WarcArchive

    with WarcArchive(settings.crawl.warc_dir, run_id) as archive:
        yield archive
