"""Size and time limits, checked against a server that misbehaves on purpose."""

from __future__ import annotations

import gzip
import zlib

import pytest

from scraper.errors import PermanentFetchError, TransientFetchError
from tests.fetch.harness import run_raw, tiny
from tests.fetch.servers import head, reply, stall_after, trickle

CAP = 64 * 1024
HTML = b"<html><body><p>" + b"News. " * 1000 + b"</p></body></html>"


def test_a_body_over_the_cap_is_refused_while_streaming() -> None:
    big = b"<p>" + b"x" * (10 * CAP)
    result = run_raw(
        {"/": reply(200, big, content_length=False)}, settings=tiny(max_body_bytes=CAP)
    )

    assert isinstance(result.error, PermanentFetchError)
    assert result.error.code == "body_too_large"
    assert len(result.seen) == 1  # too large is not worth a retry


def test_a_body_exactly_at_the_cap_is_accepted() -> None:
    body = b"<p>" + b"x" * (CAP - 3)
    result = run_raw({"/": reply(200, body)}, settings=tiny(max_body_bytes=CAP))

    assert len(result.ok().content) == CAP


def test_a_content_length_over_the_cap_aborts_right_after_the_headers() -> None:
    # The server promises a huge body and then sends nothing: only the headers can be judged.
    headers = head(200, {"Content-Type": "text/html", "Content-Length": str(100 * CAP)})
    settings = tiny(max_body_bytes=CAP, read_timeout=5.0)
    result = run_raw({"/": stall_after(headers, 5.0)}, settings=settings)

    assert isinstance(result.error, PermanentFetchError)
    assert result.error.code == "body_too_large"
    assert "Content-Length" in str(result.error)
    assert result.elapsed < 1


def test_a_gzip_body_that_inflates_past_the_cap_is_refused() -> None:
    bomb = gzip.compress(b"\0" * (16 * 1024 * 1024))  # 16 MiB of zeros in about 16 KiB
    assert len(bomb) < CAP * 2
    settings = tiny(max_body_bytes=2 * CAP)
    result = run_raw({"/": reply(200, bomb, {"Content-Encoding": "gzip"})}, settings=settings)

    assert isinstance(result.error, PermanentFetchError)
    assert result.error.code == "body_too_large"
    assert "decompressed" in str(result.error)


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("gzip, deflate", lambda data: zlib.compress(gzip.compress(data))),
    ],
)
def test_compressed_bodies_are_decoded(encoding: str, encode: object) -> None:
    assert callable(encode)
    body = encode(HTML)
    result = run_raw({"/": reply(200, body, {"Content-Encoding": encoding})})

    page = result.ok()
    assert page.content == HTML
    assert result.seen[0].headers["accept-encoding"] == "gzip, deflate, br, zstd"


def test_an_unknown_content_encoding_is_an_error() -> None:
    result = run_raw({"/": reply(200, b"\x0b\x02\x80hi\x03", {"Content-Encoding": "x-evil"})})

    assert isinstance(result.error, PermanentFetchError)
    assert result.error.code == "unsupported_encoding"


def test_three_stacked_encodings_are_refused() -> None:
    body = gzip.compress(gzip.compress(gzip.compress(HTML)))
    result = run_raw({"/": reply(200, body, {"Content-Encoding": "gzip, gzip, gzip"})})

    assert isinstance(result.error, PermanentFetchError)
    assert result.error.code == "too_many_encodings"


def test_a_stalled_body_hits_the_read_timeout() -> None:
    prefix = head(200, {"Content-Type": "text/html", "Content-Length": "100"}) + b"<p>start"
    settings = tiny(read_timeout=0.2, retries=0)
    result = run_raw({"/": stall_after(prefix, 3.0)}, settings=settings)

    assert isinstance(result.error, TransientFetchError)
    assert result.error.code == "timeout"
    assert result.elapsed < 1


def test_a_trickled_body_hits_the_total_deadline() -> None:
    # One byte every 50 ms never trips the 1 s read timeout; only the deadline can stop it.
    body = b"<p>" + b"x" * 200
    prefix = head(200, {"Content-Type": "text/html", "Content-Length": str(len(body))})
    settings = tiny(read_timeout=1.0, total_timeout=0.5, retries=0)
    result = run_raw({"/": trickle(prefix, body, 0.05)}, settings=settings)

    assert isinstance(result.error, TransientFetchError)
    assert result.error.code == "deadline_exceeded"
    assert 0.5 <= result.elapsed < 1.5


def test_the_deadline_is_per_attempt() -> None:
    body = b"<p>" + b"x" * 200
    prefix = head(200, {"Content-Type": "text/html", "Content-Length": str(len(body))})
    settings = tiny(read_timeout=1.0, total_timeout=0.2, retries=1)
    result = run_raw({"/": trickle(prefix, body, 0.05)}, settings=settings)

    assert isinstance(result.error, TransientFetchError)
    assert result.error.code == "deadline_exceeded"
    assert len(result.seen) == 2
