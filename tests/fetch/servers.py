"""A tiny HTTP/1.1 server on 127.0.0.1 with byte-level control, run in the test's own event loop.

pytest-httpserver covers the ordinary cases; this one exists for what werkzeug will not do:
trickle a body, lie about Content-Length, stall after the headers, send a redirect to another
host name on the same port. One request per connection (every response says Connection: close).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    path: str
    headers: Mapping[str, str]  # lower-cased names
    at: float  # time.monotonic() on arrival
    wall: float  # time.time() on arrival


Handler = Callable[[Seen, asyncio.StreamWriter], Awaitable[None]]


def head(status: int = 200, headers: Mapping[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} X", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def reply(
    status: int = 200,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    *,
    content_length: bool = True,
) -> Handler:
    """A canned response. Without content_length the body is delimited by closing."""
    all_headers = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
    if content_length:
        all_headers.setdefault("Content-Length", str(len(body)))

    async def handle(_: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(head(status, all_headers) + body)
        await writer.drain()

    return handle


def redirect(location: str, status: int = 302) -> Handler:
    return reply(status, b"", {"Location": location})


def stall_after(prefix: bytes, seconds: float) -> Handler:
    """Send ``prefix`` (headers, maybe some body), then go quiet."""

    async def handle(_: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(prefix)
        await writer.drain()
        await asyncio.sleep(seconds)

    return handle


def trickle(prefix: bytes, body: bytes, delay: float) -> Handler:
    """Send ``prefix`` at once, then ``body`` one byte every ``delay`` seconds."""

    async def handle(_: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(prefix)
        for i in range(len(body)):
            await writer.drain()
            await asyncio.sleep(delay)
            writer.write(body[i : i + 1])
        await writer.drain()

    return handle


@dataclass
class RawServer:
    routes: dict[str, Handler]
    seen: list[Seen] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [request.path for request in self.seen]

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._on_connect, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            request = await self._read_request(reader)
            self.seen.append(request)
            handler = self.routes.get(request.path, reply(404, b"not found"))
            await handler(request, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client hung up first, which is often the point of the test
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader) -> Seen:
        raw = await reader.readuntil(b"\r\n\r\n")
        at, wall = time.monotonic(), time.time()
        request_line, *header_lines = raw.decode("latin-1").split("\r\n")
        headers: dict[str, str] = {}
        for line in header_lines:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        return Seen(path=request_line.split(" ")[1], headers=headers, at=at, wall=wall)
