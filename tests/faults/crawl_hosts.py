"""Section F support: news hosts on HostileServer, crawler subprocesses and output inventories.

``NewsHost`` turns a HostileServer into a small news site: robots.txt, one sitemap listing its
articles, and an article page for every path under /news/. Every request goes through the
host's ``hooks`` first, so a test can kill or signal the crawler at an exact request (``Trip``
counts requests over several hosts). ``Crawler`` runs ``python -m scraper crawl`` (or a driver
module) as a real subprocess and reaps it with ``os.wait4``, which also reports its peak RSS
(the largest of it and its reaped children, the extraction workers). ``Inventory`` reads back
everything a run left in the output directory and the state.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.crawl.crawl_support import config
from tests.crawl.sites import article_page, article_text, urlset
from tests.faults.hostile import HostileServer, Request, head_bytes
from tests.faults.peak import PeakWatch

REPO = Path(__file__).resolve().parents[2]
ROBOTS = b"User-agent: *\nAllow: /\n"
Hook = Callable[[Request], None]


def article_path(n: int) -> str:
    return f"/news/2024/05/01/harbour-story-number-{n}"


def article_body(host: str, path: str) -> bytes:
    seed = f"{host}{path}"
    return article_page(f"Story {path.rsplit('-', 1)[-1]}", article_text(seed))


@dataclass
class NewsHost:
    """``articles`` pages listed by /sitemap.xml; ``delay`` seconds before each article."""

    server: HostileServer
    articles: int
    delay: float = 0.0
    hooks: list[Hook] = field(default_factory=list)
    pages: dict[str, bytes] = field(default_factory=dict)  # overrides by path

    def __post_init__(self) -> None:
        self.paths = [article_path(n) for n in range(self.articles)]
        self.server.fallback = self._answer

    @property
    def host(self) -> str:
        return self.server.host

    def urls(self) -> set[str]:
        return {self.server.url(path) for path in self.paths}

    def source(self, name: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "sitemaps": [self.server.url("/sitemap.xml")], **extra}

    def article_requests(self) -> list[str]:
        return [r.path for r in self.server.requests if r.path.startswith("/news/")]

    async def _answer(self, request: Request, writer: asyncio.StreamWriter) -> None:
        for hook in self.hooks:
            hook(request)
        if request.path == "/robots.txt":
            body, kind = ROBOTS, "text/plain"
        elif request.path == "/sitemap.xml":
            body, kind = urlset((self.server.url(p), None) for p in self.paths), "application/xml"
        elif request.path in self.pages or request.path in self.paths:
            await asyncio.sleep(self.delay)
            body = self.pages.get(request.path) or article_body(self.host, request.path)
            kind = "text/html; charset=utf-8"
        else:
            body, kind = b"not here", "text/plain"
        status = 404 if body == b"not here" else 200
        headers = [("Content-Type", kind), ("Content-Length", str(len(body)))]
        writer.write(head_bytes(status, headers) + body)
        await writer.drain()


class Trip:
    """Counts requests over every host it is hooked into; at request #``at`` sends ``signum``
    to ``pid`` (once). ``when`` narrows what counts (e.g. only robots.txt requests)."""

    def __init__(self, when: Callable[[Request], bool] = lambda _: True) -> None:
        self._lock = threading.Lock()
        self._when = when
        self.count = 0
        self.at = 0
        self.pid = 0
        self.signum: int = signal.SIGKILL
        self.fired_at: float | None = None
        self.fired_url: str | None = None  # the request it fired on

    def arm(self, pid: int, at: int, signum: int = signal.SIGKILL) -> None:
        with self._lock:
            self.count, self.pid, self.at, self.signum = 0, pid, at, signum
            self.fired_at = self.fired_url = None

    def disarm(self) -> None:
        with self._lock:
            self.pid = 0

    def __call__(self, request: Request) -> None:
        if not self._when(request):
            return
        with self._lock:
            self.count += 1
            fire = self.pid and self.count == self.at
            if fire:
                self.fired_at = time.monotonic()
                self.fired_url = f"http://{request.headers.get('host')}{request.target}"
        if fire:
            os.kill(self.pid, self.signum)


def fault_config(
    tmp_path: Path,
    sources: list[dict[str, Any]],
    *,
    fetch: dict[str, Any] | None = None,
    write: dict[str, Any] | None = None,
    **crawl: Any,
) -> Path:
    """crawl_support's scaled-down config (private addresses allowed: the hosts are 127.0.0.x)
    with every output format, delay 0 and two extraction workers."""
    mapping = config(
        tmp_path,
        sources,
        formats=("text", "json", "jsonl", "sqlite"),
        **{"delay": 0.0, "extract_workers": 2, **crawl},
    )
    mapping["fetch"].update(fetch or {})
    mapping["write"].update(write or {})
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(mapping), encoding="utf-8")
    return path


@dataclass
class Finished:
    code: int  # as subprocess reports it: negative for a signal
    stdout: str
    stderr: str
    peak_kib: int
    seconds: float

    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]


class Crawler:
    """One crawler subprocess; stdout and stderr go to files so nothing blocks on a pipe."""

    def __init__(
        self,
        tmp_path: Path,
        *args: str,
        module: str = "scraper",
        preexec_fn: Callable[[], None] | None = None,
    ) -> None:
        self._out = (tmp_path / f"run-{time.monotonic_ns()}.out").open("w+", encoding="utf-8")
        self._err = (tmp_path / f"run-{time.monotonic_ns()}.err").open("w+", encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}
        self.started = time.monotonic()
        self._process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=REPO,
            env=env,
            stdout=self._out,
            stderr=self._err,
            preexec_fn=preexec_fn,  # noqa: PLW1509  # only sets limits; nothing threaded runs
        )
        self.pid = self._process.pid
        self._peak = PeakWatch(self.pid)

    def running(self) -> bool:
        return (
            self._process.returncode is None
            and os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
        )

    def wait(self, timeout: float = 60) -> Finished:
        deadline = time.monotonic() + timeout
        while True:
            pid, status, _ = os.wait4(self.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                os.wait4(self.pid, 0)
                self._peak.stop()
                self._process.returncode = -signal.SIGKILL
                raise AssertionError(f"the crawler did not finish within {timeout}s")
            time.sleep(0.01)
        code = os.waitstatus_to_exitcode(status)
        self._process.returncode = code  # reaped here, so Popen must not wait for it again
        seconds = time.monotonic() - self.started
        self._out.seek(0)
        self._err.seek(0)
        peak = self._peak.stop()
        finished = Finished(code, self._out.read(), self._err.read(), peak, seconds)
        self._out.close()
        self._err.close()
        return finished


def crawl_cli(tmp_path: Path, cfg: Path, *extra: str, **options: Any) -> Crawler:
    return Crawler(tmp_path, "crawl", "--config", str(cfg), *extra, **options)


def wait_until(condition: Callable[[], bool], timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what or condition}"
        time.sleep(0.01)


# -- what a run left behind ---------------------------------------------------------------------


def sqlite_rows(path: Path, sql: str, *params: Any) -> list[Any]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql, params).fetchall()


@dataclass
class Inventory:
    """The output directory and the state after a run, each record read and parsed."""

    jsonl: Counter[str]  # url -> lines
    torn_jsonl_tail: bool  # the file does not end with a newline
    json_files: Counter[str]  # url -> .json files holding it
    text_files: int
    sqlite_rows: Counter[str]  # url -> rows of articles.sqlite
    temp_files: list[str]
    state_done: set[str]
    state_pending: set[str]
    outbox: set[str]  # recorded in the state, not yet written out

    @classmethod
    def read(cls, tmp_path: Path) -> Inventory:
        out, state = tmp_path / "out", tmp_path / "state" / "crawl.sqlite"
        jsonl_path = out / "articles.jsonl"
        raw = jsonl_path.read_bytes() if jsonl_path.exists() else b""
        lines = raw.split(b"\n")
        complete = lines[:-1]  # a torn tail (no newline) is not a record
        files = [json.loads(p.read_bytes()) for p in _finished(out, "*.json")]
        texts = [p.read_bytes() for p in _finished(out, "*.txt")]
        assert all(text.endswith(b"\n") and len(text) > 50 for text in texts), "a torn .txt"
        db = out / "articles.sqlite"
        rows = sqlite_rows(db, "SELECT url FROM articles") if db.exists() else []
        return cls(
            jsonl=Counter(json.loads(line)["url"] for line in complete),
            torn_jsonl_tail=bool(lines[-1]),
            json_files=Counter(record["url"] for record in files),
            text_files=len(texts),
            sqlite_rows=Counter(url for (url,) in rows),
            temp_files=sorted(p.name for p in out.rglob(".tmp-*")) if out.exists() else [],
            state_done=_urls(state, "SELECT url FROM urls WHERE status = 'done'"),
            state_pending=_urls(state, "SELECT url FROM urls WHERE status = 'pending'"),
            outbox=_urls(state, "SELECT url FROM articles WHERE exported = 0"),
        )

    def assert_each_once(self, urls: set[str]) -> None:
        """Every URL once in every format, nothing else, nothing torn, nothing pending."""
        once = dict.fromkeys(urls, 1)
        assert self.jsonl == once, "JSONL lines per URL"
        assert not self.torn_jsonl_tail
        assert self.json_files == once, "JSON files per URL"
        assert self.text_files == len(urls)
        assert self.sqlite_rows == once, "SQLite rows per URL"
        assert self.temp_files == []
        assert self.state_done == urls
        assert self.outbox == set()

    def assert_saved_or_queued(self) -> None:
        """No record lost at any point: a URL marked done has its article written out or
        waiting in the state's outbox, and whatever is written out is whole."""
        written = set(self.jsonl)
        assert written <= self.state_done
        assert self.state_done - self.outbox <= written
        assert set(self.json_files) <= self.state_done


def _finished(out: Path, pattern: str) -> list[Path]:
    """Output files by pattern, leaving out the temp files of writes under way."""
    return sorted(p for p in out.rglob(pattern) if not p.name.startswith(".tmp-"))


def _urls(state: Path, sql: str) -> set[str]:
    if not state.exists():
        return set()
    return {str(url) for (url,) in sqlite_rows(state, sql)}


def integrity(path: Path) -> str:
    return str(sqlite_rows(path, "PRAGMA integrity_check")[0][0])
