"""Bounded Content-Encoding decoders: gzip and deflate, at most two stacked, output capped.

Written by hand because httpx's own decoders call ``decompress(data)`` with no ``max_length``
and accept any number of stacked encodings, so one 64 KiB read of a gzip bomb can come out as
tens of MiB before any byte counter sees it. Here zlib never produces more than one 64 KiB step
at a time, and never more than ``cap + 1`` bytes in total.
"""

from __future__ import annotations

import zlib
from typing import Protocol

from scraper.errors import PermanentFetchError

STEP = 64 * 1024  # output per zlib call, as in Scrapy's bounded decompression
MAX_ENCODINGS = 2
SUPPORTED = frozenset({"gzip", "x-gzip", "deflate"})


class Decoder(Protocol):
    def feed(self, data: bytes) -> bytes: ...

    def flush(self) -> bytes: ...


class _Identity:
    def feed(self, data: bytes) -> bytes:
        return data

    def flush(self) -> bytes:
        return b""


class _ZlibDecoder:
    """One gzip or deflate layer whose total output may not exceed ``cap``."""

    def __init__(self, encoding: str, cap: int, url: str) -> None:
        self._gzip = encoding != "deflate"
        self._cap = cap
        self._url = url
        self._produced = 0
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
            raise PermanentFetchError(
                "compressed body ends before its end marker", url=self._url, code="decoding_error"
            )
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
            limit = min(STEP, self._cap - self._produced + 1)
            chunk = self._decompress(data, limit)
            self._produced += len(chunk)
            if self._produced > self._cap:
                raise PermanentFetchError(
                    f"decompressed body is over the {self._cap} byte limit",
                    url=self._url,
                    code="body_too_large",
                )
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
                raise self._corrupt(exc) from exc
            self._obj = self._new(raw=True)
            try:
                chunk = self._obj.decompress(data, limit)
            except zlib.error as exc2:
                raise self._corrupt(exc2) from exc2
        self._started = self._started or bool(data)
        return chunk

    def _corrupt(self, exc: zlib.error) -> PermanentFetchError:
        return PermanentFetchError(
            f"cannot decompress body: {exc}", url=self._url, code="decoding_error"
        )


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


def make_decoder(content_encoding: str | None, cap: int, url: str) -> Decoder:
    """A decoder for the given Content-Encoding whose every layer stops at ``cap`` bytes."""
    encodings = parse_encodings(content_encoding)
    if len(encodings) > MAX_ENCODINGS:
        raise PermanentFetchError(
            f"{len(encodings)} stacked content encodings (at most {MAX_ENCODINGS})",
            url=url,
            code="too_many_encodings",
        )
    unknown = [name for name in encodings if name not in SUPPORTED]
    if unknown:
        raise PermanentFetchError(
            f"unsupported content encoding {unknown[0]!r}", url=url, code="unsupported_encoding"
        )
    if not encodings:
        return _Identity()
    layers: list[Decoder] = [_ZlibDecoder(name, cap, url) for name in reversed(encodings)]
    return layers[0] if len(layers) == 1 else _Chain(layers)
