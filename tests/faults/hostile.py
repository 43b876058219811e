"""A hostile HTTP server for the fault suite: byte-level control over what a client receives.

Each route is an async handler that gets the parsed request and the raw StreamWriter, so a
test can trickle, lie, hang, close early, send garbage or compress however it likes. The
server runs its own event loop on a background thread, so synchronous tests, asyncio tests and
CLI subprocesses can all talk to it. Every request is logged (time, method, path, headers,
client port) and every accepted connection is counted, even one that never sends a request.

    server = HostileServer("127.0.0.2")
    server.route("/slow", trickle(b"<p>x</p>", per_byte=1.0))
    with server:
        fetch(server.url("/slow"))
    assert server.requests_for("/slow")

No third-party server does this: pytest-httpserver (werkzeug) answers well-formed responses
only, so it cannot lie about lengths, stall mid-body or leave a TLS handshake unanswered.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import ssl
import threading
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType

__all__ = [
    "Handler",
    "HostileServer",
    "Request",
    "close_now",
    "endless",
    "hang",
    "raw",
    "respond",
    "trickle",
]


@dataclass(frozen=True)
class Request:
    at: float  # time.monotonic() when the request line arrived
    method: str
    target: str  # path and query as sent
    headers: dict[str, str]  # lower-cased names; a repeated header keeps its last value
    client_port: int

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


Handler = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]

MAX_REQUEST_HEAD = 64 * 1024  # the server's own guard: a client never needs more


@dataclass
class HostileServer:
    """One origin on ``host`` (any 127.0.0.x); ``port`` 0 picks a free port."""

    host: str = "127.0.0.1"
    port: int = 0
    tls: ssl.SSLContext | None = None
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    connections: int = 0
    fallback: Handler | None = None  # for paths without a route; default 404

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._lock = threading.Lock()

    # -- set-up -------------------------------------------------------------------------

    def route(self, path: str, handler: Handler) -> HostileServer:
        self.routes[path] = handler
        return self

    @property
    def scheme(self) -> str:
        return "https" if self.tls is not None else "http"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def start(self) -> HostileServer:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        future.result(timeout=10)
        return self

    def stop(self) -> None:
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what it saw --------------------------------------------------------------------

    def requests_for(self, path: str) -> list[Request]:
        with self._lock:
            return [request for request in self.requests if request.path == path]

    # -- serving ------------------------------------------------------------------------

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port, ssl=self.tls, limit=MAX_REQUEST_HEAD
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in asyncio.all_tasks(self._loop):
            if task is not asyncio.current_task():
                task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self.connections += 1
        try:
            while True:
                request = await self._read_request(reader, writer)
                if request is None:
                    return
                handler = self.routes.get(request.path) or self.fallback or _not_found
                await handler(request, writer)
                if writer.is_closing():
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return
        except ssl.SSLError:
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _read_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Request | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = [*lines[0].split(" ", 2), "", ""][:3]
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        if length:
            await reader.readexactly(min(length, MAX_REQUEST_HEAD))
        port = writer.get_extra_info("peername")[1]
        request = Request(time.monotonic(), method, target, headers, port)
        with self._lock:
            self.requests.append(request)
        return request


# -- handlers -------------------------------------------------------------------------------


def head_bytes(status: int, headers: Iterable[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(
    body: bytes = b"",
    *,
    status: int = 200,
    headers: Iterable[tuple[str, str]] = (("Content-Type", "text/html; charset=utf-8"),),
    content_length: int | None = None,
    close: bool = False,
) -> Handler:
    """A plain response; ``content_length`` may lie. Close after it if ``close``."""
    declared = len(body) if content_length is None else content_length
    all_headers = [*headers, ("Content-Length", str(declared))]
    if close:
        all_headers.append(("Connection", "close"))

    async def handler(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(head_bytes(status, all_headers) + body)
        await writer.drain()
        if close or declared != len(body):
            writer.close()

    return handler


def raw(data: bytes, *, then_close: bool = True) -> Handler:
    """Exactly ``data`` on the wire, headers and all."""

    async def handler(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(data)
        await writer.drain()
        if then_close:
            writer.close()

    return handler


def trickle(
    body: bytes,
    *,
    per_byte: float,
    headers: Iterable[tuple[str, str]] = (("Content-Type", "text/html"),),
    chunk: int = 1,
) -> Handler:
    """Headers at once, then ``chunk`` bytes every ``per_byte`` seconds (slowloris)."""

    async def handler(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(head_bytes(200, [*headers, ("Content-Length", str(len(body)))]))
        await writer.drain()
        for start in range(0, len(body), chunk):
            await asyncio.sleep(per_byte)
            writer.write(body[start : start + chunk])
            await writer.drain()

    return handler


def endless(
    block: bytes,
    *,
    prefix: bytes = b"",
    headers: Iterable[tuple[str, str]] = (("Content-Type", "text/html"),),
    limit: int | None = None,
) -> Handler:
    """``prefix`` then ``block`` repeated until the client hangs up (or ``limit`` bytes),
    chunked so no length is ever declared."""

    async def handler(request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(head_bytes(200, [*headers, ("Transfer-Encoding", "chunked")]))
        sent = 0
        # chain, not (prefix, *_forever(block)): unpacking an endless generator never ends.
        for piece in itertools.chain((prefix,), _forever(block)):
            if not piece:
                continue
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
            sent += len(piece)
            if limit is not None and sent >= limit:
                break
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    return handler


def _forever(block: bytes) -> Iterable[bytes]:
    while True:
        yield block


async def hang(request: Request, writer: asyncio.StreamWriter) -> None:
    """Accept the request and never answer."""
    await asyncio.sleep(3600)


async def close_now(request: Request, writer: asyncio.StreamWriter) -> None:
    """Hang up without a byte (a reset, as the client sees it)."""
    transport = writer.transport
    sock = transport.get_extra_info("socket")
    if sock is not None:  # SO_LINGER 0: the close sends RST, not FIN
        import socket
        import struct

        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def _not_found(request: Request, writer: asyncio.StreamWriter) -> None:
    await respond(b"not here", status=404, headers=(("Content-Type", "text/plain"),))(
        request, writer
    )


def endless_gzip_block(size: int = 1 << 20) -> tuple[bytes, bytes]:
    """(gzip header, one full-flushed deflate block of ``size`` zeros): the header then the
    block repeated forever is a valid, endless gzip stream (reliability.md, "Endless gzip")."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    header_and_block = compressor.compress(b"\0" * size) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(b"\0" * size) + compressor.flush(zlib.Z_FULL_FLUSH)
    return header_and_block[: len(header_and_block) - len(again)], again
