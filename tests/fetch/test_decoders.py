"""The bounded gzip/deflate/br/zstd decoders, fed the way a network feeds them: in small pieces."""

from __future__ import annotations

import functools
import gzip
import sys
import zlib
from collections.abc import Callable

import brotli
import pytest
import zstandard

from scraper.errors import PermanentFetchError
from scraper.fetch import decoders
from scraper.fetch.decoders import STEP, Decoder, make_decoder

BODY = b"<p>" + b"The quick brown fox. " * 5000 + b"</p>"


def _feed(decoder: Decoder, data: bytes, piece: int = 1000) -> tuple[bytes, int]:
    """Decoded output, and the largest output any single feed produced."""
    out = bytearray()
    largest = 0
    for i in range(0, len(data), piece):
        chunk = decoder.feed(data[i : i + piece])
        largest = max(largest, len(chunk))
        out += chunk
    out += decoder.flush()
    return bytes(out), largest


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "encoded"),
    [
        ("gzip", gzip.compress(BODY)),
        ("x-gzip", gzip.compress(BODY)),
        ("deflate", zlib.compress(BODY)),
        ("deflate", _raw_deflate(BODY)),  # what some servers actually send
        ("gzip, deflate", zlib.compress(gzip.compress(BODY))),
        ("br", brotli.compress(BODY)),
        ("zstd", zstandard.ZstdCompressor().compress(BODY)),
        ("gzip, br", brotli.compress(gzip.compress(BODY))),
        ("zstd, gzip", gzip.compress(zstandard.ZstdCompressor().compress(BODY))),
        ("identity", BODY),
        ("", BODY),
    ],
)
def test_round_trip(encoding: str, encoded: bytes) -> None:
    assert _feed(make_decoder(encoding, len(BODY), "u"), encoded)[0] == BODY


def test_gzip_members_back_to_back_are_all_decoded() -> None:
    data = gzip.compress(b"first ") + gzip.compress(b"second")

    assert _feed(make_decoder("gzip", 100, "u"), data, piece=7)[0] == b"first second"


def test_a_bomb_stops_at_the_cap_with_bounded_output() -> None:
    cap = 1024 * 1024
    bomb = gzip.compress(b"\0" * (32 * cap))
    decoder = make_decoder("gzip", cap, "u")
    produced = 0

    with pytest.raises(PermanentFetchError) as caught:
        for i in range(0, len(bomb), 4096):
            produced += len(decoder.feed(bomb[i : i + 4096]))

    assert caught.value.code == "body_too_large"
    assert produced <= cap


def test_one_feed_never_yields_more_than_the_cap_plus_a_step() -> None:
    cap = 4 * STEP
    data = gzip.compress(b"a" * cap)
    out, largest = _feed(make_decoder("gzip", cap, "u"), data, piece=len(data))

    assert out == b"a" * cap
    assert largest <= cap


def test_a_stacked_bomb_is_capped_in_every_layer() -> None:
    cap = 256 * 1024
    inner = gzip.compress(b"\0" * (64 * cap))
    with pytest.raises(PermanentFetchError) as caught:
        _feed(make_decoder("gzip, gzip", cap, "u"), gzip.compress(inner))

    assert caught.value.code == "body_too_large"


def test_more_than_two_encodings_are_refused() -> None:
    with pytest.raises(PermanentFetchError) as caught:
        make_decoder("gzip, deflate, gzip", 100, "u")

    assert caught.value.code == "too_many_encodings"


@pytest.mark.parametrize("encoding", ["x-evil", "compress", "gzip, x-evil", "br;q=1"])
def test_unknown_encodings_are_refused(encoding: str) -> None:
    with pytest.raises(PermanentFetchError) as caught:
        make_decoder(encoding, 100, "u")

    assert caught.value.code == "unsupported_encoding"


def test_a_truncated_stream_is_a_decoding_error() -> None:
    data = gzip.compress(BODY)[:200]
    with pytest.raises(PermanentFetchError) as caught:
        _feed(make_decoder("gzip", len(BODY), "u"), data)

    assert caught.value.code == "decoding_error"


def test_garbage_is_a_decoding_error() -> None:
    with pytest.raises(PermanentFetchError) as caught:
        _feed(make_decoder("gzip", 1000, "u"), b"this is not gzip at all")

    assert caught.value.code == "decoding_error"


@functools.cache
def _bomb(encoding: str) -> bytes:
    """64 MiB of zeros, which br and zstd squeeze into well under 1 KiB."""
    zeros = b"\0" * (64 * 1024 * 1024)
    if encoding == "br":
        return bytes(brotli.compress(zeros, quality=5))
    if encoding == "zstd":
        return zstandard.ZstdCompressor(level=3).compress(zeros)
    return _raw_deflate(zeros)


class _Counting:
    """A decoder layer's output per library call, seen by wrapping its budget."""

    def __init__(self, decoder: Decoder) -> None:
        budget = decoder._budget  # type: ignore[attr-defined]
        self.steps: list[int] = []
        original: Callable[[bytes], bytes] = budget.count

        def count(chunk: bytes) -> bytes:
            self.steps.append(len(chunk))
            return original(chunk)

        budget.count = count


@pytest.mark.parametrize("encoding", ["br", "zstd", "deflate"])
def test_br_zstd_and_deflate_bombs_stop_at_the_cap_in_small_steps(encoding: str) -> None:
    cap = 1024 * 1024
    bomb = _bomb(encoding)
    decoder = make_decoder(encoding, cap, "u")
    seen = _Counting(decoder)

    with pytest.raises(PermanentFetchError) as caught:
        # The whole bomb in one feed: the decoder, not the network, has to keep it small.
        decoder.feed(bomb)

    assert len(bomb) < 64 * 1024
    assert caught.value.code == "body_too_large"
    assert cap < sum(seen.steps) <= cap + STEP  # stopped just past the cap, not at 64 MiB
    assert max(seen.steps) <= STEP
    assert len(seen.steps) > cap // STEP


def test_br_cut_short_is_a_decoding_error() -> None:
    data = brotli.compress(BODY)
    with pytest.raises(PermanentFetchError) as caught:
        _feed(make_decoder("br", len(BODY), "u"), data[: len(data) // 2])

    assert caught.value.code == "decoding_error"


@pytest.mark.parametrize("encoding", ["br", "zstd"])
def test_br_and_zstd_garbage_is_a_decoding_error(encoding: str) -> None:
    with pytest.raises(PermanentFetchError) as caught:
        _feed(make_decoder(encoding, 1000, "u"), b"this is not compressed at all" * 10)

    assert caught.value.code == "decoding_error"


def test_zstd_with_a_window_over_8_mib_is_refused() -> None:
    # A frame may ask for a huge window before producing a byte; RFC 9659 caps it at 8 MiB.
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=24)
    data = zstandard.ZstdCompressor(compression_params=params).compress(b"x" * (20 << 20))
    with pytest.raises(PermanentFetchError) as caught:
        _feed(make_decoder("zstd", 32 << 20, "u"), data, piece=len(data))

    assert caught.value.code == "decoding_error"


def test_zstd_frames_back_to_back_are_all_decoded() -> None:
    data = zstandard.ZstdCompressor().compress(b"first ") + zstandard.ZstdCompressor().compress(
        b"second"
    )

    assert _feed(make_decoder("zstd", 100, "u"), data, piece=5)[0] == b"first second"


def test_only_what_decodes_in_bounded_steps_is_advertised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert decoders.ACCEPT_ENCODING == "gzip, deflate, br, zstd"
    # Without brotli (or with one too old for output_buffer_limit) br is neither advertised
    # nor accepted.
    monkeypatch.setitem(sys.modules, "brotli", None)
    without_br = decoders.supported_encodings()

    assert "br" not in without_br
    assert "zstd" in without_br
    with pytest.raises(PermanentFetchError) as caught:
        make_decoder("br", 100, "u", supported=without_br)
    assert caught.value.code == "unsupported_encoding"
