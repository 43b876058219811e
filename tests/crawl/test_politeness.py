"""HostGate: per-host gaps and slots, parallel hosts, Crawl-delay, deferral, circuit breaking.

Real time with tiny delays where the point is concurrency; a fake clock where the point is an
exact number of seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest

from scraper.config import CrawlSettings
from scraper.crawl.politeness import (
    CRAWL_DELAY_TOO_LONG,
    TOO_MANY_FAILURES,
    HostGate,
    HostSkipped,
)

DELAY = 0.05


def settings(**overrides: Any) -> CrawlSettings:
    values: dict[str, Any] = {"delay": DELAY, "delay_jitter": 0.0}
    return CrawlSettings(**(values | overrides))


@dataclass
class Visit:
    host: str
    start: float
    end: float


@dataclass
class Recorder:
    """Runs requests through a gate and keeps when each one started and ended."""

    gate: HostGate
    clock: Any = time.monotonic
    visits: list[Visit] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    peak: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    total: int = 0
    peak_total: int = 0

    async def request(self, host: str, seconds: float = 0.0) -> None:
        async with self.gate.slot(host):
            start = self.clock()
            self.in_flight[host] += 1
            self.total += 1
            self.peak[host] = max(self.peak[host], self.in_flight[host])
            self.peak_total = max(self.peak_total, self.total)
            await asyncio.sleep(seconds)
            self.in_flight[host] -= 1
            self.total -= 1
            self.visits.append(Visit(host, start, self.clock()))

    def of(self, host: str) -> list[Visit]:
        return sorted((v for v in self.visits if v.host == host), key=lambda v: v.start)

    def gaps(self, host: str) -> list[float]:
        visits = self.of(host)
        return [b.start - a.end for a, b in itertools.pairwise(visits)]


class FakeTime:
    """A clock that only moves when the gate sleeps. Use with one host at a time."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def fake_gate(fake: FakeTime, **overrides: Any) -> tuple[HostGate, Recorder]:
    rng = overrides.pop("rng", None)
    gate = HostGate(settings(**overrides), clock=fake.clock, sleep=fake.sleep, rng=rng)
    return gate, Recorder(gate, clock=fake.clock)


def run_requests(recorder: Recorder, hosts: list[str], seconds: float = 0.0) -> None:
    async def scenario() -> None:
        await asyncio.gather(*(recorder.request(host, seconds) for host in hosts))

    asyncio.run(scenario())


# --- real time: gaps and parallelism ------------------------------------------------------------


def test_requests_to_one_host_are_one_at_a_time_and_a_delay_apart() -> None:
    recorder = Recorder(HostGate(settings()))
    run_requests(recorder, ["a.test"] * 4, seconds=0.01)

    assert recorder.peak["a.test"] == 1
    assert len(recorder.gaps("a.test")) == 3
    assert all(gap >= DELAY for gap in recorder.gaps("a.test")), recorder.gaps("a.test")


def test_three_hosts_progress_in_parallel() -> None:
    hosts = ["127.0.0.1", "127.0.0.2", "localhost"]
    recorder = Recorder(HostGate(settings()))
    started = time.monotonic()
    run_requests(recorder, hosts * 3, seconds=0.02)
    elapsed = time.monotonic() - started

    for host in hosts:
        assert recorder.peak[host] == 1
        assert all(gap >= DELAY for gap in recorder.gaps(host))
    assert recorder.peak_total == 3  # one request per host in flight at the same moment
    # Each host needs 3 x 0.02 + 2 x 0.05 = 0.16 s; one after another would take 0.5 s or more.
    assert elapsed < 0.4, elapsed


def test_a_stalled_host_does_not_block_the_others() -> None:
    gate = HostGate(settings(concurrency=2))
    recorder = Recorder(gate)
    release = asyncio.Event()

    async def stalled() -> None:
        async with gate.slot("slow.test"):
            await release.wait()

    async def scenario() -> float:
        stuck = asyncio.create_task(stalled())
        await asyncio.sleep(0)
        started = time.monotonic()
        await asyncio.gather(*(recorder.request("fast.test") for _ in range(3)))
        took = time.monotonic() - started
        release.set()
        await stuck
        return took

    took = asyncio.run(scenario())

    assert len(recorder.of("fast.test")) == 3
    assert took < 0.3


def test_global_concurrency_bounds_requests_over_all_hosts() -> None:
    recorder = Recorder(HostGate(settings(concurrency=2)))
    run_requests(recorder, [f"h{i}.test" for i in range(6)], seconds=0.03)

    assert recorder.peak_total == 2
    assert len(recorder.visits) == 6


def test_per_host_concurrency_allows_that_many_in_flight() -> None:
    recorder = Recorder(HostGate(settings(per_host_concurrency=2, delay=0.0)))
    run_requests(recorder, ["a.test"] * 4, seconds=0.05)

    assert recorder.peak["a.test"] == 2


def test_a_host_dropped_while_requests_wait_refuses_them() -> None:
    gate = HostGate(settings(host_failure_limit=1))
    outcomes: list[str] = []

    async def attempt() -> None:
        try:
            async with gate.slot("a.test"):
                outcomes.append("fetched")
                gate.record_failure("a.test")
        except HostSkipped as exc:
            outcomes.append(exc.reason)

    async def scenario() -> None:
        await asyncio.gather(attempt(), attempt(), attempt())

    asyncio.run(scenario())

    assert outcomes == ["fetched", TOO_MANY_FAILURES, TOO_MANY_FAILURES]


# --- fake clock: exact gaps -----------------------------------------------------------------------


def test_the_gap_counts_from_the_end_of_the_previous_request() -> None:
    fake = FakeTime()
    gate, recorder = fake_gate(fake, delay=2.0)

    async def scenario() -> None:
        async with gate.slot("a.test"):
            fake.now += 5.0  # a slow response: 5 s pass inside the request
        await recorder.request("a.test")
        await recorder.request("a.test")

    asyncio.run(scenario())

    starts = [visit.start for visit in recorder.of("a.test")]
    assert starts == [7.0, 9.0]


def test_crawl_delay_lengthens_the_gap() -> None:
    fake = FakeTime()
    gate, recorder = fake_gate(fake, delay=2.0)
    gate.set_crawl_delay("a.test", 4.0)
    run_requests(recorder, ["a.test"] * 3)

    assert recorder.gaps("a.test") == [4.0, 4.0]
    assert gate.delay("a.test") == 4.0


def test_a_short_crawl_delay_never_lowers_our_delay() -> None:
    fake = FakeTime()
    gate, recorder = fake_gate(fake, delay=2.0)
    gate.set_crawl_delay("a.test", 0.1)
    run_requests(recorder, ["a.test"] * 3)

    assert recorder.gaps("a.test") == [2.0, 2.0]
    assert not gate.is_dropped("a.test")


def test_clearing_the_crawl_delay_restores_our_delay() -> None:
    gate = HostGate(settings(delay=2.0))
    gate.set_crawl_delay("a.test", 10.0)
    gate.set_crawl_delay("a.test", None)

    assert gate.delay("a.test") == 2.0


def test_a_crawl_delay_over_the_cap_skips_the_host() -> None:
    gate = HostGate(settings(max_crawl_delay=30.0))
    gate.set_crawl_delay("a.test", 600.0)

    assert gate.skip_reason("a.test") == CRAWL_DELAY_TOO_LONG
    assert gate.is_dropped("a.test")
    assert not gate.is_dropped("b.test")
    with pytest.raises(HostSkipped) as caught:
        asyncio.run(Recorder(gate).request("a.test"))
    assert caught.value.reason == CRAWL_DELAY_TOO_LONG
    assert caught.value.code == "host_skipped"


def test_a_crawl_delay_at_the_cap_is_honoured() -> None:
    gate = HostGate(settings(max_crawl_delay=30.0))
    gate.set_crawl_delay("a.test", 30.0)

    assert gate.skip_reason("a.test") is None
    assert gate.delay("a.test") == 30.0


def test_defer_holds_the_next_request_back() -> None:
    fake = FakeTime()
    gate, recorder = fake_gate(fake, delay=0.5)

    async def scenario() -> None:
        await recorder.request("a.test")
        gate.defer("a.test", 3.0)  # e.g. 429 with Retry-After: 3
        await recorder.request("a.test")
        await recorder.request("a.test")

    asyncio.run(scenario())

    starts = [visit.start for visit in recorder.of("a.test")]
    assert starts == [0.0, 3.0, 3.5]


def test_a_defer_shorter_than_the_delay_does_not_shorten_it() -> None:
    fake = FakeTime()
    gate, recorder = fake_gate(fake, delay=2.0)

    async def scenario() -> None:
        await recorder.request("a.test")
        gate.defer("a.test", 0.5)
        await recorder.request("a.test")

    asyncio.run(scenario())

    assert recorder.gaps("a.test") == [2.0]


def test_defer_applies_to_its_host_only() -> None:
    gate = HostGate(settings())
    recorder = Recorder(gate)
    gate.defer("slow.test", 60.0)

    async def scenario() -> None:
        waiting = asyncio.create_task(recorder.request("slow.test"))
        await asyncio.wait_for(recorder.request("fast.test"), timeout=1.0)
        waiting.cancel()

    asyncio.run(scenario())

    assert [visit.host for visit in recorder.visits] == ["fast.test"]


@pytest.mark.parametrize("seconds", [-1.0, float("inf"), float("nan")])
def test_defer_refuses_nonsense(seconds: float) -> None:
    with pytest.raises(ValueError):
        HostGate(settings()).defer("a.test", seconds)


# --- failures ------------------------------------------------------------------------------------


def test_five_consecutive_failures_drop_the_host() -> None:
    gate = HostGate(settings())
    for _ in range(4):
        gate.record_failure("a.test")
    assert not gate.is_dropped("a.test")

    gate.record_failure("a.test")

    assert gate.is_dropped("a.test")
    assert gate.skip_reason("a.test") == TOO_MANY_FAILURES
    assert not gate.is_dropped("b.test")


def test_a_success_resets_the_failure_count() -> None:
    gate = HostGate(settings())
    for _ in range(4):
        gate.record_failure("a.test")
    gate.record_success("a.test")
    for _ in range(4):
        gate.record_failure("a.test")

    assert not gate.is_dropped("a.test")


def test_a_dropped_host_stays_dropped_and_keeps_its_first_reason() -> None:
    gate = HostGate(settings(host_failure_limit=1))
    gate.drop("a.test", "retry_after_too_long")
    gate.record_failure("a.test")
    gate.record_success("a.test")

    assert gate.skip_reason("a.test") == "retry_after_too_long"


def test_host_names_are_compared_case_insensitively() -> None:
    gate = HostGate(settings(host_failure_limit=1))
    gate.record_failure("Example.COM.")

    assert gate.is_dropped("example.com")


# --- jitter --------------------------------------------------------------------------------------


def test_jitter_stays_within_its_share_of_the_delay() -> None:
    fake = FakeTime()
    _, recorder = fake_gate(fake, delay=1.0, delay_jitter=0.5, rng=random.Random(7))
    run_requests(recorder, ["a.test"] * 40)

    gaps = recorder.gaps("a.test")
    assert all(1.0 <= gap <= 1.5 for gap in gaps), gaps
    assert max(gaps) - min(gaps) > 0.2  # it does vary


def test_no_jitter_means_exact_gaps() -> None:
    fake = FakeTime()
    _, recorder = fake_gate(fake, delay=1.0, delay_jitter=0.0)
    run_requests(recorder, ["a.test"] * 5)

    assert recorder.gaps("a.test") == [1.0] * 4
