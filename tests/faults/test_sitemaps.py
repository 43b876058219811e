"""Fault cases 31-35 (reliability.md E) for sitemaps: entity bombs, XXE, compressed and oversized
sitemaps, hostile topologies and regex-killer input, each served by a hostile server to a real
crawl run (discovery, robots.txt, SQLite state), plus the parser timed on the same bytes."""

from __future__ import annotations

import asyncio
import logging
import pyexpat
import zlib
from functools import partial
from pathlib import Path

import pytest

from scraper.discover import parse_sitemap
from tests.faults.conftest import FaultRecorder
from tests.faults.discovery_support import (
    BOMBS,
    XML,
    discover,
    peak_mib,
    queued,
    reasons,
    rss_mib,
    serve,
    timed,
    with_dtd,
)
from tests.faults.hostile import HostileServer, Request, endless, respond

MiB = 1024 * 1024
URLSET_OPEN = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
GZIP = (("Content-Type", "application/x-gzip"),)


def urlset(*locs: str) -> bytes:
    entries = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs)
    return (URLSET_OPEN.decode() + entries + "</urlset>").encode()


def index(*locs: str) -> bytes:
    entries = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return f"<sitemapindex>{entries}</sitemapindex>".encode()


def test_31_entity_bombs_in_a_sitemap(
    fault: FaultRecorder, hostile: HostileServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fault.case(
        31,
        "entity bombs in a sitemap",
        expected="stopped at the bomb < 1 s, nothing expanded, RSS growth < 64 MiB, expat >= 2.4",
    )
    logging.getLogger(__name__).info("pyexpat %s", pyexpat.EXPAT_VERSION)
    assert pyexpat.version_info >= (2, 4, 0), pyexpat.EXPAT_VERSION  # its amplification limit
    before, after = hostile.url("/news/before-the-bomb"), hostile.url("/news/after-the-bomb")
    baseline, seconds, sitemaps = rss_mib(), {}, []
    for name, bomb in BOMBS.items():
        dtd, reference = bomb()
        body = urlset(before, hostile.url("/news/") + "BOMB", after).replace(b"BOMB", reference)
        document = with_dtd(b"urlset", dtd, body)
        result, seconds[name] = timed(partial(parse_sitemap, document, before))
        assert seconds[name] < 1
        assert [link.url for link in result.links] == [before] and result.truncated
        sitemaps.append(serve(hostile, f"/{name.replace(' ', '-')}.xml", document))
    growth = peak_mib() - baseline
    assert growth < 64

    with caplog.at_level(logging.WARNING, logger="scraper.crawl.discovery"):
        stats = discover(tmp_path, sitemaps=sitemaps)

    assert queued(tmp_path) == {before}
    assert sum("only partly read" in message for message in caplog.messages) == 2
    assert stats.counts["failed"] == 0
    fault.observed(
        f"{pyexpat.EXPAT_VERSION}; libxml2 stopped at the bomb in "
        + ", ".join(f"{name} {seconds[name] * 1000:.1f} ms" for name in BOMBS)
        + f"; RSS growth {growth:.1f} MiB; crawl queued only the URL before the bomb,"
        " logged the sitemaps as partly read"
    )


def test_32_xxe_external_dtd_and_xinclude_in_a_sitemap(
    fault: FaultRecorder,
    hostile: HostileServer,
    canary: HostileServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fault.case(
        32,
        "XXE, external DTD, XInclude in a sitemap",
        expected="no file content anywhere, canary sees 0 connections",
    )
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-31337\n")
    dtd = canary.url("/x.dtd")
    document = (
        f'<?xml version="1.0"?>\n<!DOCTYPE urlset SYSTEM "{dtd}" [\n'
        f'  <!ENTITY passwd SYSTEM "file:///etc/passwd">\n'
        f'  <!ENTITY secret SYSTEM "file://{secret}">\n'
        f'  <!ENTITY remote SYSTEM "{canary.url("/entity")}">\n'
        f'  <!ENTITY % param SYSTEM "{canary.url("/param.dtd")}"> %param;\n]>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:xi="http://www.w3.org/2001/XInclude">\n'
        f"<url><loc>{hostile.url('/news/a')}&passwd;</loc></url>\n"
        f"<url><loc>{hostile.url('/news/b')}&secret;</loc></url>\n"
        f"<url><loc>{hostile.url('/news/c')}&remote;</loc></url>\n"
        f'<url><loc><xi:include href="file:///etc/passwd" parse="text"/></loc></url>\n'
        f'<url><loc><xi:include href="{canary.url("/xinclude")}" parse="text"/></loc></url>\n'
        "</urlset>"
    ).encode()
    result, seconds = timed(lambda: parse_sitemap(document, hostile.url("/sitemap.xml")))

    with caplog.at_level(logging.DEBUG):
        discover(tmp_path, sitemaps=[serve(hostile, "/sitemap.xml", document)])

    expected = {hostile.url(path) for path in ("/news/a", "/news/b", "/news/c")}
    assert {link.url for link in result.links} == expected
    assert queued(tmp_path) == expected
    everything = repr(result) + caplog.text + "".join(str(p) for p in tmp_path.rglob("*"))
    everything += "".join(
        p.read_text("utf-8", "replace") for p in tmp_path.rglob("*.json*") if p.is_file()
    )
    assert "TOPSECRET" not in everything and "root:" not in everything
    assert canary.connections == 0
    fault.observed(
        f"parsed in {seconds * 1000:.1f} ms; 3 clean URLs queued, entities and XIncludes dropped,"
        f" no secret or /etc/passwd text in URLs/output/logs; canary saw {canary.connections}"
    )


def gzip_bomb(markers: dict[int, bytes], total_mib: int) -> tuple[bytes, bytes, int]:
    """(prefix, block, wire bytes) of a sitemap.xml.gz that inflates to ``total_mib`` MiB:
    a urlset whose bulk is 1 MiB XML comments, one full-flushed deflate block each (so the
    same compressed block repeats), with ``markers`` entries after that many MiB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)

    def deflate(data: bytes) -> bytes:
        return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)

    comment = b"<!--" + b" " * (MiB - 7) + b"-->"
    pieces = [deflate(b'<?xml version="1.0"?>\n' + URLSET_OPEN)]
    block = deflate(comment)
    assert deflate(comment) == block  # a full flush resets the state: the block repeats
    for mib in range(max(markers) + 1):
        pieces.append(deflate(markers[mib]) if mib in markers else b"")
        pieces.append(block)
    prefix = b"".join(pieces)
    # The bulk goes out 64 blocks per write; no gzip trailer: nobody may read that far.
    wire = len(prefix) + (total_mib - max(markers) - 1) * len(block)
    return prefix, block * 64, wire


def test_33_gzip_sitemap_bomb_stops_at_fifty_mib(
    fault: FaultRecorder, hostile: HostileServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fault.case(
        33,
        "sitemap.xml.gz bomb, 10 GiB inflated",
        expected="gunzip stops at 50 MiB (crawl.max_document_bytes), entries before it kept",
    )
    story = hostile.url("/news/{}").format
    markers = {
        0: b"<url><loc>%s</loc></url>" % story("first").encode(),
        48: b"<url><loc>%s</loc></url>" % story("at-48-mib").encode(),
        51: b"<url><loc>%s</loc></url>" % story("at-51-mib").encode(),
    }
    prefix, block, wire = gzip_bomb(markers, total_mib=10 * 1024)
    hostile.route("/sitemap.xml.gz", endless(block, prefix=prefix, headers=GZIP, limit=wire))
    baseline = rss_mib()

    with caplog.at_level(logging.WARNING, logger="scraper.crawl.discovery"):
        stats, seconds = timed(
            lambda: discover(tmp_path, sitemaps=[hostile.url("/sitemap.xml.gz")])
        )

    assert queued(tmp_path) == {story("first"), story("at-48-mib")}
    assert any("only partly read" in message for message in caplog.messages)
    assert reasons(stats)[1] == {}
    assert seconds < 20
    growth = peak_mib() - baseline
    fault.observed(
        f"{wire / MiB:.1f} MiB on the wire (10 GiB inflated, served chunked); the URL at 48 MiB"
        f" queued, the one at 51 MiB not; crawl {seconds:.2f} s, RSS growth {growth:.0f} MiB,"
        " warning logged"
    )


def test_33_plain_sitemap_over_the_cap_is_refused(
    fault: FaultRecorder, hostile: HostileServer, tmp_path: Path
) -> None:
    fault.case(
        33,
        "60 MB plain sitemap, no length",
        expected="body_too_large at 50 MiB on the wire, nothing queued from it",
    )
    entry = b"<url><loc>%s</loc></url>\n" % hostile.url("/news/same-story").encode()
    block = entry * (64 * 1024 // len(entry))
    limit = 60_000_000
    hostile.route("/huge.xml", endless(block, prefix=URLSET_OPEN, headers=XML, limit=limit))
    baseline = rss_mib()

    stats, seconds = timed(lambda: discover(tmp_path, sitemaps=[hostile.url("/huge.xml")]))

    assert reasons(stats)[1] == {"body_too_large": 1}
    assert queued(tmp_path) == set()
    growth = peak_mib() - baseline
    assert growth < 200
    fault.observed(
        f"failed body_too_large at the 50 MiB wire cap (60 MB chunked stream); {seconds:.2f} s,"
        f" RSS growth {growth:.0f} MiB"
    )


def test_33_sixty_thousand_urls_keeps_fifty_thousand(
    fault: FaultRecorder, hostile: HostileServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fault.case(
        33,
        "sitemap with 60,000 <url>",
        expected="the first 50,000 kept and queued, a warning, streamed",
    )
    urls = [hostile.url(f"/news/story-{n}") for n in range(60_000)]
    document = urlset(*urls)
    result, parse_seconds = timed(lambda: parse_sitemap(document, hostile.url("/sitemap.xml")))
    assert [link.url for link in result.links] == urls[:50_000] and result.truncated

    with caplog.at_level(logging.WARNING, logger="scraper.crawl.discovery"):
        _, seconds = timed(
            lambda: discover(tmp_path, sitemaps=[serve(hostile, "/sitemap.xml", document)])
        )

    assert queued(tmp_path) == set(urls[:50_000])
    assert any("kept 50000 page URL(s)" in message for message in caplog.messages)
    fault.observed(
        f"{len(document) / MiB:.1f} MiB parsed in {parse_seconds:.2f} s, 50,000 kept;"
        f" crawl queued 50,000 and warned in {seconds:.2f} s"
    )


def test_34_sitemap_cycles_depth_hosts_schemes_and_relative_links(
    fault: FaultRecorder, hostile: HostileServer, hostile2: HostileServer, tmp_path: Path
) -> None:
    fault.case(
        34,
        "sitemap topology",
        expected="self/A<->B cycles read once, depth capped at 2, off-host and non-http dropped,"
        " relative locs resolved against the document URL",
    )
    url, other = hostile.url, hostile2.url
    # The root lists itself, a cycle, a chain 5 deep, a sitemap on another host, bad schemes
    # and a relative child; it is reached through a redirect, so "relative" means /maps/.
    hostile.route("/old-root.xml", respond(b"", status=301, headers=[("Location", "/maps/root")]))
    serve(
        hostile,
        "/maps/root",
        index(
            url("/maps/root"),
            url("/cycle-a.xml"),
            url("/deep-0.xml"),
            other("/elsewhere.xml"),
            "javascript:alert(1)",
            "data:application/xml,<urlset/>",
            "child.xml",
        ),
    )
    serve(hostile, "/cycle-a.xml", index(url("/cycle-b.xml")))
    serve(hostile, "/cycle-b.xml", index(url("/cycle-a.xml"), url("/maps/root")))
    for depth in range(5):
        serve(hostile, f"/deep-{depth}.xml", index(url(f"/deep-{depth + 1}.xml")))
    serve(hostile, "/deep-5.xml", urlset(url("/news/too-deep")))
    serve(hostile2, "/elsewhere.xml", urlset(other("/news/elsewhere")))
    serve(
        hostile,
        "/maps/child.xml",
        urlset(
            "../news/relative",
            "/news/rooted",
            other("/news/off-host"),
            "javascript:alert(1)",
            "data:text/html,<p>x</p>",
            "ftp://127.0.0.1/news/ftp",
        ),
    )
    stats = discover(tmp_path, sitemaps=[url("/old-root.xml")])

    fetched = {path: len(hostile.requests_for(path)) for path in hostile.routes}
    assert fetched["/maps/root"] == fetched["/cycle-a.xml"] == fetched["/cycle-b.xml"] == 1
    assert [fetched[f"/deep-{depth}.xml"] for depth in range(6)] == [1, 1, 0, 0, 0, 0]
    assert hostile2.requests == []
    assert queued(tmp_path) == {url("/news/relative"), url("/news/rooted")}
    skipped, failed = reasons(stats)
    assert skipped == {"off_host": 2, "sitemap_too_deep": 1} and failed == {}
    fault.observed(
        "root, A and B fetched once each; chain read 2 levels deep (deep-0, deep-1),"
        f" 1 sitemap_too_deep; off-host sitemap and page dropped ({skipped['off_host']}),"
        " javascript:/data:/ftp: dropped; ../news/relative resolved against the redirect target"
    )


def test_34_off_host_urls_are_kept_when_allow_listed(
    fault: FaultRecorder, hostile: HostileServer, hostile2: HostileServer, tmp_path: Path
) -> None:
    fault.case(34, "off-host sitemap URLs, allow-listed", expected="queued only when allowed")
    partner = hostile2.url("/news/partner")
    sitemap = serve(hostile, "/sitemap.xml", urlset(hostile.url("/news/own"), partner))
    allow = [r"^http://127\.0\.0\.[12]:\d+/news/"]

    stats = discover(tmp_path, sitemaps=[sitemap], allow=allow)

    assert queued(tmp_path) == {hostile.url("/news/own"), partner}
    assert "off_host" not in reasons(stats)[0]
    fault.observed("both the own and the allow-listed partner URL queued, nothing off_host")


def test_34_index_of_ten_thousand_sitemaps(
    fault: FaultRecorder, hostile: HostileServer, tmp_path: Path
) -> None:
    fault.case(
        34,
        "index of 10,000 sitemaps",
        expected="at most 100 sitemaps fetched from the host this run",
    )
    children = [hostile.url(f"/sm/{n}.xml") for n in range(10_000)]
    serve(hostile, "/index.xml", index(*children))

    async def child(request: Request, writer: asyncio.StreamWriter) -> None:
        number = request.path.removeprefix("/sm/").removesuffix(".xml")
        body = urlset(hostile.url(f"/news/story-{number}"))
        status = 200 if request.path.startswith("/sm/") else 404
        await respond(body, status=status, headers=XML)(request, writer)

    hostile.fallback = child

    stats, seconds = timed(lambda: discover(tmp_path, sitemaps=[hostile.url("/index.xml")]))

    sitemap_requests = [r for r in hostile.requests if r.path.startswith(("/sm/", "/index"))]
    assert len(sitemap_requests) == 100  # the index and its first 99 children
    assert queued(tmp_path) == {hostile.url(f"/news/story-{n}") for n in range(99)}
    assert reasons(stats)[0] == {"sitemap_limit": 10_000 - 99}
    fault.observed(
        f"100 sitemap requests (index + 99), 9,901 counted sitemap_limit, 99 pages queued;"
        f" {seconds:.2f} s"
    )


def test_35_pile_of_unclosed_locs_parses_fast(
    fault: FaultRecorder, hostile: HostileServer, tmp_path: Path
) -> None:
    fault.case(
        35,
        "200 KB <urlset> + <loc>http x 20k",
        expected="parsed in < 1 s (trafilatura's LINK_REGEX: 82 s)",
    )
    document = URLSET_OPEN + b"<loc>http" * 20_000 + b" " * 20_000
    assert len(document) >= 200_000
    result, seconds = timed(lambda: parse_sitemap(document, hostile.url("/sitemap.xml")))
    assert seconds < 1 and result.links == ()

    stats, crawl_seconds = timed(
        lambda: discover(tmp_path, sitemaps=[serve(hostile, "/sitemap.xml", document)])
    )

    assert queued(tmp_path) == set() and reasons(stats)[1] == {}
    fault.observed(
        f"{len(document) // 1000} KB parsed in {seconds * 1000:.1f} ms, no links;"
        f" crawl {crawl_seconds:.2f} s"
    )
