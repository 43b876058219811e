"""Section B support: the SSRF guard kept ON with test DNS and exact holes (reliability.md H3).

``TestDns`` is the injected resolver: ``*.test`` names are 127.0.0.1 (RFC 6761), a name can be
given a script of answers (one list per lookup, for DNS rebinding), ``*.invalid`` never
resolves, and anything else goes to the system resolver (numeric spellings such as
``2130706433`` resolve there without any network). ``RecordingNetwork`` is the network under
the guard: it records every (address, port) the guard dials and can send a pretend public
endpoint to a fixture, so a pinned connection is observable without real traffic.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpcore

from scraper.config import FetchSettings
from scraper.errors import FetchError
from scraper.fetch import fetch, make_client
from scraper.fetch.guard import AddressGuard, system_resolver
from scraper.models import Page
from tests.crawl.sites import article_page, article_text
from tests.faults.hostile import Handler, HostileServer, respond

ARTICLE = article_page("Harbour story", article_text("guard"))


def redirect(location: str, *, status: int = 302, close: bool = False) -> Handler:
    return respond(b"", status=status, headers=(("Location", location),), close=close)


def page(*, close: bool = False) -> Handler:
    return respond(ARTICLE, close=close)


class TestDns:
    """A resolver for AddressGuard: scripted answers, then ``*.test`` -> 127.0.0.1."""

    __test__ = False  # not a pytest class

    def __init__(self, script: Mapping[str, list[list[str]]] | None = None) -> None:
        self._script = {name: list(answers) for name, answers in (script or {}).items()}
        self._lock = threading.Lock()
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        with self._lock:
            self.calls.append(host)
            answers = self._script.get(host)
            if answers:
                return answers.pop(0) if len(answers) > 1 else answers[0]
        if host.endswith(".invalid"):  # RFC 6761: never resolves
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if host.endswith(".test"):
            return ["127.0.0.1"]
        return system_resolver(host, port)


class SlowDns(TestDns):
    """Every lookup blocks until ``release()`` (or 30 s): a resolver that hangs."""

    def __init__(self) -> None:
        super().__init__()
        self.released = threading.Event()

    def __call__(self, host: str, port: int) -> list[str]:
        with self._lock:
            self.calls.append(host)
        self.released.wait(30)
        return ["127.0.0.1"]

    def release(self) -> None:
        self.released.set()


class RecordingNetwork(httpcore.AsyncNetworkBackend):
    """The network under the guard. ``routes`` sends a pretend endpoint to a real one;
    ``hang`` makes every connect wait forever (a SYN nobody answers)."""

    def __init__(
        self, routes: Mapping[tuple[str, int], tuple[str, int]] | None = None, *, hang: bool = False
    ) -> None:
        self.routes = dict(routes or {})
        self.hang = hang
        self.dials: list[tuple[str, int]] = []
        self._real = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.dials.append((host, port))
        if self.hang:
            await asyncio.sleep(3600)
        real_host, real_port = self.routes.get((host, port), (host, port))
        return await self._real.connect_tcp(
            real_host, real_port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("no unix sockets here")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def guard(
    *servers: HostileServer,
    dns: TestDns | None = None,
    network: RecordingNetwork | None = None,
    extra: Iterable[tuple[str, int]] = (),
) -> AddressGuard:
    """The crawl policy (no private addresses) with holes for exactly ``servers``."""
    holes = [(server.host, server.port) for server in servers] + list(extra)
    return AddressGuard(
        allowed_endpoints=AddressGuard.endpoints(holes),
        resolver=dns or TestDns(),
        network=network,
    )


def settings(**overrides: Any) -> FetchSettings:
    """Scaled down (H5): 1-3 s deadlines, tiny backoff; private addresses NOT allowed."""
    values: dict[str, Any] = {
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "total_timeout": 3.0,
        "max_body_bytes": 1024 * 1024,
        "retries": 0,
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
    }
    return FetchSettings(**{**values, **overrides})


@dataclass
class Fetched:
    page: Page | None
    error: FetchError | None
    seconds: float

    def failure(self) -> FetchError:
        assert self.error is not None, f"expected a failure, got {self.page!r}"
        return self.error


async def fetch_one(
    url: str,
    address_guard: AddressGuard,
    fetch_settings: FetchSettings | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    tls: ssl.SSLContext | None = None,
) -> Fetched:
    fetch_settings = fetch_settings or settings()
    start = time.monotonic()
    async with make_client(fetch_settings, address_guard, ssl_context=tls) as client:
        client.headers.update(headers or {})
        try:
            result = await fetch(url, client, fetch_settings)
        except FetchError as exc:
            return Fetched(None, exc, time.monotonic() - start)
    return Fetched(result, None, time.monotonic() - start)


def run_fetch(
    url: str,
    address_guard: AddressGuard,
    fetch_settings: FetchSettings | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    tls: ssl.SSLContext | None = None,
) -> Fetched:
    return asyncio.run(fetch_one(url, address_guard, fetch_settings, headers, tls=tls))
