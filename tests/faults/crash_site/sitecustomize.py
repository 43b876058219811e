"""Case 29's crash, made from the test side: no hook in the production code.

Python imports ``sitecustomize`` at start-up from the first directory on its path that has one,
so a crawler started with PYTHONPATH=<this directory> loads it, and so does the pool's
forkserver (a fresh interpreter with the same environment); the extraction workers are forked
from the forkserver and inherit the wrapped function. The wrapper makes the worker kill itself
with SIGSEGV, as a parser crash in C would, when the page holds MARKER. Each process that loads
this file and each crash is logged to $SCRAPER_CRASH_LOG ("loaded PID" / "crash PID").
"""

from __future__ import annotations

import functools
import os
import resource
import signal
from typing import Any

MARKER = "segfault-marker-case-29"


def _log(event: str) -> None:
    path = os.environ.get("SCRAPER_CRASH_LOG")
    if path:
        with open(path, "a", encoding="ascii") as handle:  # noqa: PTH123  # O_APPEND, tiny
            handle.write(f"{event} {os.getpid()}\n")


def _install() -> None:
    from scraper.crawl import pool  # only once the interpreter is up

    real = pool.extract_in_worker

    @functools.wraps(real)  # same name and module: pickled by reference like the original
    def crash_on_marker(page: Any, *args: Any) -> Any:
        if MARKER in page.html:
            _log("crash")
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file left behind
            os.kill(os.getpid(), signal.SIGSEGV)
        return real(page, *args)

    pool.extract_in_worker = crash_on_marker  # type: ignore[assignment]  # same call shape
    _log("loaded")


_install()
