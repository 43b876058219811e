"""Run a crawl that SIGKILLs itself at an exact point of the output sequence (a subprocess).

    python -m tests.crawl.crash_driver CONFIG before|after N

``before``: die as the N-th article is handed to the writers (it is recorded, not written).
``after``: die right after the N-th article was written, before it is marked exported.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from scraper.config import load_settings
from scraper.crawl import runner
from scraper.models import Article
from scraper.write import ArticleSink


def main(config: str, when: str, nth: int) -> None:
    real_write = ArticleSink.write
    calls = 0

    def write_then_maybe_die(self: ArticleSink, article: Article) -> Any:
        nonlocal calls
        calls += 1
        if calls == nth and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        paths = real_write(self, article)
        if calls == nth and when == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return paths

    ArticleSink.write = write_then_maybe_die  # type: ignore[method-assign]  # this process only
    runner.crawl(load_settings(Path(config)))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
