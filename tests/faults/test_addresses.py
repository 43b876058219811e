"""Section B, cases 13-15 and case 8's resolution: the SSRF guard, pinning, DNS limits.

The guard stays ON here (fetch.allow_private_addresses false); its holes are exactly the
fixtures' (address, port) pairs, so the canary on 127.0.0.1 is refused like any private host.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scraper.errors import TransientFetchError
from scraper.fetch import fetch, make_client
from scraper.fetch.guard import why_blocked
from scraper.fetch.network import DNS_THREADS
from scraper.models import Page
from tests.crawl.crawl_support import T0
from tests.crawl.sites import rss
from tests.faults.conftest import FaultRecorder
from tests.faults.crawl_hosts import Crawler, fault_config, sqlite_rows
from tests.faults.guard_support import (
    Fetched,
    RecordingNetwork,
    SlowDns,
    TestDns,
    fetch_one,
    guard,
    page,
    redirect,
    run_fetch,
    settings,
)
from tests.faults.hostile import HostileServer, respond

PRIVATE_TARGETS = [  # (redirect target; port filled in, the address the refusal must name)
    ("http://127.0.0.1:{canary}/x", "127.0.0.1"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
    ("http://10.0.0.1/admin", "10.0.0.1"),
    ("http://[::1]:{canary}/x", "::1"),
    ("http://0.0.0.0:{canary}/x", "0.0.0.0"),
    ("http://localhost:{canary}/x", "127.0.0.1"),
]
OBFUSCATED = [
    "2130706433",
    "0x7f.1",
    "127.1",
    "017700000001",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[64:ff9b::7f00:1]",
    "[2002:7f00:1::]",
    "LOCALHOST.",
    "www.localhost",
]


def test_redirects_to_private_addresses_are_refused_before_connecting(
    fault: FaultRecorder,
    hostile: HostileServer,
    canary: HostileServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fault.case(13, "302 to private addresses", expected="blocked_address naming the IP, 0 dials")
    network = RecordingNetwork()
    holes = guard(hostile, network=network)
    named = []
    with caplog.at_level(logging.WARNING, logger="scraper.fetch.guard"):
        for n, (target, address) in enumerate(PRIVATE_TARGETS):
            hostile.route(f"/go{n}", redirect(target.format(canary=canary.port)))
            error = run_fetch(hostile.url(f"/go{n}"), holes).failure()
            assert error.code == "blocked_address", error
            assert address in error.message and error.url == hostile.url(f"/go{n}")
            named.append(address)

    assert set(network.dials) == {(hostile.host, hostile.port)}  # only the allowed page
    assert len(network.dials) == len(PRIVATE_TARGETS)
    logged = [r.getMessage() for r in caplog.records if "blocked_address" in r.getMessage()]
    assert [any(a in line for line in logged) for a in named] == [True] * len(named)
    fault.observed(f"{len(named)} hops refused ({', '.join(named)}); dials only to the page")


def test_a_crawl_refuses_private_links_and_goes_on(
    fault: FaultRecorder, hostile: HostileServer, canary: HostileServer, tmp_path: Path
) -> None:
    fault.case(13, "crawl: links/302 to private", expected="blocked_address each, crawl goes on")
    bad = [target.format(canary=canary.port) for target, _ in PRIVATE_TARGETS]
    story, bounce = hostile.url("/news/story"), hostile.url("/news/bounce")
    hostile.route("/feed.xml", respond(rss((url, T0) for url in [story, bounce, *bad])))
    hostile.route("/news/story", page())
    hostile.route("/news/bounce", redirect(bad[0]))
    source = {"name": "news", "feeds": [hostile.url("/feed.xml")]}
    off = {"allow_private_addresses": False}
    cfg = fault_config(tmp_path, [source], fetch=off, obey_robots=False)

    run = Crawler(tmp_path, str(cfg), f"{hostile.host}:{hostile.port}",
                  module="tests.faults.guard_driver").wait(60)  # fmt: skip
    fault.child_peak(run.peak_kib)

    rows = {
        url: (status, reason)
        for url, status, reason in sqlite_rows(
            tmp_path / "state" / "crawl.sqlite", "SELECT url, status, reason FROM urls"
        )
    }
    assert rows[story][0] == "done", rows
    refused = {url: why for url, (status, why) in rows.items() if url != story}
    assert set(refused.values()) == {"blocked_address"}, rows
    assert len(refused) >= len(bad)  # every private link and the bounce (normalised URLs)
    assert "blocked_address" in run.stderr and "169.254.169.254" in run.stderr
    fault.observed(f"exit {run.code} in {run.seconds:.1f}s: story saved, {len(refused)} URLs "
                   "failed blocked_address, canary saw 0")  # fmt: skip


@pytest.mark.parametrize("host", OBFUSCATED)
def test_obfuscated_loopback_spellings_are_refused(
    fault: FaultRecorder, canary: HostileServer, host: str
) -> None:
    fault.case(14, f"obfuscated IP {host}", expected="blocked_address after resolution")
    network = RecordingNetwork()

    error = run_fetch(f"http://{host}:{canary.port}/", guard(network=network)).failure()

    assert error.code == "blocked_address", error
    assert network.dials == []
    fault.observed(error.message.split(";")[0])


@given(st.integers(0, 2**32 - 1))
def test_ipv4_inside_ipv6_is_judged_as_the_ipv4(number: int) -> None:
    ipv4 = IPv4Address(number)
    mapped = IPv6Address(f"::ffff:{ipv4}")
    nat64 = IPv6Address(int(IPv6Address("64:ff9b::")) + number)
    assert (why_blocked(mapped) is None) == (why_blocked(ipv4) is None)
    assert (why_blocked(nat64) is None) == (why_blocked(ipv4) is None)


def test_dns_rebinding_cannot_move_a_checked_connection(
    fault: FaultRecorder, hostile: HostileServer, canary: HostileServer
) -> None:
    fault.case(15, "DNS rebinding", expected="pinned to the checked IP, then refused; canary 0")
    hostile.route("/story", page(close=True))  # closes: the second fetch needs a new connection
    dns = TestDns({"rebind.test": [["203.0.113.5"], ["127.0.0.1"]]})
    public = ("203.0.113.5", canary.port)  # "public" by the test policy; dialled as the fixture
    network = RecordingNetwork({public: (hostile.host, hostile.port)})
    holes = guard(dns=dns, network=network, extra=[public])
    url = f"http://rebind.test:{canary.port}/story"

    async def twice() -> tuple[Fetched, Fetched]:
        return await fetch_one(url, holes), await fetch_one(url, holes)

    first, second = asyncio.run(twice())

    assert first.page is not None and "Harbour story" in first.page.html
    assert second.failure().code == "blocked_address"
    assert network.dials == [public]  # the checked address, once; never the name
    assert dns.calls == ["rebind.test", "rebind.test"]  # one lookup per connection
    assert hostile.requests_for("/story")[0].headers["host"] == f"rebind.test:{canary.port}"
    fault.observed("1st: resolved 203.0.113.5, connected there (Host kept); 2nd: 127.0.0.1"
                   " -> blocked_address; dials [203.0.113.5], canary 0")  # fmt: skip


def test_a_name_with_any_private_address_is_refused(
    fault: FaultRecorder, canary: HostileServer
) -> None:
    fault.case(15, "mixed public+private answer", expected="refused: every address is checked")
    dns = TestDns({"mixed.test": [["203.0.113.5", "127.0.0.1"]]})
    network = RecordingNetwork()
    holes = guard(dns=dns, network=network, extra=[("203.0.113.5", canary.port)])

    error = run_fetch(f"http://mixed.test:{canary.port}/", holes).failure()

    assert error.code == "blocked_address" and "127.0.0.1" in error.message
    assert network.dials == []
    fault.observed(f"{error.code}, 0 dials")


def test_a_hung_resolver_ends_at_the_deadline_without_piling_up_threads(
    fault: FaultRecorder,
) -> None:
    fault.case(8, "DNS hangs 30 s", expected="deadline_exceeded at 1 s; threads end")
    dns = SlowDns()
    slow = settings(total_timeout=1.0, connect_timeout=10.0)
    before = _dns_threads()

    async def many() -> list[Fetched]:
        urls = [f"http://slow{n}.test/" for n in range(12)]
        return list(await asyncio.gather(*(fetch_one(u, guard(dns=dns), slow) for u in urls)))

    try:
        results = asyncio.run(many())
        during = _dns_threads()
    finally:
        dns.release()
    _wait(lambda: _dns_threads() == before, "resolver threads to end")

    codes = {r.failure().code for r in results}
    seconds = max(r.seconds for r in results)
    assert codes == {"deadline_exceeded"} and seconds < 2.0
    assert during - before <= 12 * DNS_THREADS  # each client's pool: at most DNS_THREADS
    fault.observed(f"12 fetches: {codes} by {seconds:.2f}s; resolver threads +{during - before}"
                   f" while hung, back to {before} after")  # fmt: skip


def test_one_client_holds_at_most_four_resolver_threads(fault: FaultRecorder) -> None:
    fault.case(8, "DNS hangs, one client", expected="connect timeout; threads <= DNS_THREADS")
    dns = SlowDns()
    quick = settings(total_timeout=3.0, connect_timeout=0.5)
    before = _dns_threads()

    async def many() -> tuple[list[BaseException | Page], int]:
        async with make_client(quick, guard(dns=dns)) as client:
            calls = [fetch(f"http://slow{n}.test/", client, quick) for n in range(20)]
            results = await asyncio.gather(*calls, return_exceptions=True)
            return list(results), _dns_threads()

    start = time.monotonic()
    try:
        results, during = asyncio.run(many())
    finally:
        dns.release()
    seconds = time.monotonic() - start
    _wait(lambda: _dns_threads() == before, "resolver threads to end")

    codes = {getattr(r, "code", r) for r in results}
    assert codes == {"timeout"} and seconds < 2.0
    assert during - before <= DNS_THREADS
    fault.observed(f"20 fetches: {codes} in {seconds:.2f}s; {during - before} resolver threads")


def test_a_name_that_does_not_resolve_is_retried_at_most_once(fault: FaultRecorder) -> None:
    fault.case(8, "nx.invalid", expected="dns_error, transient, 2 lookups")
    dns = TestDns()

    error = run_fetch("http://nx.invalid/", guard(dns=dns), settings(retries=2)).failure()

    assert error.code == "dns_error" and isinstance(error, TransientFetchError)
    assert dns.calls == ["nx.invalid", "nx.invalid"]
    fault.observed(f"{error.code} ({type(error).__name__}) after {len(dns.calls)} lookups")


def test_a_connect_that_hangs_ends_at_the_connect_timeout(fault: FaultRecorder) -> None:
    fault.case(8, "connect hangs", expected="timeout at connect_timeout, inside the deadline")
    network = RecordingNetwork(hang=True)
    holes = guard(network=network, extra=[("127.0.0.1", 9)])
    hung = settings(connect_timeout=0.5, total_timeout=2.0)
    deadline = settings(connect_timeout=10.0, total_timeout=1.0)

    by_connect = run_fetch("http://hang.test:9/", holes, hung)
    by_deadline = run_fetch("http://hang.test:9/", holes, deadline)

    assert by_connect.failure().code == "timeout" and by_connect.seconds < 1.5
    assert by_deadline.failure().code == "deadline_exceeded" and by_deadline.seconds < 2.0
    fault.observed(f"connect_timeout 0.5: timeout in {by_connect.seconds:.2f}s; total 1.0:"
                   f" deadline_exceeded in {by_deadline.seconds:.2f}s")  # fmt: skip


def _dns_threads() -> int:
    return sum(t.name.startswith("scraper-dns") for t in threading.enumerate())


def _wait(condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
