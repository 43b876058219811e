"""Module-level functions for extraction-pool tests: workers import them by name."""

from __future__ import annotations

import os
import signal
import time


def double(value: int) -> int:
    return 2 * value


def segfault() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def worker_pid() -> int:
    return os.getpid()
