"""Run `scraper crawl --config CONFIG` (the real CLI, in this process) with one fault planted.

    python -m tests.crawl.crash_driver CONFIG before|after N
    python -m tests.crawl.crash_driver CONFIG torn-write N
    python -m tests.crawl.crash_driver CONFIG wal-write DB_NAME N
    python -m tests.crawl.crash_driver CONFIG page-cap DB_NAME PAGES

``before``: SIGKILL as the N-th article is handed to the writers (it is recorded, not written).
``after``: SIGKILL right after the N-th article was written, before it is marked exported.
``torn-write``: the N-th write of an output file (a temp file of the text/json writer, or a
JSONL line) puts half its bytes on disk, then SIGKILL: a torn temp file or a torn JSONL line.
``wal-write``: at the N-th COMMIT on the SQLite file named DB_NAME (the state, or the output
database), the file size limit is set one WAL frame above the WAL's size, with SIGXFSZ at its
default action: the kernel kills the process inside the commit's WAL write, after its first
frame. No signal sent from outside could be timed to land there.
``page-cap``: the SQLite file DB_NAME may grow by PAGES pages at most (``PRAGMA max_page_count``,
which holds per connection only, hence set here): past that it is "database or disk is full".
"""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

from scraper import cli
from scraper.models import Article
from scraper.write import ArticleSink, fsio

WAL_FRAME_HEADER = 24


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def kill_around_writes(when: str, nth: int) -> None:
    real_write = ArticleSink.write
    calls = 0

    def write_then_maybe_die(self: ArticleSink, article: Article) -> Any:
        nonlocal calls
        calls += 1
        if calls == nth and when == "before":
            _die()
        paths = real_write(self, article)
        if calls == nth and when == "after":
            _die()
        return paths

    ArticleSink.write = write_then_maybe_die  # type: ignore[method-assign]  # this process only


def tear_a_write(nth: int) -> None:
    real_write_all = fsio.write_all
    calls = 0

    def write_half_then_die(fd: int, data: bytes) -> None:
        nonlocal calls
        calls += 1
        if calls == nth:
            os.write(fd, data[: len(data) // 2])
            _die()
        real_write_all(fd, data)

    fsio.write_all = write_half_then_die  # this process only


def die_inside_a_commit(db_name: str, nth: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it by default
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    real_connect = sqlite3.connect
    commits = 0

    def connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn: sqlite3.Connection = real_connect(database, *args, **kwargs)
        if Path(database).name != db_name:
            return conn
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])

        def on_statement(sql: str) -> None:
            nonlocal commits
            if sql.strip().upper() != "COMMIT":
                return
            commits += 1
            if commits == nth:
                wal = Path(f"{database}-wal")
                limit = wal.stat().st_size + page_size + WAL_FRAME_HEADER
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

        conn.set_trace_callback(on_statement)
        return conn

    sqlite3.connect = connect  # type: ignore[assignment]  # this process only


def cap_pages(db_name: str, extra_pages: int) -> None:
    real_connect = sqlite3.connect

    def connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn: sqlite3.Connection = real_connect(database, *args, **kwargs)
        if Path(database).name == db_name:
            pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
            conn.execute(f"PRAGMA max_page_count = {max(pages, 2) + extra_pages}")
        return conn

    sqlite3.connect = connect  # type: ignore[assignment]  # this process only


def main(config: str, mode: str, *args: str) -> None:
    if mode in ("before", "after"):
        kill_around_writes(mode, int(args[0]))
    elif mode == "torn-write":
        tear_a_write(int(args[0]))
    elif mode == "wal-write":
        die_inside_a_commit(args[0], int(args[1]))
    elif mode == "page-cap":
        cap_pages(args[0], int(args[1]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    sys.argv = ["scraper", "crawl", "--config", config]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *sys.argv[3:])
