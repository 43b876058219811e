"""The extraction pool: a crashed or stuck worker costs one task, and the pool goes on."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from scraper.config import ExtractSettings
from scraper.crawl.pool import EXTRACTION_TIMEOUT, EXTRACTOR_CRASHED, ExtractionPool
from scraper.crawl.shingles import shingle_hashes
from scraper.errors import ExtractError, NoContentError
from scraper.fetch import page_from_bytes
from tests.crawl import pool_tasks
from tests.crawl.sites import article_page, article_text


def test_a_crash_and_a_timeout_cost_one_task_each() -> None:
    async def scenario() -> None:
        async with ExtractionPool(1, timeout=1.0) as pool:
            assert await pool.run(pool_tasks.double, 21) == 42
            first = await pool.run(pool_tasks.worker_pid)
            with pytest.raises(ExtractError) as crashed:
                await pool.run(pool_tasks.segfault, url="http://a.test/x")
            assert crashed.value.code == EXTRACTOR_CRASHED
            assert crashed.value.url == "http://a.test/x"
            started = time.monotonic()
            with pytest.raises(ExtractError) as stuck:
                await pool.run(pool_tasks.sleep, 30)
            assert stuck.value.code == EXTRACTION_TIMEOUT
            assert time.monotonic() - started < 5
            # a fresh worker takes the next task
            assert await pool.run(pool_tasks.double, 2) == 4
            assert await pool.run(pool_tasks.worker_pid) != first

    asyncio.run(scenario())


def test_workers_are_never_forked_from_the_crawler() -> None:
    # A plain fork would share the crawler's descriptors (and with them the run lock's flock).
    async def scenario() -> int:
        async with ExtractionPool(1, timeout=5.0) as pool:
            return await pool.run(os.getppid)

    assert asyncio.run(scenario()) != os.getpid()


def test_extract_returns_the_article_its_record_and_shingles_or_the_extractors_error() -> None:
    good = page_from_bytes(article_page("T", article_text(1)), "http://a.test/n/a-b-c-d")
    empty = page_from_bytes(b"<html><body><p>Hi.</p></body></html>", "http://a.test/n/e")

    async def scenario() -> None:
        async with ExtractionPool(1, timeout=20.0) as pool:
            extracted = await pool.extract(good, ExtractSettings(), None)
            text = extracted.record["text"]
            assert text.startswith(article_text(1)[0][:30])
            assert extracted.shingles == shingle_hashes(text)
            assert extracted.signatures  # what teaches the site's template
            with pytest.raises(NoContentError):
                await pool.extract(empty, ExtractSettings(), None)

    asyncio.run(scenario())
