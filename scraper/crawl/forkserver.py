"""The process extraction workers are forked from, and its early start.

Workers come from a multiprocessing "forkserver" (falling back to "spawn" where there is none),
never by plain fork: a forked child would inherit the crawl's open descriptors, the run lock's
flock among them, and keep the lock alive after the crawl died. The forkserver is a fresh
interpreter that imports the extraction code once (PRELOAD), so every worker starts warm and
replacing a killed one costs a fork.

Those imports take the forkserver ~0.5 s, about as long as the crawl's own process takes to
import what it needs. ``start_early`` lets the command line start the forkserver before
anything else, so the two run side by side on separate cores instead of one after the other.
This module imports nothing of the package itself for that reason.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import BaseContext

# Modules the forkserver imports once. scraper.crawl.pool leaves the extractor
# (scraper.extract.page) and the extractor leaves trafilatura to first use, since the crawl's
# own process imports the pool but never extracts: so both are named.
PRELOAD = ["scraper.crawl.pool", "scraper.extract.page", "trafilatura"]


def worker_context() -> BaseContext:
    """The multiprocessing context extraction workers are started from."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def start_early() -> None:
    """Start the forkserver now (it imports PRELOAD in the background); the first worker
    started later finds it running. A process that then needs no worker loses nothing but
    that server's imports: it exits with the process that started it."""
    if worker_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()
