"""Section D support: article pages, settings, the crawl run as the real CLI, and peak memory.

``run_crawl`` starts ``python -m scraper crawl`` and measures its process tree's peak memory
with peak.PeakWatch.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scraper.config import Settings, settings_from_mapping
from tests.crawl.crawl_support import config
from tests.crawl.sites import article_text
from tests.faults.peak import PeakWatch

REPO = Path(__file__).resolve().parents[2]
# Printable characters only may appear raw in our JSON: C0, DEL and C1 must be escaped.
CONTROL_CHARACTERS = frozenset([*range(0x00, 0x20), *range(0x7F, 0xA0)])


def story(n: int | str) -> str:
    """An article-looking path (date and slug), so section discovery keeps it."""
    return f"/news/2024/05/01/harbour-story-number-{n}"


def article_html(title: str, paragraphs: list[str] | None = None, *, head: str = "") -> str:
    """A plain article page: ``head`` goes first in <head>, before the <title>."""
    body = "".join(f"<p>{text}</p>" for text in (paragraphs or article_text(title)))
    return (
        f"<!doctype html><html><head>{head}<title>{title}</title></head><body><main><article>"
        f"<h1>{title}</h1>{body}</article></main></body></html>"
    )


def settings_for(tmp_path: Path, **crawl: Any) -> Settings:
    return settings_from_mapping(config(tmp_path, [{"name": "unused"}], **crawl))


def write_config(tmp_path: Path, sources: list[dict[str, Any]], **options: Any) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config(tmp_path, sources, **options)), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Finished:
    returncode: int
    pid: int
    stderr: str
    peak_kib: int  # of the crawler and its workers (peak.PeakWatch)
    seconds: float


def run_crawl(cfg: Path, *, env: dict[str, str] | None = None, timeout: float = 60) -> Finished:
    """``python -m scraper crawl --config cfg`` to the end; killed (and failed) past ``timeout``."""
    err = cfg.with_name(f"stderr-{time.monotonic_ns()}.txt")
    start = time.monotonic()
    with err.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "scraper", "crawl", "--config", str(cfg)],
            stdout=subprocess.DEVNULL,
            stderr=handle,
            env={**os.environ, **(env or {})},
        )
    watch = PeakWatch(process.pid)
    while True:
        pid, status, _ = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - start > timeout:
            process.send_signal(signal.SIGKILL)
            process.wait()
            watch.stop()
            raise AssertionError(f"the crawl ran longer than {timeout}s: {err.read_text()}")
        time.sleep(0.02)
    process.returncode = os.waitstatus_to_exitcode(status)  # Popen must not reap it again
    text = err.read_text(encoding="utf-8", errors="replace")
    seconds = time.monotonic() - start
    return Finished(process.returncode, process.pid, text, watch.stop(), seconds)


def state_rows(tmp_path: Path, sql: str, *params: Any) -> list[Any]:
    with closing(sqlite3.connect(tmp_path / "state" / "crawl.sqlite")) as conn:
        return conn.execute(sql, params).fetchall()


def output_files(tmp_path: Path, suffix: str = ".json") -> list[Path]:
    out = tmp_path / "out"
    return sorted(out.rglob(f"*{suffix}")) if out.exists() else []


def json_records(tmp_path: Path) -> list[dict[str, Any]]:
    """The article JSON files, each checked to be strict UTF-8 with no raw control character."""
    records = []
    for path in output_files(tmp_path):
        text = path.read_bytes().decode("utf-8")  # strict: raises on anything else
        assert not CONTROL_CHARACTERS.intersection(map(ord, text.replace("\n", ""))), path
        records.append(json.loads(text))
    return records
