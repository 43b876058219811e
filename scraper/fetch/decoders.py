"""Bounded Content-Encoding decoders: gzip, deflate, br and zstd, at most two stacked, capped.

Written by hand because httpx's own decoders call ``decompress(data)`` with no output limit
and accept any number of stacked encodings, so one 64 KiB read of a gzip bomb can come out as
tens of MiB (and 421 bytes of brotli as 256 MiB) before any byte counter sees it. Here every
library call produces at most one step of output (``STEP``, 64 KiB, as in Scrapy's bounded
decompression) and a layer raises ``body_too_large`` as soon as its total passes the cap.

br and zstd are optional: an encoding is supported, and so advertised in Accept-Encoding,
only when its library is installed and can decode in bounded steps (brotli needs 1.2+ for
``output_buffer_limit``). An encoding we did not advertise is refused, never passed through.
"""

from __future__ import annotations

import importlib
import zlib
from typing import Protocol

from scraper.errors import PermanentFetchError

STEP = 64 * 1024
MAX_ENCODINGS = 2
# RFC 9659 §3: a zstd decoder need not accept windows over 8 MiB; a larger one is a memory
# bomb of its own (the window is allocated before a byte comes out).
ZSTD_MAX_WINDOW = 8 * 1024 * 1024
# brotli's output buffer grows in blocks of ~32 KiB; any limit up to this yields one block.
_BROTLI_STEP = 32 * 1024 - 16
_PREFERENCE = ("gzip", "deflate", "br", "zstd")


class Decoder(Protocol):
    def feed(self, data: bytes) -> bytes: ...

    def flush(self) -> bytes: ...


def _brotli_is_bounded() -> bool:
    try:
        brotli = importlib.import_module("brotli")
        brotli.Decompressor().process(b"", output_buffer_limit=STEP)
    except (ImportError, TypeError, AttributeError):
        return False  # missing, or older than 1.2: it could only decode all at once
    return True


def _zstd_is_available() -> bool:
    try:
        importlib.import_module("zstandard")
    except ImportError:
        return False
    return True


def supported_encodings() -> frozenset[str]:
    """The codings this installation decodes in bounded steps."""
    names = {"gzip", "x-gzip", "deflate"}
    if _brotli_is_bounded():
        names.add("br")
    if _zstd_is_available():
        names.add("zstd")
    return frozenset(names)


SUPPORTED = supported_encodings()
# What the client sends: exactly the codings above, so a server has no excuse to use another.
ACCEPT_ENCODING = ", ".join(name for name in _PREFERENCE if name in SUPPORTED)


class _Budget:
    """Counts one layer's output and raises once it passes the cap."""

    def __init__(self, cap: int, url: str) -> None:
        self.cap = cap
        self.url = url
        self.produced = 0

    @property
    def room(self) -> int:
        """How much one step may produce: one byte past the cap is enough to know it is over."""
        return min(STEP, self.cap - self.produced + 1)

    def count(self, chunk: bytes) -> bytes:
        self.produced += len(chunk)
        if self.produced > self.cap:
            raise PermanentFetchError(
                f"decompressed body is over the {self.cap} byte limit",
                url=self.url,
                code="body_too_large",
            )
        return chunk

    def corrupt(self, exc: Exception | str) -> PermanentFetchError:
        return PermanentFetchError(
            f"cannot decompress body: {exc}", url=self.url, code="decoding_error"
        )


class _Identity:
    def feed(self, data: bytes) -> bytes:
        return data

    def flush(self) -> bytes:
        return b""


class _ZlibDecoder:
    """One gzip or deflate layer whose total output may not exceed ``cap``."""

    def __init__(self, encoding: str, cap: int, url: str) -> None:
        self._gzip = encoding != "deflate"
        self._budget = _Budget(cap, url)
        self._started = False
        self._obj = self._new()

    def _new(self, *, raw: bool = False) -> zlib._Decompress:
        if self._gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # "deflate" is meant to be zlib-wrapped, but some servers send a raw deflate stream.
        return zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        while data:
            if self._obj.eof:
                data = self._next_member(data)
                if not data:
                    break
            out += self._run(data)
            data = self._obj.unused_data if self._obj.eof else b""
        return bytes(out)

    def flush(self) -> bytes:
        out = self._run(b"")
        if self._started and not self._obj.eof:
            raise self._budget.corrupt("compressed body ends before its end marker")
        return out

    def _next_member(self, trailing: bytes) -> bytes:
        # gzip allows several members back to back; anything else after the end is junk that
        # browsers ignore, so we do too.
        if self._gzip and trailing[:2] == b"\x1f\x8b":
            self._obj = self._new()
            return trailing
        return b""

    def _run(self, data: bytes) -> bytes:
        out = bytearray()
        while True:
            # Never ask for more than one byte past the cap, so a bomb cannot overshoot it.
            limit = self._budget.room
            chunk = self._budget.count(self._decompress(data, limit))
            out += chunk
            data = self._obj.unconsumed_tail
            # A step that filled its limit may have left output pending inside zlib even when
            # all the input was taken, so only a short step proves we are done.
            if not data and len(chunk) < limit:
                return bytes(out)

    def _decompress(self, data: bytes, limit: int) -> bytes:
        try:
            chunk = self._obj.decompress(data, limit)
        except zlib.error as exc:
            if self._gzip or self._started:
                raise self._budget.corrupt(exc) from exc
            self._obj = self._new(raw=True)
            try:
                chunk = self._obj.decompress(data, limit)
            except zlib.error as exc2:
                raise self._budget.corrupt(exc2) from exc2
        self._started = self._started or bool(data)
        return chunk


class _BrotliDecoder:
    """One br layer. brotli >= 1.2 stops each ``process`` call near ``output_buffer_limit``
    and keeps the rest of the input inside until asked again with empty input."""

    def __init__(self, cap: int, url: str) -> None:
        self._brotli = importlib.import_module("brotli")
        self._obj = self._brotli.Decompressor()
        self._budget = _Budget(cap, url)
        self._started = False

    def feed(self, data: bytes) -> bytes:
        if data and self._obj.is_finished():
            raise self._budget.corrupt("data after the end of the br stream")
        self._started = self._started or bool(data)
        out = bytearray()
        while True:
            chunk = self._step(data)
            out += chunk
            data = b""
            # As with zlib, a full step may leave output pending inside, even with no input
            # left; only a short step with the input all taken proves this feed is done.
            if len(chunk) < _BROTLI_STEP and self._obj.can_accept_more_data():
                return bytes(out)

    def flush(self) -> bytes:
        out = self.feed(b"")
        if self._started and not self._obj.is_finished():
            raise self._budget.corrupt("compressed body ends before its end marker")
        return out

    def _step(self, data: bytes) -> bytes:
        # The limit cannot be set below one ~32 KiB block, so a step may pass the cap by less
        # than that before count() stops the body; memory stays bounded by cap + STEP.
        limit = min(_BROTLI_STEP, self._budget.room)
        try:
            chunk: bytes = self._obj.process(data, output_buffer_limit=limit)
        except self._brotli.error as exc:
            raise self._budget.corrupt(exc) from exc
        return self._budget.count(chunk)


class _ZstdSink:
    """Where zstandard's stream_writer puts its output, one write_size piece at a time; the
    budget raises from inside write(), which stops the decompressor mid-stream."""

    def __init__(self, budget: _Budget) -> None:
        self._budget = budget
        self._out = bytearray()

    def write(self, data: bytes) -> int:
        self._out += self._budget.count(data)
        return len(data)

    def take(self) -> bytes:
        out, self._out = bytes(self._out), bytearray()
        return out


class _ZstdDecoder:
    """One zstd layer. zstandard's decompressobj returns all output of a call at once, so the
    stream_writer (output in write_size pieces) is the bounded API. It cannot say whether the
    last frame ended, so a zstd body cut short inside a complete HTTP message is not caught
    here; a short HTTP message still is (incomplete_body, in body.py)."""

    def __init__(self, cap: int, url: str) -> None:
        self._zstd = importlib.import_module("zstandard")
        self._budget = _Budget(cap, url)
        self._sink = _ZstdSink(self._budget)
        decompressor = self._zstd.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
        self._writer = decompressor.stream_writer(self._sink, write_size=STEP)

    def feed(self, data: bytes) -> bytes:
        if data:
            try:
                self._writer.write(data)
            except self._zstd.ZstdError as exc:
                raise self._budget.corrupt(exc) from exc
        return self._sink.take()

    def flush(self) -> bytes:
        return self._sink.take()


class _Chain:
    """Stacked encodings, undone in reverse order of application."""

    def __init__(self, layers: list[Decoder]) -> None:
        self._layers = layers

    def feed(self, data: bytes) -> bytes:
        for layer in self._layers:
            data = layer.feed(data)
        return data

    def flush(self) -> bytes:
        data = b""
        for layer in self._layers:
            data = layer.feed(data) + layer.flush()
        return data


def parse_encodings(header: str | None) -> list[str]:
    """The codings named in a Content-Encoding header, in the order they were applied."""
    if not header:
        return []
    names = [part.strip().lower() for part in header.split(",")]
    return [name for name in names if name and name != "identity"]


def _layer(encoding: str, cap: int, url: str) -> Decoder:
    if encoding == "br":
        return _BrotliDecoder(cap, url)
    if encoding == "zstd":
        return _ZstdDecoder(cap, url)
    return _ZlibDecoder(encoding, cap, url)


def make_decoder(
    content_encoding: str | None, cap: int, url: str, *, supported: frozenset[str] = SUPPORTED
) -> Decoder:
    """A decoder for the given Content-Encoding whose every layer stops at ``cap`` bytes.

    ``supported`` is what we advertised; anything else is ``unsupported_encoding``.
    """
    encodings = parse_encodings(content_encoding)
    if len(encodings) > MAX_ENCODINGS:
        raise PermanentFetchError(
            f"{len(encodings)} stacked content encodings (at most {MAX_ENCODINGS})",
            url=url,
            code="too_many_encodings",
        )
    unknown = [name for name in encodings if name not in supported]
    if unknown:
        raise PermanentFetchError(
            f"unsupported content encoding {unknown[0]!r}", url=url, code="unsupported_encoding"
        )
    if not encodings:
        return _Identity()
    layers = [_layer(name, cap, url) for name in reversed(encodings)]
    return layers[0] if len(layers) == 1 else _Chain(layers)
