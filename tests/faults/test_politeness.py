"""Section C, politeness (reliability.md 20, 22, 23, 24): Crawl-delay, per-host politeness,
Retry-After and an error storm, each a real crawl (``run_crawl``) against HostileServer hosts
whose handler logs every request's Host, start and end, and the requests in flight per Host."""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from scraper.config import Settings
from scraper.crawl.stats import CrawlReport
from tests.faults.conftest import FaultRecorder
from tests.faults.crawl_hosts import article_body, article_path
from tests.faults.hostile import Handler, HostileServer, Request, close_now, head_bytes, respond
from tests.faults.test_robots import robots_settings, run, url_status

ALLOW = b"User-agent: *\nAllow: /\n"


@dataclass
class Hit:
    host: str  # the Host header: two names on one address are two hosts
    path: str
    start: float  # time.monotonic()
    end: float = math.inf  # until the answer is sent (a hanging one never is)


@dataclass
class LoggedSite:
    """The fallback handler of one HostileServer: robots.txt, an article at every /news/ path
    (``work`` seconds to make), scripted answers per path (each request takes the next, None
    meaning the usual answer; the last one repeats), and hangs for the Host names in
    ``stalled``."""

    robots: bytes = ALLOW
    work: float = 0.02
    scripts: dict[str, list[Handler | None]] = field(default_factory=dict)
    stalled: set[str] = field(default_factory=set)
    hits: list[Hit] = field(default_factory=list)
    peak: Counter[str] = field(default_factory=Counter)
    _in_flight: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, server: HostileServer) -> LoggedSite:
        server.fallback = self
        return self

    def script(self, path: str, *handlers: Handler | None) -> None:
        self.scripts[path] = list(handlers)

    def for_host(self, host: str, prefix: str = "/news/") -> list[Hit]:
        return [hit for hit in self.hits if hit.host == host and hit.path.startswith(prefix)]

    async def __call__(self, request: Request, writer: asyncio.StreamWriter) -> None:
        host = request.headers.get("host", "")
        hit = Hit(host, request.path, time.monotonic())
        with self._lock:
            self.hits.append(hit)
            self._in_flight[host] += 1
            self.peak[host] = max(self.peak[host], self._in_flight[host])
        try:
            await self._answer(request, writer, hit)
        finally:
            with self._lock:
                self._in_flight[host] -= 1
                hit.end = min(hit.end, time.monotonic())

    async def _answer(self, request: Request, writer: asyncio.StreamWriter, hit: Hit) -> None:
        script = self.scripts.get(request.path)
        handler = (script.pop(0) if len(script) > 1 else script[0]) if script else None
        if handler is not None:
            await handler(request, writer)
            return
        if request.path == "/robots.txt":
            body, kind = self.robots, "text/plain"
        elif request.path.startswith("/news/"):
            await asyncio.sleep(3600 if hit.host in self.stalled else self.work)
            body, kind = article_body(hit.host, request.path), "text/html; charset=utf-8"
        else:
            await respond(b"not here", status=404)(request, writer)
            return
        headers = [("Content-Type", kind), ("Content-Length", str(len(body)))]
        hit.end = time.monotonic()  # before the client can have the answer, so gaps are not short
        writer.write(head_bytes(200, headers) + body)
        await writer.drain()


def pages(server: HostileServer, count: int, *, host: str | None = None) -> list[str]:
    origin = f"http://{host or server.host}:{server.port}"
    return [origin + article_path(n) for n in range(count)]


def source(name: str, urls: list[str]) -> dict[str, Any]:
    return {"name": name, "start_urls": urls}


def politeness_settings(
    tmp_path: Path, sources: list[dict[str, Any]], *, fetch: dict[str, Any], **crawl: Any
) -> Settings:
    settings = robots_settings(tmp_path, sources, fetch=fetch)
    return settings.model_copy(update={"crawl": settings.crawl.model_copy(update=crawl)})


def start_gaps(hits: list[Hit]) -> list[float]:
    return [b.start - a.start for a, b in itertools.pairwise(hits)]


def rest_gaps(hits: list[Hit]) -> list[float]:
    """From the end of one answer to the start of the next request: the gate's gap."""
    return [b.start - a.end for a, b in itertools.pairwise(hits)]


@pytest.fixture
def three(hostile: HostileServer, hostile2: HostileServer) -> Iterator[list[HostileServer]]:
    """Origins on 127.0.0.1, 127.0.0.2 and 127.0.0.3."""
    with HostileServer("127.0.0.3") as third:
        yield [hostile, hostile2, third]


# -- 20 ------------------------------------------------------------------------------------------


def test_case20_crawl_delay_is_honoured_floored_and_capped(
    tmp_path: Path,
    fault: FaultRecorder,
    three: list[HostileServer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    fault.case(
        20,
        "Crawl-delay 1 / 0.1 / 600",
        expected="1 (scaled from 4): >= 1 s apart; 0.1: our 0.3 s delay; 600 > 30 s cap: "
        "host skipped and logged",
    )
    hostile, hostile2, third = three
    slow = LoggedSite(b"User-agent: *\nCrawl-delay: 1\n").attach(hostile)
    quick = LoggedSite(b"User-agent: *\nCrawl-delay: 0.1\n").attach(hostile2)
    lazy = LoggedSite(b"User-agent: *\nCrawl-delay: 600\n").attach(third)
    servers = {"slow": hostile, "quick": hostile2, "lazy": third}
    counts = {"slow": 3, "quick": 4, "lazy": 2}
    sources = [source(name, pages(servers[name], n)) for name, n in counts.items()]
    settings = politeness_settings(tmp_path, sources, fetch={}, delay=0.3, delay_jitter=0.0)
    caplog.set_level(logging.WARNING, logger="scraper.crawl.politeness")

    report = run(settings)

    slow_gaps = start_gaps(slow.hits)  # robots.txt, then 3 articles
    quick_gaps = start_gaps(quick.hits)
    assert len(slow_gaps) == 3 and min(slow_gaps) >= 1.0, slow_gaps
    assert len(quick_gaps) == 4 and min(quick_gaps) >= 0.3, quick_gaps  # ours, not 0.1
    assert [hit.path for hit in lazy.hits] == ["/robots.txt"]
    lazy_host = f"127.0.0.3:{third.port}"
    assert report.dropped_hosts == {lazy_host: "crawl_delay_too_long"}
    warnings = [record.getMessage() for record in caplog.records]
    assert any(lazy_host in line and "crawl_delay_too_long" in line for line in warnings)
    assert report.stats["sources"]["slow"]["new"] == 3
    fault.observed(
        f"gaps with Crawl-delay 1: min {min(slow_gaps):.2f} s; with 0.1: "
        f"{min(quick_gaps):.2f}-{max(quick_gaps):.2f} s; 600: only robots.txt, dropped, logged"
    )


# -- 22 ------------------------------------------------------------------------------------------


def test_case22_per_host_politeness_three_hosts_and_a_stalled_one(
    tmp_path: Path, fault: FaultRecorder, three: list[HostileServer]
) -> None:
    fault.case(
        22,
        "3 hosts x 20 pages + a stalled host",
        expected="<= 1 in flight per host, gaps >= delay, hosts in parallel, stall blocks no one",
    )
    delay, timeout = 0.1, 1.5
    hostile, hostile2, third = three
    one = LoggedSite().attach(hostile)  # serves both 127.0.0.1 and localhost
    two = LoggedSite().attach(hostile2)
    stuck = LoggedSite(stalled={f"127.0.0.3:{third.port}"}).attach(third)
    hosts = {
        f"127.0.0.1:{hostile.port}": (one, pages(hostile, 20)),
        f"127.0.0.2:{hostile2.port}": (two, pages(hostile2, 20)),
        f"localhost:{hostile.port}": (one, pages(hostile, 20, host="localhost")),
    }
    sources = [source(f"h{n}", urls) for n, (_, urls) in enumerate(hosts.values())]
    sources.append(source("stuck", pages(third, 2)))
    fetch = {"total_timeout": timeout, "retries": 0}
    settings = politeness_settings(tmp_path, sources, fetch=fetch, delay=delay, delay_jitter=0.5)

    started = time.monotonic()
    report = run(settings)
    wall = time.monotonic() - started

    spans, shortest_rest = [], math.inf
    for host, (site, _) in hosts.items():
        hits = site.for_host(host, "/")
        assert len(site.for_host(host)) == 20
        assert site.peak[host] == 1, (host, site.peak)
        shortest_rest = min(shortest_rest, *rest_gaps(hits))
        spans.append((hits[0].start, hits[-1].end))
    assert shortest_rest >= delay, shortest_rest
    assert report.stats["totals"]["new"] == 60
    # In parallel: the three hosts were all busy at once for most of the run.
    together = min(end for _, end in spans) - max(start for start, _ in spans)
    longest = max(end - start for start, end in spans)
    assert together > 0.7 * longest, (together, longest)
    stalls = stuck.for_host(f"127.0.0.3:{third.port}")
    assert len(stalls) == 2 and stalls[1].start - stalls[0].start >= timeout + delay
    others = [hit for site in (one, two) for hit in site.hits if hit.path.startswith("/news/")]
    during = [hit for hit in others if stalls[0].start < hit.start < stalls[0].start + timeout]
    assert len(during) >= 6, len(during)  # the others went on while one host hung
    fault.observed(
        f"peak in flight per host 1; min gap {shortest_rest:.3f} s "
        f"(delay {delay}); hosts overlap {together:.1f}/{longest:.1f} s; {len(during)} pages "
        f"elsewhere during a {timeout} s stall; 60 pages in {wall:.1f} s"
    )


# -- 23 ------------------------------------------------------------------------------------------


def _http_date_in(seconds: int) -> tuple[str, float]:
    """An HTTP-date ``seconds`` (plus the rest of this second) ahead, and that moment."""
    when = math.ceil(time.time()) + seconds
    return formatdate(when, usegmt=True), float(when)


@dataclass
class Throttle:
    """429 for the first ``times`` requests with a Retry-After (a value or a callable), then
    the article; the wall-clock moment each 429 asked us to wait until is kept."""

    retry_after: str | Callable[[], tuple[str, float]]
    times: int = 1
    waits: list[float] = field(default_factory=list)  # seconds asked for, as sent

    def handlers(self) -> list[Handler | None]:
        """Throttled ``times``, then the site's usual answer."""
        return [self._throttle] * self.times + [None]

    async def _throttle(self, request: Request, writer: asyncio.StreamWriter) -> None:
        if callable(self.retry_after):
            value, until = self.retry_after()
            self.waits.append(until - time.time())
        else:
            value = self.retry_after
            self.waits.append(float(value) if value.isdigit() else 0.0)
        await respond(b"slow down", status=429, headers=(("Retry-After", value),))(request, writer)


def _throttle(variant: str) -> Throttle:
    if variant == "http-date":
        return Throttle(lambda: _http_date_in(1))
    return Throttle("soon", times=2) if variant == "soon" else Throttle("1")


@pytest.mark.parametrize("variant", ["seconds", "http-date", "soon"])
def test_case23_retry_after_holds_the_host_back(
    tmp_path: Path, fault: FaultRecorder, hostile: HostileServer, variant: str
) -> None:
    throttle = _throttle(variant)
    backoff = 0.2
    fault.case(
        23,
        f"429 Retry-After: {variant}",
        expected="exponential backoff with jitter (0.2, 0.4 s + up to 0.2)"
        if variant == "soon"
        else "next request to the host not before the time asked (scaled to 1-2 s)",
    )
    site = LoggedSite().attach(hostile)
    urls = pages(hostile, 3)
    site.script(urls[0].removeprefix(hostile.origin), *throttle.handlers())
    fetch = {"retries": 2, "backoff_initial": backoff, "backoff_max": 5.0}
    settings = politeness_settings(tmp_path, [source("a", urls)], fetch=fetch, delay=0.05)

    report = run(settings)

    hits = site.for_host(f"127.0.0.1:{hostile.port}")
    gaps = start_gaps(hits)[: throttle.times]
    assert report.stats["totals"]["new"] == 3
    if variant == "soon":
        lows = [backoff, 2 * backoff]
        # At least the backoff; at most it plus its jitter (one more backoff_initial) and slack.
        assert all(low <= gap < low + backoff + 0.3 for low, gap in zip(lows, gaps, strict=True))
        observed = f"429 'soon' x2: retried after {gaps[0]:.2f} s then {gaps[1]:.2f} s"
    else:
        assert gaps[0] >= throttle.waits[0] - 0.05, (gaps, throttle.waits)
        observed = f"asked to wait {throttle.waits[0]:.2f} s; next request {gaps[0]:.2f} s later"
    fault.observed(f"{observed}; all 3 articles saved")


def test_case23_a_retry_after_past_the_cap_defers_the_host_to_a_later_run(
    tmp_path: Path, fault: FaultRecorder, hostile: HostileServer, hostile2: HostileServer
) -> None:
    fault.case(
        23,
        "429 Retry-After: 86400",
        expected="> 300 s cap: host dropped for the run, its URLs wait; no worker sleeps",
    )
    throttled = LoggedSite().attach(hostile)
    LoggedSite().attach(hostile2)
    urls = pages(hostile, 3)
    throttled.script(urls[0].removeprefix(hostile.origin), *Throttle("86400").handlers())
    sources = [source("a", urls), source("b", pages(hostile2, 3))]
    settings = politeness_settings(
        tmp_path, sources, fetch={"retries": 2, "retry_after_max": 300.0}, delay=0.05
    )

    started = time.monotonic()
    report = run(settings)
    wall = time.monotonic() - started

    assert wall < 10
    assert len(throttled.for_host(f"127.0.0.1:{hostile.port}")) == 1  # not retried, not slept on
    assert report.dropped_hosts == {f"127.0.0.1:{hostile.port}": "retry_after_too_long"}
    assert {url_status(tmp_path)[url][0] for url in urls} == {"pending"}
    assert report.stats["sources"]["b"]["new"] == 3
    fault.observed(f"1 request, host dropped (retry_after_too_long), 3 URLs pending; {wall:.1f} s")


# -- 24 ------------------------------------------------------------------------------------------


async def _always_503(request: Request, writer: asyncio.StreamWriter) -> None:
    await respond(b"down", status=503)(request, writer)


STORMS: dict[str, Handler] = {"503": _always_503, "reset": close_now}


@pytest.mark.parametrize("storm", list(STORMS))
def test_case24_an_error_storm_costs_bounded_attempts(
    tmp_path: Path,
    fault: FaultRecorder,
    hostile: HostileServer,
    hostile2: HostileServer,
    storm: str,
) -> None:
    fault.case(
        24,
        f"error storm: one host always {storm}",
        expected="<= 3 attempts per URL; host dropped after 5 failures; URL failed after 3 "
        "runs; 404/410/403 tried once; healthy host finishes",
    )
    failing = LoggedSite().attach(hostile)
    healthy = LoggedSite().attach(hostile2)
    bad_urls = pages(hostile, 7)
    for url in bad_urls:
        failing.script(url.removeprefix(hostile.origin), STORMS[storm])
    gone = {"/gone-404": 404, "/gone-410": 410, "/forbidden-403": 403}
    for path, status in gone.items():
        healthy.script(path, respond(b"no", status=status))
    good_urls = pages(hostile2, 4) + [hostile2.url(path) for path in gone]
    sources = [source("bad", bad_urls), source("good", good_urls)]
    settings = politeness_settings(
        tmp_path, sources, fetch={"retries": 2, "backoff_initial": 0.01}, delay=0.02
    )
    attempts: dict[int, Counter[str]] = {}  # run -> URL path -> requests

    reports: list[CrawlReport] = []
    for n in range(4):
        mark = len(failing.hits)
        reports.append(run(settings))
        attempts[n] = Counter(hit.path for hit in failing.hits[mark:] if hit.path != "/robots.txt")
        _check_run(reports[-1], attempts[n], hostile, url_status(tmp_path), bad_urls)

    runs_tried: Counter[str] = Counter(path for run in attempts.values() for path in run)
    statuses = url_status(tmp_path)
    for url in bad_urls:
        path = url.removeprefix(hostile.origin)
        assert (statuses[url][0] == "failed") == (runs_tried[path] >= 3), (path, runs_tried)
    assert sum(status == "failed" for status, _ in (statuses[url] for url in bad_urls)) >= 5
    for path in gone:
        assert len([hit for hit in healthy.hits if hit.path == path]) == 1  # never retried
        assert statuses[hostile2.url(path)][0] == "failed"
    assert reports[0].stats["sources"]["good"]["new"] == 4
    fault.observed(
        f"run 1: {dict(Counter(attempts[0].values()))} (attempts: URLs), host dropped after "
        f"{len(attempts[0])} URLs; URL-runs per URL over 4 runs {sorted(runs_tried.values())}; "
        "failed after 3 runs; 404/410/403 one request each; healthy host 4 new"
    )


def _check_run(
    report: CrawlReport,
    attempts: Counter[str],
    server: HostileServer,
    statuses: dict[str, tuple[str, str | None]],
    bad_urls: list[str],
) -> None:
    """One run of the storm: every URL tried was tried 3 times; at most 5 URLs before the drop."""
    host = f"127.0.0.1:{server.port}"
    assert set(attempts.values()) <= {3}, attempts
    due = [url for url in bad_urls if statuses[url][0] == "pending"]
    assert len(attempts) <= 5
    if len(attempts) == 5 and due:
        assert report.dropped_hosts.get(host) == "too_many_failures"
