"""The extraction pool: CPU-bound extraction in worker processes, each page under a time limit.

Extraction runs in a bounded pebble ``ProcessPool``. A page that takes longer than the limit has
its worker killed and replaced (ExtractError ``extraction_timeout``); a worker that dies (a
parser segfault, the OOM killer) costs only the page it was on (``extractor_crashed``). Either
way the crawl goes on with a fresh worker.

Workers are forked from a server process that has the extraction code imported
(forkserver.py), so replacing a killed worker costs a fork, not a fresh interpreter.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, TypeVar

from pebble import CONSTS, ProcessExpired, ProcessPool

from scraper.config import ExtractSettings, SiteRules
from scraper.crawl.forkserver import worker_context
from scraper.crawl.shingles import shingle_hashes
from scraper.errors import ExtractError
from scraper.extract.templates import SiteTemplate
from scraper.models import Page

log = logging.getLogger(__name__)

T = TypeVar("T")

EXTRACTION_TIMEOUT = "extraction_timeout"
EXTRACTOR_CRASHED = "extractor_crashed"
EXTRACTOR_ERROR = "extractor_error"


@dataclass(frozen=True, slots=True)
class Extracted:
    """What a worker hands back for one page: the article's JSON form as the state stores it,
    the block signatures that teach the site's template, and its text's shingle hashes for
    story linking. All are made in the worker, because the crawl's event loop, which takes
    every page's result, is the busier process; and only they cross back (not the Article
    with its dropped blocks), since every byte is pickled on both sides."""

    record: dict[str, Any]
    signatures: frozenset[str]
    shingles: frozenset[int]


def extract_in_worker(
    page: Page, settings: ExtractSettings, rules: SiteRules | None, template: SiteTemplate | None
) -> Extracted:
    """Runs inside a worker: extract the article (with its block signatures, which teach the
    site's template), its stored form, and its text's shingles for story linking."""
    # Here, not at the top: the crawl's own process imports this module but never extracts
    # (the forkserver preloads scraper.extract.page for the workers).
    from scraper.extract.page import extract_page

    try:
        article = extract_page(page, settings, rules, template, signatures=True)
    except ExtractError:
        raise
    except Exception as exc:
        # A bug met on one odd page must cost that page, not the run; the message and the
        # worker's log say what it was.
        log.exception("extractor failed on %s", page.url)
        raise ExtractError(
            f"extractor failed: {type(exc).__name__}: {exc}", url=page.url, code=EXTRACTOR_ERROR
        ) from None
    return Extracted(article.to_dict(), article.signatures, shingle_hashes(article.text))


# Seconds the workers may take to start (the forkserver imports the extractor first).
_START_TIMEOUT = 60.0
# How often pebble's manager threads look at the pool (its default, 0.1 s, made closing the
# pool at the end of every crawl wait ~0.1 s for them to notice; they poll cheaply).
_POOL_TICK = 0.02


def _ready() -> None:
    """A task that does nothing: run once to make the pool start its workers."""


def _init_worker() -> None:
    # Ctrl-C reaches the whole process group; the crawl drains in-flight pages on SIGINT, so a
    # worker must finish its page rather than die with a KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The extractor the forkserver preloaded is shared with it page for page until written to:
    # frozen, the worker's collections leave those objects (and their pages) alone.
    gc.freeze()


def worker_count(configured: int) -> int:
    """crawl.extract_workers, where 0 means one per core."""
    return configured if configured > 0 else max(os.cpu_count() or 1, 1)


class ExtractionPool:
    """``async with ExtractionPool(workers, timeout) as pool: await pool.extract(...)``."""

    def __init__(self, workers: int, timeout: float) -> None:
        self.workers = worker_count(workers)
        self.timeout = timeout
        self._pool: ProcessPool | None = None
        self._warming: asyncio.Future[None] | None = None

    async def extract(
        self,
        page: Page,
        settings: ExtractSettings,
        rules: SiteRules | None,
        template: SiteTemplate | None = None,
    ) -> Extracted:
        """Extract ``page`` in a worker. Raises what extraction raises (NoContentError, ...),
        or ExtractError coded extraction_timeout / extractor_crashed."""
        # The worker reads the decoded HTML only; the raw bytes would double what is pickled.
        bare = replace(page, content=b"")
        return await self.run(extract_in_worker, bare, settings, rules, template, url=page.url)

    def warm_up(self) -> None:
        """Start the workers now, on a thread: starting them means waiting for the forkserver
        to import the extractor, which would otherwise stall the event loop on the first page."""
        if self._warming is None:
            self._warming = asyncio.ensure_future(asyncio.to_thread(self._start_workers))

    def _start_workers(self) -> None:
        try:
            self._started().schedule(_ready).result(timeout=_START_TIMEOUT)
        except Exception as exc:  # the pages themselves will meet and report the real failure
            log.warning("extraction workers did not start: %s", exc)

    async def run(self, function: Callable[..., T], *args: Any, url: str | None = None) -> T:
        """Run a module-level ``function(*args)`` in a worker under the time limit."""
        self.warm_up()
        assert self._warming is not None
        await asyncio.shield(self._warming)
        future = self._started().schedule(function, args=args, timeout=self.timeout)
        try:
            return await asyncio.wrap_future(future)
        except TimeoutError:
            raise ExtractError(
                f"extraction took longer than {self.timeout:g}s; the worker was stopped",
                url=url,
                code=EXTRACTION_TIMEOUT,
            ) from None
        except ProcessExpired as exc:
            raise ExtractError(
                f"the extraction worker died (exit code {exc.exitcode})",
                url=url,
                code=EXTRACTOR_CRASHED,
            ) from None
        except BrokenProcessPool as exc:
            # pebble gives up on a pool whose workers keep dying as they start; a new pool
            # for the next page is all the recovery there is.
            self.close()
            raise ExtractError(
                f"the extraction pool broke: {exc}", url=url, code=EXTRACTOR_CRASHED
            ) from None

    def close(self) -> None:
        """Stop the workers; a page still being extracted is abandoned."""
        self._warming = None
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.stop()  # type: ignore[no-untyped-call]  # pebble leaves it unannotated
            pool.join()

    async def __aenter__(self) -> ExtractionPool:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._warming is not None:
            await self._warming  # its thread must not outlive the pool it waits on
        # Joining waits for worker processes to exit: not work for the event loop's thread.
        await asyncio.to_thread(self.close)

    def _started(self) -> ProcessPool:
        # Started on first use, so a run with nothing to extract never starts a process.
        if self._pool is None:
            CONSTS.sleep_unit = _POOL_TICK  # pebble's one setting for it, process-wide
            self._pool = ProcessPool(
                max_workers=self.workers, initializer=_init_worker, context=worker_context()
            )
        return self._pool
