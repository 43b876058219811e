"""Fixtures of the crawl-loop tests: two small sites on two loopback addresses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.crawl.sites import Site


@pytest.fixture
def site_a() -> Iterator[Site]:
    site = Site("127.0.0.1")
    yield site
    site.close()


@pytest.fixture
def site_b() -> Iterator[Site]:
    site = Site("127.0.0.2")
    yield site
    site.close()
