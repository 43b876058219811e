"""Section F, process faults (reliability.md 37, 38, 40): kill -9 at any point, overlapping cron
runs, SIGTERM and the run budget. Every crawler here is the real CLI (or the crash driver,
which is the real crawl with one hook) in its own process, against HostileServer hosts."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.conftest import FaultRecorder
from tests.faults.crawl_hosts import (
    Crawler,
    Finished,
    Inventory,
    NewsHost,
    Trip,
    crawl_cli,
    fault_config,
    integrity,
    sqlite_rows,
    wait_until,
)
from tests.faults.hostile import HostileServer, Request, respond

HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")
# Pages of one host between request and record (per_host_concurrency 1): one being extracted
# while the host's spare worker fetches the next. A kill -9 can cost a rerun only these.
IN_FLIGHT_PER_HOST = 2


@pytest.fixture
def hosts() -> Iterator[list[NewsHost]]:
    """Four news hosts of 50 articles each: 200 pages."""
    servers = [HostileServer(host).start() for host in HOSTS]
    yield [NewsHost(server, 50) for server in servers]
    for server in servers:
        server.stop()


def _all_urls(hosts: list[NewsHost]) -> set[str]:
    return set().union(*(host.urls() for host in hosts))


def _sources(hosts: list[NewsHost]) -> list[dict[str, object]]:
    return [host.source(f"h{n}") for n, host in enumerate(hosts)]


def _article_urls(hosts: list[NewsHost], since: dict[str, int]) -> Counter[str]:
    """Article URLs requested from each host after its first ``since[host]`` requests."""
    asked: Counter[str] = Counter()
    for host in hosts:
        for request in host.server.requests[since.get(host.host, 0) :]:
            if request.path.startswith("/news/"):
                asked[host.server.url(request.path)] += 1
    return asked


def _marks(hosts: list[NewsHost]) -> dict[str, int]:
    return {host.host: len(host.server.requests) for host in hosts}


def _kill_then_resume(
    tmp_path: Path, hosts: list[NewsHost], first: Crawler, fault: FaultRecorder
) -> tuple[Finished, Finished, Counter[str], Counter[str], Inventory]:
    """Reap the killed ``first`` run, check what it left, run again; return both runs, the
    article URLs each one requested, and the inventory between the runs."""
    killed = first.wait()
    fault.child_peak(killed.peak_kib)
    between = Inventory.read(tmp_path)
    between.assert_saved_or_queued()
    assert integrity(tmp_path / "state" / "crawl.sqlite") == "ok"
    first_asked, mark = _article_urls(hosts, {}), _marks(hosts)
    again = crawl_cli(tmp_path, tmp_path / "config.yaml").wait()
    fault.child_peak(again.peak_kib)
    assert again.code == 0, again.stderr
    second_asked = _article_urls(hosts, mark)
    after = Inventory.read(tmp_path)
    after.assert_each_once(_all_urls(hosts))
    assert integrity(tmp_path / "state" / "crawl.sqlite") == "ok"
    assert integrity(tmp_path / "out" / "articles.sqlite") == "ok"
    # Within one run no page is asked for twice; across the two only what was not recorded.
    assert max(first_asked.values()) == 1
    assert max(second_asked.values()) == 1
    return killed, again, first_asked, second_asked, between


def test_sigkill_at_request_97_then_a_rerun_gives_every_article_once(
    fault: FaultRecorder, tmp_path: Path, hosts: list[NewsHost]
) -> None:
    fault.case(
        37,
        "SIGKILL at request #97, resume",
        expected="200 distinct URLs once in JSONL/files/SQLite; only in-flight pages refetched",
    )
    trip = Trip()
    for host in hosts:
        host.hooks.append(trip)
    cfg = fault_config(tmp_path, _sources(hosts))
    crawler = crawl_cli(tmp_path, cfg)
    trip.arm(crawler.pid, at=97)

    killed, again, first, second, between = _kill_then_resume(tmp_path, hosts, crawler, fault)

    assert killed.code == -signal.SIGKILL
    refetched = set(first) & set(second)
    assert len(refetched) <= IN_FLIGHT_PER_HOST * len(hosts)
    assert not refetched & between.state_done  # nothing recorded was fetched again
    assert len(between.state_done) >= 50  # the kill came mid-run, not at the start
    fault.observed(
        f"killed after {len(first)} article requests ({len(between.state_done)} recorded, "
        f"{len(between.outbox)} in the outbox); rerun exit {again.code} in "
        f"{again.seconds:.1f}s fetched {len(second)}, {len(refetched)} of them twice; "
        "200 once in every format, integrity ok"
    )


@pytest.fixture
def two_hosts() -> Iterator[list[NewsHost]]:
    """Two news hosts of 12 articles each, for the variants that need fewer pages."""
    servers = [HostileServer(host).start() for host in HOSTS[:2]]
    yield [NewsHost(server, 12) for server in servers]
    for server in servers:
        server.stop()


# (title, crash driver arguments, exit code of the killed run). Per article the writers call
# write_all three times (.txt temp, .json temp, JSONL line), so 22 is the 8th article's .txt.
KILL_POINTS = {
    "torn temp file": (("torn-write", "22"), -signal.SIGKILL),
    "torn JSONL line": (("torn-write", "24"), -signal.SIGKILL),
    "state SQLite commit": (("wal-write", "crawl.sqlite", "30"), -signal.SIGXFSZ),
    "output SQLite commit": (("wal-write", "articles.sqlite", "8"), -signal.SIGXFSZ),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_killed_inside_a_write_or_a_commit_then_a_rerun_repairs_everything(
    fault: FaultRecorder, tmp_path: Path, two_hosts: list[NewsHost], point: str
) -> None:
    fault.case(
        37,
        f"killed in a {point}",
        expected="torn tail cut, temp files removed, integrity ok, every article once",
    )
    driver_args, expected_code = KILL_POINTS[point]
    cfg = fault_config(tmp_path, _sources(two_hosts))
    driver = Crawler(tmp_path, str(cfg), *driver_args, module="tests.crawl.crash_driver")

    killed, _, first, second, between = _kill_then_resume(tmp_path, two_hosts, driver, fault)

    assert killed.code == expected_code, killed.stderr
    if point == "torn temp file":
        assert len(between.temp_files) == 1
    if point == "torn JSONL line":
        assert between.torn_jsonl_tail
    if point == "output SQLite commit":
        assert integrity(tmp_path / "out" / "articles.sqlite") == "ok"  # before the rerun too
    refetched = set(first) & set(second)
    assert len(refetched) <= IN_FLIGHT_PER_HOST * len(two_hosts)
    assert not refetched & between.state_done
    fault.observed(
        f"exit {killed.code} after {len(first)} pages ({len(between.state_done)} recorded, "
        f"temp files {len(between.temp_files)}, torn JSONL tail {between.torn_jsonl_tail}); "
        f"rerun fetched {len(second)} ({len(refetched)} twice), 24 once, integrity ok"
    )


def test_killed_while_fetching_robots_txt_then_a_rerun_completes(
    fault: FaultRecorder, tmp_path: Path, two_hosts: list[NewsHost]
) -> None:
    fault.case(
        37,
        "SIGKILL during a robots.txt fetch",
        expected="rerun asks robots.txt again and fetches every article once",
    )
    late = HostileServer("127.0.0.5").start()
    try:
        late_host = NewsHost(late, 5)
        pid = 0

        async def robots_then_kill(request: Request, writer: asyncio.StreamWriter) -> None:
            if pid:  # the first run: let the other hosts record a few pages, then die
                for _ in range(1000):
                    if sum(len(host.article_requests()) for host in two_hosts) >= 10:
                        break
                    await asyncio.sleep(0.01)
                os.kill(pid, signal.SIGKILL)
                return
            await respond(b"User-agent: *\nAllow: /\n", headers=[("Content-Type", "text/plain")])(
                request, writer
            )

        late.route("/robots.txt", robots_then_kill)
        # Start URLs are queued without a request, so this host's robots.txt is first asked
        # for by its worker, while the other hosts' articles are being fetched.
        late_source = {"name": "late", "start_urls": sorted(late_host.urls())}
        everyone = [*two_hosts, late_host]
        # Read timeouts well past the wait below: robots.txt must be in flight, not failed.
        slow_ok = {"read_timeout": 30.0, "total_timeout": 30.0}
        cfg = fault_config(tmp_path, [*_sources(two_hosts), late_source], fetch=slow_ok)
        crawler = crawl_cli(tmp_path, cfg)
        pid = crawler.pid
        wait_until(lambda: bool(late.requests_for("/robots.txt")), what="robots.txt asked")
        asked_before = len(late.requests_for("/robots.txt"))
        killed = crawler.wait()
        pid = 0
        fault.child_peak(killed.peak_kib)
        between = Inventory.read(tmp_path)
        between.assert_saved_or_queued()
        mark = _marks(everyone)
        again = crawl_cli(tmp_path, cfg).wait()
        fault.child_peak(again.peak_kib)
    finally:
        late.stop()

    assert killed.code == -signal.SIGKILL
    assert asked_before == 1
    assert again.code == 0, again.stderr
    assert len(late.requests_for("/robots.txt")) == 2  # not cached: it was never answered
    assert sqlite_rows(tmp_path / "state" / "crawl.sqlite", "SELECT count(*) FROM robots") == [
        (len(everyone),)
    ]
    assert between.state_done and not between.state_done & late_host.urls()
    Inventory.read(tmp_path).assert_each_once(_all_urls(everyone))
    second = _article_urls(everyone, mark)
    assert set(second) == _all_urls(everyone) - between.state_done
    fault.observed(
        f"killed mid robots.txt with {len(between.state_done)} articles recorded; rerun "
        f"exit 0 asked robots.txt again, fetched the other {len(second)}, 29 once"
    )


@pytest.fixture
def slow_host() -> Iterator[NewsHost]:
    """One host of 8 articles, each answered after 0.3 s."""
    with HostileServer("127.0.0.1") as server:
        yield NewsHost(server, 8, delay=0.3)


def test_overlapping_runs_are_refused_and_a_killed_holder_blocks_nothing(
    fault: FaultRecorder, tmp_path: Path, slow_host: NewsHost
) -> None:
    fault.case(
        38,
        "cron overlap, then holder killed",
        expected="B exits 75 at once naming A's pid, A goes on; after kill -9 A, C runs normally",
    )
    cfg = fault_config(tmp_path, [slow_host.source("slow")])
    run_a = crawl_cli(tmp_path, cfg)
    wait_until(lambda: bool(slow_host.article_requests()), what="A's first article request")

    run_b = crawl_cli(tmp_path, cfg).wait()
    a_requests_at_b_exit = len(slow_host.article_requests())
    fault.child_peak(run_b.peak_kib)
    wait_until(lambda: len(slow_host.article_requests()) > a_requests_at_b_exit, what="A going on")
    assert run_a.running()
    os.kill(run_a.pid, signal.SIGKILL)
    killed = run_a.wait()
    fault.child_peak(killed.peak_kib)
    done_by_a = Inventory.read(tmp_path).state_done
    run_c = crawl_cli(tmp_path, cfg).wait()
    fault.child_peak(run_c.peak_kib)

    assert run_b.code == 75
    assert run_b.error_lines() == [run_b.stderr.strip()]  # one line, nothing else
    assert f"pid {run_a.pid}" in run_b.stderr
    assert run_b.seconds < 10  # exited at once: no waiting for the lock
    assert killed.code == -signal.SIGKILL
    assert run_c.code == 0, run_c.stderr
    assert "crawl run" in run_c.stderr.strip().splitlines()[-1]
    Inventory.read(tmp_path).assert_each_once(slow_host.urls())
    asked = Counter(slow_host.article_requests())
    # at most A's in-flight pages again
    assert sum(asked.values()) <= len(slow_host.paths) + IN_FLIGHT_PER_HOST
    fault.observed(
        f"B exit {run_b.code} in {run_b.seconds:.1f}s: {run_b.error_lines()[0][:60]}...; "
        f"A kept fetching; A killed with {len(done_by_a)} done; C exit 0, 8 once"
    )


def test_sigterm_finishes_in_flight_pages_commits_and_exits_143(
    fault: FaultRecorder, tmp_path: Path
) -> None:
    fault.case(
        40,
        "SIGTERM mid-run",
        expected="no new work, in-flight finished and committed within 10 s, exit 143 + summary",
    )
    with HostileServer("127.0.0.1") as one, HostileServer("127.0.0.2") as two:
        hosts = [NewsHost(one, 6, delay=0.3), NewsHost(two, 6, delay=0.3)]
        trip = Trip(when=lambda request: request.path.startswith("/news/"))
        for host in hosts:
            host.hooks.append(trip)
        cfg = fault_config(tmp_path, _sources(hosts))
        crawler = crawl_cli(tmp_path, cfg)
        trip.arm(crawler.pid, at=3, signum=signal.SIGTERM)
        stopped = crawler.wait()
        fault.child_peak(stopped.peak_kib)
        between, mark = Inventory.read(tmp_path), _marks(hosts)
        first = _article_urls(hosts, {})
        late = [
            r for h in hosts for r in h.server.requests if trip.fired_at and r.at > trip.fired_at
        ]
        again = crawl_cli(tmp_path, cfg).wait()
        fault.child_peak(again.peak_kib)
        second = _article_urls(hosts, mark)

    assert trip.fired_at is not None
    assert stopped.code == 143, stopped.stderr
    summary = stopped.stderr.strip().splitlines()[-1]
    assert summary.startswith("crawl run 1 in ")
    assert "stopped by SIGTERM" in summary
    # Stopped taking work: at most a request already on its way as the signal landed.
    assert all(r.at - trip.fired_at < 0.3 for r in late), [r.path for r in late]
    assert set(first) == between.state_done  # what was in flight was finished and recorded
    assert trip.fired_url in between.state_done  # the page the signal came with
    between.assert_saved_or_queued()
    assert again.code == 0, again.stderr
    assert set(second) == _all_urls(hosts) - set(first)
    Inventory.read(tmp_path).assert_each_once(_all_urls(hosts))
    fault.observed(
        f"exit 143, {stopped.seconds:.1f}s in all; {len(first)} pages asked, all recorded; "
        f"{len(late)} request(s) after the signal; next run fetched the other {len(second)}"
    )


def test_max_time_checkpoints_exits_0_and_the_next_run_takes_the_rest(
    fault: FaultRecorder, tmp_path: Path, slow_host: NewsHost
) -> None:
    fault.case(
        40,
        "--max-time 2 against a slow host",
        expected="exit 0 with a summary about 2 s in; unfinished URLs stay queued for the next run",
    )
    cfg = fault_config(tmp_path, [slow_host.source("slow")])

    budgeted = crawl_cli(tmp_path, cfg, "--max-time", "2").wait()
    fault.child_peak(budgeted.peak_kib)
    between = Inventory.read(tmp_path)
    first = Counter(slow_host.article_requests())
    again = crawl_cli(tmp_path, cfg).wait()
    fault.child_peak(again.peak_kib)

    assert budgeted.code == 0, budgeted.stderr
    summary = budgeted.stderr.strip().splitlines()[-1]
    assert "stopped by max_time" in summary
    run_seconds = float(summary.split(" in ", 1)[1].split("s:", 1)[0])
    assert 2 <= run_seconds < 2 + 0.3 + 1.5  # the budget, one slow page, some slack
    assert 0 < len(between.state_done) < 8
    assert between.state_pending == slow_host.urls() - between.state_done
    assert set(first) == {u.split(slow_host.server.origin, 1)[1] for u in between.state_done}
    assert again.code == 0, again.stderr
    Inventory.read(tmp_path).assert_each_once(slow_host.urls())
    assert Counter(slow_host.article_requests()) == dict.fromkeys(slow_host.paths, 1)
    fault.observed(
        f"exit 0 after a {run_seconds:.1f}s run with {len(between.state_done)} of 8 done, "
        f"{len(between.state_pending)} queued; next run fetched those, 8 once"
    )
