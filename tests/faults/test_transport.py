"""Section A of reliability.md, cases 1-7: transport, size and time against hostile servers.

Case 8 (DNS/connect hang) lives with the address checks (SSRF); TLS (7b and 9) is in
test_transport_tls.py. Every body cap here is 1 MiB and every deadline a second or two.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from pathlib import Path

from scraper.errors import FetchError, PermanentFetchError, TransientFetchError
from scraper.fetch import fetch, make_client
from tests.faults.conftest import FaultRecorder
from tests.faults.hostile import (
    HostileServer,
    Request,
    endless,
    endless_gzip_block,
    hang,
    head_bytes,
    raw,
    respond,
    trickle,
)
from tests.faults.transport_support import (
    ARTICLE,
    CAP,
    MemoryWatch,
    brotli_bomb,
    fetch_once,
    files_under,
    raw_deflate_bomb,
    run_scrape,
    settings,
    write_config,
    zstd_bomb,
)

HTML = ("Content-Type", "text/html; charset=utf-8")
BOMB_SIZE = 256 * 1024 * 1024  # what each bomb would expand to; 1000 x the cap or more
HEADROOM_MIB = 64  # allowed peak growth beyond the cap itself


def test_case01_endless_gzip_bomb(
    fault: FaultRecorder, hostile: HostileServer, tmp_path: Path
) -> None:
    fault.case(1, "endless gzip bomb", expected="body_too_large, peak < cap + 64 MiB, no output")
    header, block = endless_gzip_block()
    gzip_html = (HTML, ("Content-Encoding", "gzip"))
    hostile.route("/bomb", endless(block, prefix=header, headers=gzip_html))
    hostile.route("/article", respond(ARTICLE))
    config = write_config(tmp_path)
    (tmp_path / "base").mkdir()
    (tmp_path / "bomb").mkdir()

    # The same CLI on an ordinary page first: what a run costs without a bomb, and proof that
    # this command does write files when a body gets through.
    base = run_scrape(hostile.url("/article"), tmp_path / "base", config)
    bombed = run_scrape(hostile.url("/bomb"), tmp_path / "bomb", config)
    fault.child_peak(base.peak_kib)
    fault.child_peak(bombed.peak_kib)

    assert base.exit_code == 0, base.stderr
    assert files_under(tmp_path / "base" / "out")
    assert bombed.exit_code == 3
    assert f"decompressed body is over the {CAP} byte limit" in bombed.stderr
    assert "Traceback" not in bombed.stderr
    assert files_under(tmp_path / "bomb" / "out") == []
    assert len(hostile.requests_for("/bomb")) == 1  # too large is final: no retry
    assert bombed.peak_mib < base.peak_mib + CAP / 2**20 + HEADROOM_MIB
    fault.observed(
        f"exit 3, body_too_large at the 1 MiB cap (CLI run {bombed.seconds:.1f}s), 1 request, "
        f"0 files; child peak {bombed.peak_mib:.0f} MiB vs {base.peak_mib:.0f} MiB for a "
        "plain article"
    )


def test_case02_br_zstd_and_raw_deflate_bombs(fault: FaultRecorder, hostile: HostileServer) -> None:
    fault.case(
        2,
        "br/zstd/raw-deflate bombs",
        expected="body_too_large in 64 KiB steps; unadvertised coding -> unsupported_encoding",
    )
    bombs = {
        "br": brotli_bomb(BOMB_SIZE),
        "zstd": zstd_bomb(BOMB_SIZE),
        "deflate": raw_deflate_bomb(BOMB_SIZE),  # raw, without the zlib wrapper
    }
    for coding, bomb in bombs.items():
        hostile.route(f"/{coding}", respond(bomb, headers=(HTML, ("Content-Encoding", coding))))
    # LZW "compress" is a registered coding we never advertise.
    hostile.route(
        "/compress", respond(b"\x1f\x9d\x90<p>", headers=(HTML, ("Content-Encoding", "compress")))
    )
    watch = MemoryWatch()
    seen: list[str] = []

    for coding, bomb in bombs.items():
        result = fetch_once(hostile.url(f"/{coding}"), settings())
        assert isinstance(result.error, PermanentFetchError), coding
        assert result.error.code == "body_too_large", coding
        assert "decompressed" in result.error.message
        assert len(hostile.requests_for(f"/{coding}")) == 1
        seen.append(f"{coding} {len(bomb)} B -> stopped in {result.seconds:.2f}s")
    unadvertised = fetch_once(hostile.url("/compress"), settings())

    assert isinstance(unadvertised.error, PermanentFetchError)
    assert unadvertised.error.code == "unsupported_encoding"
    advertised = hostile.requests_for("/br")[0].headers["accept-encoding"]
    assert advertised == "gzip, deflate, br, zstd"
    assert watch.growth_mib < CAP / 2**20 + HEADROOM_MIB
    fault.observed(
        f"body_too_large for {'; '.join(seen)}; 'compress' -> unsupported_encoding; "
        f"advertised {advertised!r}; peak growth {watch.growth_mib:.0f} MiB"
    )


def test_case03_encoding_chains(
    fault: FaultRecorder, hostile: HostileServer, tmp_path: Path
) -> None:
    fault.case(
        3,
        "encoding chains",
        expected="10 layers -> too_many_encodings; x-evil -> unsupported_encoding, no output",
    )
    layered, two = ARTICLE, gzip.compress(gzip.compress(ARTICLE))
    for _ in range(10):
        layered = gzip.compress(layered)
    ten = ("Content-Encoding", ", ".join(["gzip"] * 10))
    hostile.route("/ten", respond(layered, headers=(HTML, ten)))
    hostile.route("/two", respond(two, headers=(HTML, ("Content-Encoding", "gzip, gzip"))))
    # Plain readable HTML under an unknown label: if the raw bytes were passed through, the
    # article would be extracted and written.
    hostile.route("/evil", respond(ARTICLE, headers=(HTML, ("Content-Encoding", "x-evil"))))

    too_many = fetch_once(hostile.url("/ten"), settings())
    two_ok = fetch_once(hostile.url("/two"), settings())
    evil = run_scrape(hostile.url("/evil"), tmp_path, write_config(tmp_path))
    fault.child_peak(evil.peak_kib)

    assert isinstance(too_many.error, PermanentFetchError)
    assert too_many.error.code == "too_many_encodings"
    assert len(hostile.requests_for("/ten")) == 1
    assert two_ok.page is not None and two_ok.page.content == ARTICLE  # two layers are fine
    assert evil.exit_code == 3
    assert "unsupported content encoding 'x-evil'" in evil.stderr
    assert evil.stdout.strip() == ""
    assert files_under(tmp_path / "out") == []
    fault.observed(
        "10 gzip layers -> too_many_encodings (2 layers decode); x-evil -> exit 3, "
        "unsupported_encoding, nothing printed or written"
    )


async def _promise_ten_gib(request: Request, writer: asyncio.StreamWriter) -> None:
    writer.write(head_bytes(200, [HTML, ("Content-Length", str(10 * 2**30))]))
    await writer.drain()
    await asyncio.sleep(30)  # the body never comes: only the headers can be judged


def test_case04a_content_length_ten_gib(fault: FaultRecorder, hostile: HostileServer) -> None:
    fault.case(4, "size lie: Content-Length 10 GiB", expected="body_too_large right after headers")
    hostile.route("/huge", _promise_ten_gib)

    result = fetch_once(hostile.url("/huge"), settings(read_timeout=10.0))

    assert isinstance(result.error, PermanentFetchError)
    assert result.error.code == "body_too_large"
    assert "declared Content-Length 10737418240" in result.error.message
    assert result.seconds < 1
    assert len(hostile.requests_for("/huge")) == 1
    fault.observed(f"body_too_large after {result.seconds * 1000:.0f} ms, 1 request")


def test_case04b_endless_chunked_body(fault: FaultRecorder, hostile: HostileServer) -> None:
    fault.case(4, "size lie: endless chunked <p>x</p>", expected="body_too_large at max body")
    hostile.route("/endless", endless(b"<p>x</p>" * 512, headers=(HTML,)))
    watch = MemoryWatch()

    result = fetch_once(hostile.url("/endless"), settings())

    assert isinstance(result.error, PermanentFetchError)
    assert result.error.code == "body_too_large"
    assert result.seconds < 2
    assert watch.growth_mib < CAP / 2**20 + HEADROOM_MIB
    fault.observed(
        f"body_too_large after {result.seconds:.2f}s, peak growth {watch.growth_mib:.0f} MiB"
    )


def test_case04c_short_body_then_close(
    fault: FaultRecorder, hostile: HostileServer, tmp_path: Path
) -> None:
    fault.case(
        4,
        "size lie: 10000 declared, 5000 sent",
        expected="incomplete_body, retried, partial body never saved",
    )
    partial = b"<html><body><p>" + b"Half a story. " * 400
    hostile.route("/short", respond(partial[:5000], content_length=10000, headers=(HTML,)))

    result = fetch_once(hostile.url("/short"), settings(retries=2))
    in_process = len(hostile.requests_for("/short"))
    cli = run_scrape(hostile.url("/short"), tmp_path, write_config(tmp_path, retries=2))
    fault.child_peak(cli.peak_kib)

    assert isinstance(result.error, TransientFetchError)
    assert result.error.code == "incomplete_body"
    assert in_process == 3  # 1 + 2 retries
    assert cli.exit_code == 3
    assert "body cut short" in cli.stderr
    assert len(hostile.requests_for("/short")) == 6
    assert files_under(tmp_path / "out") == []
    fault.observed("incomplete_body after 3 attempts (in process and CLI); CLI exit 3, 0 files")


def _header_flood() -> bytes:
    lines = b"".join(b"X-Flood-%d: v\r\n" % i for i in range(20_000))
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + lines + b"\r\n<p>x</p>"


def _giant_header() -> bytes:
    return b"HTTP/1.1 200 OK\r\nX-Giant: " + b"a" * (1 << 20) + b"\r\n\r\n<p>x</p>"


def test_case05_header_flood(fault: FaultRecorder, hostile: HostileServer) -> None:
    fault.case(5, "header flood", expected="typed protocol error, no memory growth")
    hostile.route("/many", raw(_header_flood()))
    hostile.route("/giant", raw(_giant_header()))
    watch = MemoryWatch()

    many = fetch_once(hostile.url("/many"), settings())
    giant = fetch_once(hostile.url("/giant"), settings())

    for path, result in (("/many", many), ("/giant", giant)):
        assert isinstance(result.error, PermanentFetchError), path
        assert result.error.code == "protocol_error", path
        assert len(hostile.requests_for(path)) == 1  # the same server will flood again
    assert watch.growth_mib < 16
    fault.observed(
        f"20,000 headers and a 1 MiB header line -> protocol_error ({giant.error}), "
        f"1 request each, peak growth {watch.growth_mib:.1f} MiB"
    )


async def _slow_beside_fast(slow_url: str, fast_url: str) -> tuple[FetchError | None, float, float]:
    """Fetch the slow page and, on the same client meanwhile, the fast one ten times over.
    Returns the slow fetch's error, when it ended and when the ten fast ones were done."""
    fetch_settings = settings(total_timeout=2.0, read_timeout=5.0, retries=0)
    async with make_client(fetch_settings) as client:
        start = time.monotonic()

        async def slow_fetch() -> tuple[FetchError | None, float]:
            try:
                await fetch(slow_url, client, fetch_settings)
            except FetchError as exc:
                return exc, time.monotonic() - start
            return None, time.monotonic() - start

        slow = asyncio.create_task(slow_fetch())
        for _ in range(10):
            await fetch(fast_url, client, fetch_settings)
        fast_seconds = time.monotonic() - start
        error, slow_seconds = await slow
    return error, slow_seconds, fast_seconds


def test_case06_slowloris(
    fault: FaultRecorder, hostile: HostileServer, hostile2: HostileServer
) -> None:
    fault.case(6, "slowloris", expected="deadline_exceeded at the total deadline; others go on")
    # A byte every 0.5 s never trips the 5 s read timeout: only the 2 s deadline can stop it.
    hostile.route("/slow", trickle(b"<p>" + b"x" * 100, per_byte=0.5, headers=(HTML,)))
    hostile2.route("/fast", respond(b"<p>quick</p>"))

    error, slow, fast = asyncio.run(_slow_beside_fast(hostile.url("/slow"), hostile2.url("/fast")))

    assert isinstance(error, TransientFetchError)
    assert error.code == "deadline_exceeded"
    assert 2.0 <= slow < 3.0
    assert fast < 1.0  # the healthy host's ten pages came while the slow one was trickling
    assert len(hostile2.requests_for("/fast")) == 10
    fault.observed(
        f"deadline_exceeded after {slow:.2f}s; meanwhile 10 pages from 127.0.0.2 in {fast:.2f}s"
    )


def test_case07_silent_peer(fault: FaultRecorder, hostile: HostileServer) -> None:
    fault.case(7, "silent peer (no headers)", expected="timeout, at most 2 retries, bounded total")
    hostile.route("/silent", hang)
    read_timeout, retries = 0.5, 2

    result = fetch_once(
        hostile.url("/silent"), settings(read_timeout=read_timeout, retries=retries)
    )

    assert isinstance(result.error, TransientFetchError)
    assert result.error.code == "timeout"
    assert len(hostile.requests_for("/silent")) == 1 + retries
    # Three read timeouts plus two short backoffs (tiny(): 0.01-0.05 s), with slack.
    assert (1 + retries) * read_timeout <= result.seconds < (1 + retries) * read_timeout + 1.0
    fault.observed(f"read timeout, {1 + retries} attempts, {result.seconds:.2f}s in all")
