"""robots.txt: the RFC 9309 status matrix, size and redirect limits, rules, Crawl-delay, expiry."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import socket
import struct
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scraper.config import CrawlSettings, FetchSettings
from scraper.errors import PermanentFetchError
from scraper.fetch import make_client
from scraper.fetch.robots import (
    ALLOW_ALL,
    DISALLOW_ALL,
    RULES,
    RobotsChecker,
    RobotsDisallowed,
    RobotsPolicy,
    RobotsRecord,
    fetch_robots,
    robots_origin,
    user_agent_token,
)
from tests.fetch.harness import tiny
from tests.fetch.servers import Handler, RawServer, Seen, redirect, reply, stall_after

KiB = 1024
MiB = 1024 * KiB
UA = FetchSettings().user_agent
T0 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def text(status: int, body: bytes, headers: dict[str, str] | None = None) -> Handler:
    return reply(status, body, {"Content-Type": "text/plain", **(headers or {})})


def run(
    routes: dict[str, Handler],
    *,
    settings: FetchSettings | None = None,
    crawl: CrawlSettings | None = None,
) -> tuple[RobotsRecord, list[Seen]]:
    """Serve ``routes`` on 127.0.0.1 and fetch its robots.txt, all in one event loop."""

    async def scenario() -> tuple[RobotsRecord, list[Seen]]:
        fetch_settings = settings or tiny()
        async with RawServer(routes) as server, make_client(fetch_settings) as client:
            record = await fetch_robots(
                server.url(""), client, fetch_settings, crawl or CrawlSettings()
            )
            return record, list(server.seen)

    return asyncio.run(scenario())


def policy_for(body: bytes, **headers: str) -> RobotsPolicy:
    record, _ = run({"/robots.txt": text(200, body, headers)})
    assert record.verdict == RULES
    return RobotsPolicy.from_record(record, UA)


# --- rules ------------------------------------------------------------------------------------


def test_disallow_all_blocks_every_path() -> None:
    policy = policy_for(b"User-agent: *\nDisallow: /\n")

    for path in ["/", "/news/a.html", "/feed.xml", "/sitemap.xml", "/?q=1"]:
        assert not policy.allowed(f"http://127.0.0.1{path}"), path


def test_the_longest_match_wins_between_allow_and_disallow() -> None:
    policy = policy_for(
        b"User-agent: *\n"
        b"Disallow: /news/\n"
        b"Allow: /news/public/\n"
        b"Disallow: /news/public/drafts/\n"
        b"Disallow: /*.pdf$\n"
    )

    assert policy.allowed("http://h/about")
    assert not policy.allowed("http://h/news/2026/story")
    assert policy.allowed("http://h/news/public/story")
    assert not policy.allowed("http://h/news/public/drafts/story")
    assert not policy.allowed("http://h/report.pdf")
    assert policy.allowed("http://h/report.pdf?page=2")


def test_our_own_group_beats_the_wildcard_group() -> None:
    policy = policy_for(b"User-agent: *\nDisallow: /\n\nUser-agent: Scraper\nDisallow: /private\n")

    assert policy.allowed("http://h/news/story")
    assert not policy.allowed("http://h/private/x")


def test_another_crawlers_group_does_not_apply_to_us() -> None:
    policy = policy_for(b"User-agent: Googlebot\nDisallow: /\n")

    assert policy.allowed("http://h/news/story")


def test_a_utf8_bom_does_not_hide_the_first_line() -> None:
    policy = policy_for(b"\xef\xbb\xbfUser-agent: *\nDisallow: /\n")

    assert not policy.allowed("http://h/x")


def test_the_request_names_us_and_asks_for_text() -> None:
    _, seen = run({"/robots.txt": text(200, b"")})

    assert [request.path for request in seen] == ["/robots.txt"]
    assert seen[0].headers["user-agent"] == tiny().user_agent
    assert seen[0].headers["accept"].startswith("text/plain")


# --- the status matrix (RFC 9309 §2.3.1) ------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_and_429_mean_disallow_all(status: int) -> None:
    record, seen = run({"/robots.txt": text(status, b"User-agent: *\nAllow: /\n")})

    assert record.verdict == DISALLOW_ALL
    assert record.from_error
    assert record.body == ""
    assert len(seen) == 1  # not retried within the run: the short error cache is the retry
    assert not RobotsPolicy.from_record(record, UA).allowed("http://h/")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_client_errors_mean_allow_all(status: int) -> None:
    record, _ = run({"/robots.txt": text(status, b"User-agent: *\nDisallow: /\n")})

    assert record.verdict == ALLOW_ALL
    assert not record.from_error
    assert RobotsPolicy.from_record(record, UA).allowed("http://h/anything")


async def _reset(_: Seen, writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()  # linger 0: the close is a TCP RST


def test_a_timeout_means_disallow_all() -> None:
    record, _ = run(
        {"/robots.txt": stall_after(b"", 5.0)}, settings=tiny(read_timeout=0.2, retries=0)
    )

    assert record.verdict == DISALLOW_ALL
    assert record.from_error


def test_the_total_deadline_holds_for_robots_too() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nUser-agent: *\n"
    record, _ = run(
        {"/robots.txt": stall_after(head, 5.0)},
        settings=tiny(read_timeout=5.0, total_timeout=0.3),
    )

    assert record.verdict == DISALLOW_ALL


def test_a_connection_reset_means_disallow_all() -> None:
    record, _ = run({"/robots.txt": _reset})

    assert record.verdict == DISALLOW_ALL
    assert record.from_error


def test_a_refused_connection_means_disallow_all() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def scenario() -> RobotsRecord:
        async with make_client(tiny()) as client:
            return await fetch_robots(f"http://127.0.0.1:{port}", client, tiny(), CrawlSettings())

    record = asyncio.run(scenario())

    assert record.verdict == DISALLOW_ALL
    assert record.from_error
    assert record.origin == f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<!doctype html><html><body><h1>Oops, page not found</h1></body></html>",
        bytes(range(256)) * 8,
    ],
    ids=["empty", "html-error-page", "binary"],
)
def test_an_empty_or_garbage_200_allows_everything(body: bytes) -> None:
    policy = policy_for(body)

    assert policy.allowed("http://h/")
    assert policy.allowed("http://h/news/story")
    assert policy.crawl_delay is None


def test_a_corrupt_gzip_body_means_disallow_all() -> None:
    broken = gzip.compress(b"User-agent: *\nAllow: /\n" * 100)[:40]
    record, _ = run({"/robots.txt": text(200, broken, {"Content-Encoding": "gzip"})})

    assert record.verdict == DISALLOW_ALL


# --- size --------------------------------------------------------------------------------------


def _padded(rules: dict[int, bytes], size: int) -> bytes:
    """``size`` bytes of comment lines with each rule starting at (about) its offset."""
    out = bytearray(b"User-agent: *\n")
    for offset, rule in sorted(rules.items()):
        out += _comments(offset - len(out)) + rule
    return bytes(out + _comments(size - len(out)))


def _comments(size: int) -> bytes:
    line = b"# " + b"x" * 61 + b"\n"
    full, rest = divmod(size, len(line))
    return line * full + (b"#" * (rest - 1) + b"\n" if rest else b"")


def test_only_the_first_robots_max_bytes_are_parsed() -> None:
    body = _padded({100 * KiB: b"Disallow: /private\n", MiB: b"Disallow: /secret\n"}, 2 * MiB)
    assert len(body) == 2 * MiB
    record, _ = run({"/robots.txt": text(200, body)})
    policy = RobotsPolicy.from_record(record, UA)

    assert not policy.allowed("http://h/private/page")  # at 100 KiB: inside the limit
    assert policy.allowed("http://h/secret/page")  # at 1 MiB: past it
    assert len(record.body) <= CrawlSettings().robots_max_bytes


def test_a_rule_cut_by_the_limit_is_dropped_not_shortened() -> None:
    cap = 4 * KiB
    body = _padded({cap - 10: b"Disallow: /private-area\n"}, 8 * KiB)
    record, _ = run({"/robots.txt": text(200, body)}, crawl=CrawlSettings(robots_max_bytes=cap))
    policy = RobotsPolicy.from_record(record, UA)

    assert record.body.endswith("\n")
    assert "Disallow: /pri" not in record.body
    assert policy.allowed("http://h/pri")


def test_a_gzip_bomb_is_read_only_up_to_the_limit() -> None:
    plain = b"User-agent: *\nDisallow: /private\n" + b"#" * (8 * MiB)
    bomb = gzip.compress(plain, compresslevel=1)
    assert len(bomb) < 128 * KiB
    record, _ = run({"/robots.txt": text(200, bomb, {"Content-Encoding": "gzip"})})
    policy = RobotsPolicy.from_record(record, UA)

    assert record.verdict == RULES
    assert len(record.body) <= CrawlSettings().robots_max_bytes
    assert not policy.allowed("http://h/private")


def test_a_stacked_gzip_bomb_is_cut_short_without_an_error() -> None:
    bomb = gzip.compress(gzip.compress(b"#" * (16 * MiB)))
    headers = {"Content-Encoding": "gzip, gzip"}
    record, _ = run({"/robots.txt": text(200, bomb, headers)})

    assert record.verdict == RULES
    assert len(record.body) <= CrawlSettings().robots_max_bytes


def test_a_gzip_robots_txt_is_decoded() -> None:
    body = gzip.compress(b"User-agent: *\nDisallow: /private\nCrawl-delay: 3\n")
    policy = policy_for(body, **{"Content-Encoding": "gzip"})

    assert not policy.allowed("http://h/private")
    assert policy.crawl_delay == 3.0


# --- redirects ---------------------------------------------------------------------------------


def _chain(hops: int, final: Handler) -> dict[str, Handler]:
    names = ["/robots.txt"] + [f"/r{i}" for i in range(1, hops + 1)]
    routes: dict[str, Handler] = {a: redirect(b) for a, b in itertools.pairwise(names)}
    routes[names[-1]] = final
    return routes


def test_five_redirects_are_followed() -> None:
    record, seen = run(_chain(5, text(200, b"User-agent: *\nDisallow: /\n")))

    assert record.verdict == RULES
    assert len(seen) == 6
    assert not RobotsPolicy.from_record(record, UA).allowed("http://h/x")


def test_a_sixth_redirect_means_unavailable_so_allow_all() -> None:
    record, seen = run(_chain(6, text(200, b"User-agent: *\nDisallow: /\n")))

    assert record.verdict == ALLOW_ALL  # like a 4xx: the file is unavailable
    assert not record.from_error
    assert "/r6" not in [request.path for request in seen]
    assert len(seen) == 6


def test_a_redirect_to_another_host_is_followed_and_applies_to_our_origin() -> None:
    async def scenario() -> tuple[RobotsRecord, list[Seen]]:
        routes: dict[str, Handler] = {"/elsewhere.txt": text(200, b"User-agent: *\nDisallow: /x\n")}
        async with RawServer(routes) as server, make_client(tiny()) as client:
            routes["/robots.txt"] = redirect(server.url("/elsewhere.txt", "localhost"))
            record = await fetch_robots(server.url(""), client, tiny(), CrawlSettings())
            return record, list(server.seen)

    record, seen = asyncio.run(scenario())

    assert record.origin.startswith("http://127.0.0.1:")
    assert seen[1].headers["host"].startswith("localhost:")
    assert not RobotsPolicy.from_record(record, UA).allowed("http://127.0.0.1/x/page")


@pytest.mark.parametrize(
    "location", ["ftp://127.0.0.1/robots.txt", "javascript:alert(1)", "http://[::1"]
)
def test_a_redirect_to_an_unusable_target_means_unavailable(location: str) -> None:
    record, seen = run({"/robots.txt": redirect(location)})

    assert record.verdict == ALLOW_ALL
    assert not record.from_error
    assert len(seen) == 1


# --- Crawl-delay ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"User-agent: *\nCrawl-delay: 4\n", 4.0),
        (b"User-agent: *\nCrawl-delay: 0.1\n", 0.1),
        (b"User-agent: *\nCrawl-delay: 600\n", 600.0),
        (b"User-agent: *\nCrawl-delay: soon\n", None),
        (b"User-agent: *\nDisallow: /x\n", None),
        (b"User-agent: other\nCrawl-delay: 9\n", None),
    ],
)
def test_crawl_delay_is_read_for_our_group(body: bytes, expected: float | None) -> None:
    assert policy_for(body).crawl_delay == expected


def test_verdicts_without_rules_have_no_crawl_delay() -> None:
    for verdict in (ALLOW_ALL, DISALLOW_ALL):
        record = RobotsRecord("http://h", verdict, "", T0)
        assert RobotsPolicy.from_record(record, UA).crawl_delay is None


# --- records and expiry ------------------------------------------------------------------------


def _record(verdict: str) -> RobotsRecord:
    body = "User-agent: *\nDisallow: /\n" if verdict == RULES else ""
    return RobotsRecord(origin="http://h", verdict=verdict, body=body, fetched_at=T0)


@pytest.mark.parametrize("verdict", [RULES, ALLOW_ALL])
def test_rules_and_4xx_answers_expire_after_24_hours(verdict: str) -> None:
    record = _record(verdict)
    settings = CrawlSettings()

    assert not record.from_error
    assert not record.expired(T0, settings)
    assert not record.expired(T0 + timedelta(hours=23, minutes=59), settings)
    assert record.expired(T0 + timedelta(hours=24), settings)
    assert record.expired(T0 + timedelta(hours=25), settings)


def test_disallow_all_from_an_error_expires_after_1_hour() -> None:
    record = _record(DISALLOW_ALL)
    settings = CrawlSettings()

    assert record.from_error
    assert not record.expired(T0 + timedelta(minutes=59), settings)
    assert record.expired(T0 + timedelta(hours=1), settings)


def test_cache_lifetimes_come_from_settings() -> None:
    settings = CrawlSettings(robots_cache_hours=6, robots_error_cache_hours=0.5)

    assert _record(RULES).expired(T0 + timedelta(hours=6), settings)
    assert _record(DISALLOW_ALL).expired(T0 + timedelta(minutes=30), settings)


def test_a_record_dated_in_the_future_counts_as_expired() -> None:
    assert _record(RULES).expired(T0 - timedelta(minutes=5), CrawlSettings())


def test_a_fetched_record_is_stamped_now_in_utc() -> None:
    before = datetime.now(UTC)
    record, _ = run({"/robots.txt": text(200, b"")})

    assert record.fetched_at.tzinfo is not None
    assert before <= record.fetched_at <= datetime.now(UTC)
    assert not record.expired(datetime.now(UTC), CrawlSettings())


@pytest.mark.parametrize(
    "overrides",
    [
        {"verdict": "maybe"},
        {"verdict": ALLOW_ALL, "body": "User-agent: *\n"},
        {"fetched_at": datetime(2026, 11, 22, 3, 0)},  # naive on purpose
    ],
)
def test_malformed_records_are_refused(overrides: dict[str, Any]) -> None:
    values: dict[str, Any] = {"origin": "http://h", "verdict": RULES, "body": "", "fetched_at": T0}
    with pytest.raises(ValueError):
        RobotsRecord(**(values | overrides))


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "token"),
    [
        (UA, "scraper"),
        ("Scraper/2.0", "scraper"),
        ("mybot", "mybot"),
        ("Mozilla/5.0 (compatible; X)", "mozilla"),
        ("", ""),
    ],
)
def test_the_user_agent_token_is_the_first_product_name(user_agent: str, token: str) -> None:
    assert user_agent_token(user_agent) == token


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Example.COM/a/b?c=d#e", "https://example.com"),
        ("https://example.com:443/", "https://example.com"),
        ("http://127.0.0.1:8080/x", "http://127.0.0.1:8080"),
        ("http://[::1]:81/x", "http://[::1]:81"),
    ],
)
def test_robots_origin(url: str, origin: str) -> None:
    assert robots_origin(url) == origin


@pytest.mark.parametrize("url", ["ftp://example.com/x", "/relative/path", "http://"])
def test_robots_origin_refuses_what_has_no_http_origin(url: str) -> None:
    with pytest.raises(ValueError):
        robots_origin(url)


# --- one-off fetches (scrape URL) -------------------------------------------------------------


def check(routes: dict[str, Handler], paths: list[str]) -> tuple[list[str | None], list[str]]:
    """Ask a RobotsChecker about each of ``paths`` at once: the error code per path (None if
    allowed) and the paths the server saw."""

    async def scenario() -> tuple[list[str | None], list[str]]:
        async with RawServer(routes) as server, make_client(tiny()) as client:
            checker = RobotsChecker(client, tiny(), CrawlSettings())

            async def one(path: str) -> str | None:
                try:
                    await checker.require_allowed(server.url(path))
                except RobotsDisallowed as exc:
                    return exc.code
                return None

            codes = await asyncio.gather(*(one(path) for path in paths))
            return list(codes), server.paths()

    return asyncio.run(scenario())


def test_a_one_off_fetch_obeys_the_rules_and_asks_once_per_origin() -> None:
    rules = text(200, b"User-agent: *\nDisallow: /private\n")

    codes, seen = check({"/robots.txt": rules}, ["/private/a", "/news/b", "/private/c"])

    assert codes == ["robots_disallowed", None, "robots_disallowed"]
    assert seen == ["/robots.txt"]


@pytest.mark.parametrize("status", [503, 429, 404])
def test_a_one_off_fetch_is_not_blocked_by_an_unreachable_or_missing_robots_txt(
    status: int,
) -> None:
    codes, seen = check({"/robots.txt": text(status, b"User-agent: *\nDisallow: /\n")}, ["/a"])

    assert codes == [None]  # the person asked for this page; the crawl is the strict one
    assert seen == ["/robots.txt"]


def test_robots_disallowed_is_a_permanent_fetch_error() -> None:
    error = RobotsDisallowed("no", url="http://h/x")

    assert isinstance(error, PermanentFetchError)
    assert error.code == "robots_disallowed"
