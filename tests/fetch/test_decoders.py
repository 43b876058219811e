"""The bounded gzip/deflate decoders, fed the way a network feeds them: in small pieces."""

from __future__ import annotations

import gzip
import zlib

import pytest

from scraper.errors import PermanentFetchError
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


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "gzip, br"])
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
