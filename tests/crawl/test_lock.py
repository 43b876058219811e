"""RunLock: one crawl per state file; the refusal names the holder; kill -9 frees it."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from scraper.crawl.lock import CrawlLockedError, RunLock
from scraper.errors import ConfigError, ScraperError

# fork: the child starts at once with the modules already imported (spawn re-imports scraper,
# which pulls in trafilatura). The parent holds no lock when it forks.
_FORK = multiprocessing.get_context("fork")


def _hold(state_path: Path, ready: Connection) -> None:
    lock = RunLock(state_path)
    lock.acquire()
    ready.send(os.getpid())
    time.sleep(60)  # until the test kills it


def _holder(state_path: Path) -> tuple[multiprocessing.process.BaseProcess, int]:
    receive, send = _FORK.Pipe(duplex=False)
    child = _FORK.Process(target=_hold, args=(state_path, send), daemon=True)
    child.start()
    assert receive.poll(10), "child did not take the lock"
    return child, int(receive.recv())


def test_lock_file_sits_next_to_the_state_and_holds_the_pid(tmp_path: Path) -> None:
    state = tmp_path / "deep" / "state" / "crawl.sqlite"
    with RunLock(state) as lock:
        assert lock.held
        assert lock.path == tmp_path / "deep" / "state" / "crawl.sqlite.lock"
        assert lock.path.read_text() == f"{os.getpid()}\n"
    assert not lock.held
    assert lock.path.read_text() == ""  # no stale pid after a clean release


def test_second_lock_in_the_same_process_is_refused_until_released(tmp_path: Path) -> None:
    first, second = RunLock(tmp_path / "s.sqlite"), RunLock(tmp_path / "s.sqlite")
    first.acquire()
    first.acquire()  # already held: no-op
    with pytest.raises(CrawlLockedError, match=f"pid {os.getpid()}") as info:
        second.acquire()
    assert info.value.holder_pid == os.getpid()
    assert info.value.code == "crawl_locked"
    assert isinstance(info.value, ScraperError)
    first.close()
    first.close()  # idempotent
    second.acquire()
    second.close()


def test_lock_held_by_another_process_names_it_and_dies_with_it(tmp_path: Path) -> None:
    state = tmp_path / "crawl.sqlite"
    child, pid = _holder(state)
    try:
        with pytest.raises(CrawlLockedError, match=f"pid {pid}") as info:
            RunLock(state).acquire()
        assert info.value.holder_pid == pid
        assert str(state) + ".lock" in str(info.value)
    finally:
        os.kill(pid, signal.SIGKILL)
        child.join(10)
    assert child.exitcode == -signal.SIGKILL
    # The kernel dropped the flock with the process, though the file still holds its pid.
    assert (tmp_path / "crawl.sqlite.lock").read_text() == f"{pid}\n"
    with RunLock(state) as lock:
        assert lock.held


def test_lock_file_replaced_by_a_symlink_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("keep")
    (tmp_path / "crawl.sqlite.lock").symlink_to(target)
    with pytest.raises(ConfigError, match="symlink"):
        RunLock(tmp_path / "crawl.sqlite").acquire()
    assert target.read_text() == "keep"


def test_unusable_lock_directory_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="lock file"):
        RunLock(blocker / "crawl.sqlite").acquire()
