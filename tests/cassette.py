"""Cassettes: recorded HTTP exchanges, one JSON file per page, replayed on a local HTTP server.

A cassette is ``cassettes/<name>.json``::

    {"url": "https://site/news/x",            # where the page lives (provenance)
     "recorded_at": "2025-06-02T10:00:00+00:00",
     "request": {"method": "GET", "path": "/news/x", "headers": {...}},
     "response": {"status": 200, "headers": [["Content-Type", "text/html; charset=utf-8"], ...],
                  "body_b64": "..."}}          # or "body_gz_b64" (see below)

The body is the raw bytes as sent on the wire: still content-encoded if the response said
``Content-Encoding: gzip``, and never re-decoded, so a page whose header lies about its charset
keeps lying on replay. ``body_gz_b64`` is only a storage form (base64 of gzip of those same
bytes) for large bodies; the replay server un-gzips it before sending.

Why our own format and server instead of vcrpy: vcrpy works by patching httpx's transport, so a
replayed response never crosses a socket. That would bypass exactly the code these tests must
exercise: streaming reads, the body size cap, gzip decompression and charset decoding. Here the
real client talks real HTTP/1.1 to 127.0.0.1 and receives the recorded status, headers and bytes.

Hop-by-hop headers (Connection, Transfer-Encoding, Keep-Alive) and Content-Length are not stored;
the server sends ``Content-Length`` for the exact body and ``Connection: close``.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

CASSETTE_DIR = Path(__file__).resolve().parent.parent / "cassettes"
NOT_STORED_HEADERS = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})
GZIP_STORAGE_OVER = 4096  # bytes; larger bodies that are not already encoded are kept gzipped

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Cassette:
    """One recorded exchange: the request we made and the response exactly as received."""

    name: str
    url: str
    recorded_at: str
    path: str
    status: int
    headers: Headers
    body: bytes
    method: str = "GET"
    request_headers: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """The first response header called ``name`` (case-insensitive), if any."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "recorded_at": self.recorded_at,
            "request": {"method": self.method, "path": self.path, "headers": self.request_headers},
            "response": {
                "status": self.status,
                "headers": [[k, v] for k, v in self.headers],
                **_encode_body(self.body, self.header("content-encoding")),
            },
        }

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any]) -> Cassette:
        request, response = data["request"], data["response"]
        return cls(
            name=name,
            url=data["url"],
            recorded_at=data["recorded_at"],
            path=request["path"],
            method=request.get("method", "GET"),
            request_headers=dict(request.get("headers", {})),
            status=int(response["status"]),
            headers=tuple((str(k), str(v)) for k, v in response["headers"]),
            body=_decode_body(response),
        )


def _encode_body(body: bytes, content_encoding: str | None) -> dict[str, str]:
    if content_encoding or len(body) <= GZIP_STORAGE_OVER:
        return {"body_b64": base64.b64encode(body).decode("ascii")}
    packed = gzip.compress(body, mtime=0)
    return {"body_gz_b64": base64.b64encode(packed).decode("ascii")}


def _decode_body(response: dict[str, Any]) -> bytes:
    if ("body_b64" in response) == ("body_gz_b64" in response):
        raise ValueError("a cassette response needs exactly one of body_b64, body_gz_b64")
    if "body_b64" in response:
        return base64.b64decode(response["body_b64"], validate=True)
    return gzip.decompress(base64.b64decode(response["body_gz_b64"], validate=True))


def storable_headers(headers: Iterable[tuple[str, str]]) -> Headers:
    """The response headers worth keeping: everything but hop-by-hop and Content-Length."""
    return tuple((k, v) for k, v in headers if k.lower() not in NOT_STORED_HEADERS)


def load(name: str, directory: Path = CASSETTE_DIR) -> Cassette:
    path = directory / f"{name}.json"
    return Cassette.from_json(name, json.loads(path.read_text(encoding="utf-8")))


def load_all(directory: Path = CASSETTE_DIR) -> list[Cassette]:
    return [load(path.stem, directory) for path in sorted(directory.glob("*.json"))]


def save(cassette: Cassette, directory: Path = CASSETTE_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{cassette.name}.json"
    text = json.dumps(cassette.to_json(), indent=2, ensure_ascii=False)
    path.write_text(_PAIR.sub(_one_line, text) + "\n", encoding="utf-8")
    return path


_PAIR = re.compile(r'\[\s*("(?:[^"\\]|\\.)*"),\s*("(?:[^"\\]|\\.)*")\s*\]')


def _one_line(match: re.Match[str]) -> str:
    """Print a header pair as ``["Name", "value"]`` on one line, for readable diffs."""
    return f"[{match.group(1)}, {match.group(2)}]"


def raw_response(cassette: Cassette, *, include_body: bool = True) -> bytes:
    """The bytes the server writes for ``cassette``: status line, headers, blank line, body."""
    try:
        reason = HTTPStatus(cassette.status).phrase
    except ValueError:
        reason = ""
    lines = [f"HTTP/1.1 {cassette.status} {reason}".rstrip()]
    lines += [f"{k}: {v}" for k, v in storable_headers(cassette.headers)]
    lines += [f"Content-Length: {len(cassette.body)}", "Connection: close"]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + cassette.body if include_body else head


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, Cassette]
    seen: list[tuple[str, str, dict[str, str]]]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer(include_body=True)

    def do_HEAD(self) -> None:
        self._answer(include_body=False)

    def _answer(self, *, include_body: bool) -> None:
        self.server.seen.append((self.command, self.path, dict(self.headers.items())))
        cassette = self.server.routes.get(self.path)
        if cassette is None:
            cassette = Cassette(
                name="404",
                url="",
                recorded_at="",
                path=self.path,
                status=404,
                headers=(("Content-Type", "text/plain; charset=utf-8"),),
                body=b"no cassette at this path\n",
            )
        self.wfile.write(raw_response(cassette, include_body=include_body))
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


class ReplayServer:
    """Serves cassettes on 127.0.0.1, each at its recorded path; other paths get a plain 404."""

    def __init__(self, cassettes: Iterable[Cassette]) -> None:
        routes: dict[str, Cassette] = {}
        for cassette in cassettes:
            if cassette.path in routes:
                other = routes[cassette.path].name
                raise ValueError(f"cassettes {other} and {cassette.name} share {cassette.path}")
            routes[cassette.path] = cassette
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.routes = routes
        self._server.seen = []
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def seen(self) -> list[tuple[str, str, dict[str, str]]]:
        """Every request received: (method, path, headers)."""
        return self._server.seen

    def url_for(self, name: str) -> str:
        """The local URL serving the cassette called ``name``."""
        for cassette in self._server.routes.values():
            if cassette.name == name:
                return self.base_url + cassette.path
        raise KeyError(name)

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture(name="replay_server", scope="session")
def replay_server_fixture() -> Iterator[ReplayServer]:
    """Every cassette in cassettes/, served on one local server for the whole test session."""
    with ReplayServer(load_all()) as server:
        yield server


@pytest.fixture(name="replay_base_url", scope="session")
def replay_base_url_fixture(replay_server: ReplayServer) -> str:
    """The base URL (``http://127.0.0.1:PORT``) of the session's replay server."""
    return replay_server.base_url
