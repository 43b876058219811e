"""Section A support: scaled-down fetch settings, one-shot fetches, memory growth, CLI runs.

The fault tests fetch from a HostileServer either in this process (``fetch_once``, with the
peak RSS growth measured by ``MemoryWatch``) or through a real ``python -m scraper scrape``
subprocess (``run_scrape``), whose peak RSS is sampled from /proc (peak.PeakWatch).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import brotli
import yaml
import zstandard

from scraper.config import FetchSettings
from scraper.errors import FetchError
from scraper.models import Page
from tests.faults.peak import PeakWatch
from tests.fetch.harness import fetch_result, tiny

MiB = 1024 * 1024
CAP = 1 * MiB  # max_body_bytes in every section A test (reliability.md H5)
# A real news page, so a body that got through would be extracted and written.
ARTICLE = (Path(__file__).parents[2] / "examples" / "article.html").read_bytes()


def settings(**overrides: Any) -> FetchSettings:
    """tests.fetch.harness.tiny() with the section A body cap."""
    return tiny(**{"max_body_bytes": CAP, **overrides})


@dataclass
class Fetched:
    page: Page | None
    error: FetchError | None
    seconds: float


def fetch_once(url: str, fetch_settings: FetchSettings) -> Fetched:
    """One fetch (with its retries) through the real client, in a fresh event loop."""
    page, error, seconds = asyncio.run(fetch_result(url, fetch_settings))
    return Fetched(page, error, seconds)


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} missing from /proc/self/status")


class MemoryWatch:
    """How far this process's peak RSS rose above its RSS at the start (Linux /proc)."""

    def __init__(self) -> None:
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
        self._start_kib = _status_kib("VmRSS")

    @property
    def growth_mib(self) -> float:
        return (_status_kib("VmHWM") - self._start_kib) / 1024


# -- bombs: built in 1 MiB steps so making one never holds the expanded bytes ----------------


def _zeros(total: int) -> Iterator[bytes]:
    block = b"\0" * MiB
    for _ in range(total // MiB):
        yield block


def brotli_bomb(total: int) -> bytes:
    compressor = brotli.Compressor(quality=5)
    out = b"".join(compressor.process(block) for block in _zeros(total))
    return bytes(out + compressor.finish())


def zstd_bomb(total: int) -> bytes:
    compressor = zstandard.ZstdCompressor(level=3).compressobj()
    out = b"".join(compressor.compress(block) for block in _zeros(total))
    return out + compressor.flush()


def raw_deflate_bomb(total: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    out = b"".join(compressor.compress(block) for block in _zeros(total))
    return out + compressor.flush()


# -- the CLI in a subprocess ---------------------------------------------------------------


@dataclass
class CliRun:
    exit_code: int
    stdout: str
    stderr: str
    peak_kib: int
    seconds: float

    @property
    def peak_mib(self) -> float:
        return self.peak_kib / 1024


def write_config(directory: Path, **fetch: Any) -> Path:
    """A config.yaml whose fetch section is scaled down like ``settings()``."""
    values = settings(**fetch).model_dump(mode="json")
    path = directory / "config.yaml"
    path.write_text(yaml.safe_dump({"fetch": values}))
    return path


def run_scrape(url: str, workdir: Path, config: Path, *, timeout: float = 60) -> CliRun:
    """``python -m scraper scrape URL --output workdir/out``, with its peak RSS."""
    out, err = workdir / "stdout.txt", workdir / "stderr.txt"
    command = [sys.executable, "-m", "scraper", "scrape", url, "--config", str(config)]
    command += ["--output", str(workdir / "out")]
    start = time.monotonic()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, cwd=workdir)
        watchdog = threading.Timer(timeout, process.kill)  # a hang fails the test, not CI
        watchdog.start()
        watch = PeakWatch(process.pid)
        try:
            _, status, _ = os.wait4(process.pid, 0)
        finally:
            watchdog.cancel()
            peak_kib = watch.stop()
        process.returncode = os.waitstatus_to_exitcode(status)
    return CliRun(
        exit_code=process.returncode,
        stdout=out.read_text(),
        stderr=err.read_text(),
        peak_kib=peak_kib,
        seconds=time.monotonic() - start,
    )


def files_under(directory: Path) -> list[Path]:
    """Every file the writer left, except its lock (made before anything is fetched)."""
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.name != ".lock")
