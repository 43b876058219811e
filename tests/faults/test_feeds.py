"""Fault cases 31, 32 and 35 (reliability.md E) for feeds: entity bombs, XXE and external DTDs,
a 30 MB feed and a regex-killer feed, each served by a hostile server to a crawl's discovery
(real HTTP, robots.txt, SQLite state), plus the parser timed on the same bytes."""

from __future__ import annotations

import logging
import pyexpat
from functools import partial
from pathlib import Path

import pytest

from scraper.discover import NotAFeedError, parse_feed
from tests.faults.conftest import FaultRecorder
from tests.faults.discovery_support import (
    BOMBS,
    discover,
    peak_mib,
    queued,
    reasons,
    rss_mib,
    serve,
    timed,
    with_dtd,
)
from tests.faults.hostile import HostileServer

MiB = 1024 * 1024


def rss(items: bytes, channel_title: bytes = b"Hostile news") -> bytes:
    return (
        b'<rss version="2.0"><channel><title>' + channel_title + b"</title>" + items + b"</channel>"
        b"</rss>"
    )


def item(link: str | bytes, title: bytes = b"A story") -> bytes:
    link = link.encode() if isinstance(link, str) else link
    return b"<item><title>" + title + b"</title><link>" + link + b"</link></item>"


def test_31_entity_bombs_in_rss(
    fault: FaultRecorder, hostile: HostileServer, tmp_path: Path
) -> None:
    fault.case(
        31,
        "entity bombs in RSS",
        expected="refused (not_a_feed) in < 1 s, RSS growth < 64 MiB, expat >= 2.4",
    )
    logging.getLogger(__name__).info("pyexpat %s", pyexpat.EXPAT_VERSION)
    # feedparser's strict pass is expat: 2.4+ limits amplification if our lxml guard missed one
    assert pyexpat.version_info >= (2, 4, 0), pyexpat.EXPAT_VERSION
    story = hostile.url("/news/story")
    baseline, seconds, feeds = rss_mib(), {}, []
    for name, bomb in BOMBS.items():
        dtd, reference = bomb()
        document = with_dtd(b"rss", dtd, rss(item(story, reference), reference))
        refused, seconds[name] = timed(partial(refusal, document, story))
        assert seconds[name] < 1
        assert "amplification" in refused.message
        feeds.append(serve(hostile, f"/{name.replace(' ', '-')}.rss", document, rss=True))
    growth = peak_mib() - baseline
    assert growth < 64

    stats = discover(tmp_path, feeds=feeds)

    assert reasons(stats)[1] == {"not_a_feed": 2}
    assert queued(tmp_path) == set()
    fault.observed(
        f"{pyexpat.EXPAT_VERSION}; both refused not_a_feed by libxml2's amplification limit in "
        + ", ".join(f"{name} {seconds[name] * 1000:.1f} ms" for name in BOMBS)
        + f"; RSS growth {growth:.1f} MiB; crawl counted 2 failed feeds, queued nothing"
    )


def refusal(document: bytes, url: str) -> NotAFeedError:
    with pytest.raises(NotAFeedError) as refused:
        parse_feed(document, url)
    return refused.value


def test_32_xxe_and_external_dtd_in_a_feed(
    fault: FaultRecorder,
    hostile: HostileServer,
    canary: HostileServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fault.case(
        32,
        "XXE, external DTD, XInclude in RSS",
        expected="no file content in links or titles, canary sees 0 connections",
    )
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-31337\n")
    items = (
        item(hostile.url("/news/a") + "&passwd;", b"&passwd;")
        + item(hostile.url("/news/b") + "&secret;", b"&secret;")
        + item(hostile.url("/news/c") + "&remote;", b"&remote;")
        + b'<item><title><xi:include href="file:///etc/passwd" parse="text"/></title>'
        b"<link>" + hostile.url("/news/d").encode() + b"</link></item>"
    )
    document = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "{canary.url("/x.dtd")}" [\n'
        f'  <!ENTITY passwd SYSTEM "file:///etc/passwd">\n'
        f'  <!ENTITY secret SYSTEM "file://{secret}">\n'
        f'  <!ENTITY remote SYSTEM "{canary.url("/entity")}">\n'
        f'  <!ENTITY % param SYSTEM "{canary.url("/param.dtd")}"> %param;\n]>\n'
    ).encode() + rss(items).replace(
        b"<rss ", b'<rss xmlns:xi="http://www.w3.org/2001/XInclude" ', 1
    )
    links, seconds = timed(lambda: parse_feed(document, hostile.url("/feed.rss")))

    with caplog.at_level(logging.DEBUG):
        stats = discover(tmp_path, feeds=[serve(hostile, "/feed.rss", document, rss=True)])

    everything = repr(links) + caplog.text + repr(queued(tmp_path))
    assert "TOPSECRET" not in everything and "root:" not in everything
    assert [link.url.startswith(hostile.url("/news/")) for link in links] == [True] * 4
    assert queued(tmp_path) == {link.url for link in links}
    assert reasons(stats)[1] == {}
    assert canary.connections == 0
    fault.observed(
        f"parsed in {seconds * 1000:.1f} ms; 4 links on the feed's host queued, entity"
        f" references left as text; no secret or /etc/passwd content; canary saw"
        f" {canary.connections}"
    )


def big_feed(hostile: HostileServer, count: int) -> tuple[bytes, list[str]]:
    """An RSS feed of ``count`` items, ~600 bytes each; every fifth item repeats the link of
    the one before it. Returns the feed and each item's link."""
    body = b"<description>" + b"Words of the story. " * 25 + b"</description>"
    links = [hostile.url(f"/news/story-{n - 1 if n % 5 == 4 else n}") for n in range(count)]
    items = b"".join(
        item(link, b"Story %d" % n).replace(b"</item>", body + b"</item>")
        for n, link in enumerate(links)
    )
    return rss(items), links


def test_35_feed_of_fifty_thousand_items(
    fault: FaultRecorder, hostile: HostileServer, tmp_path: Path
) -> None:
    fault.case(
        35,
        "RSS with 50k items, ~30 MB",
        expected="< 10 s, < 200 MiB RSS growth, at most 1000 items queued, deduplicated",
    )
    document, links = big_feed(hostile, 50_000)
    assert len(document) > 30_000_000
    feed = serve(hostile, "/feed.rss", document, rss=True)
    baseline = rss_mib()

    parsed, parse_seconds = timed(lambda: parse_feed(document, feed))
    stats, seconds = timed(lambda: discover(tmp_path, feeds=[feed]))

    growth = peak_mib() - baseline
    first_thousand = list(dict.fromkeys(links[:1000]))
    assert [link.url for link in parsed] == first_thousand  # 800: 1000 items, 200 repeats
    assert queued(tmp_path) == set(first_thousand)
    assert stats.counts["found"] == 800
    assert parse_seconds < 10 and seconds < 10
    assert growth < 200
    fault.observed(
        f"{len(document) / 1e6:.1f} MB: parse {parse_seconds:.2f} s, fetch+parse+queue"
        f" {seconds:.2f} s, RSS growth {growth:.0f} MiB; first 1000 items read, 800 distinct"
        " queued"
    )


def test_35_pile_of_unclosed_links_parses_fast(
    fault: FaultRecorder, hostile: HostileServer, tmp_path: Path
) -> None:
    fault.case(
        35,
        "200 KB <rss> + <link>x x 20k+",
        expected="parsed in < 1 s (trafilatura's LINK_ELEMENTS: 19 s on 70 KB)",
    )
    document = b"<rss>" + b"<link>x" * 30_000
    assert len(document) >= 200_000
    refused, seconds = timed(lambda: refusal(document, hostile.url("/feed.rss")))
    assert seconds < 1
    # Closed, the pile is valid XML, so nothing refuses it: feedparser reads only its first
    # MAX_TAGS tags (~30 us each), whatever its size; 2 MB costs what 280 KB costs.
    closed = b"<rss>" + b"<link>x</link>" * 150_000 + b"</rss>"
    links, closed_seconds = timed(lambda: parse_feed(closed, hostile.url("/feed.rss")))
    assert closed_seconds < 3 and links == []

    stats = discover(tmp_path, feeds=[serve(hostile, "/feed.rss", document, rss=True)])

    assert reasons(stats)[1] == {"not_a_feed": 1}
    fault.observed(
        f"{len(document) // 1000} KB refused ({refused.message.split(':')[-1].strip()[:40]})"
        f" in {seconds * 1000:.1f} ms; {len(closed) // 1000} KB of closed <link>x</link> cut at"
        f" the tag budget, {closed_seconds * 1000:.0f} ms; crawl counted not_a_feed"
    )
