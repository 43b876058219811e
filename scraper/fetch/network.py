"""Resolve, check and pin: the httpcore network backend every client of make_client uses.

httpx resolves names inside its socket connect, where nothing can look at the address first and
no timeout covers the lookup (getaddrinfo cannot be interrupted). Here a connection is made in
three steps, all under the connect timeout (and so inside the fetch's total deadline):

    1. resolve the host with the guard's resolver on a thread of a small pool of our own, so a
       hung resolver costs at most DNS_THREADS threads however many fetches wait on it;
    2. check every resolved address (AddressGuard.check);
    3. connect to the checked address itself, never to the name. TLS still sends the name as
       SNI and checks the certificate against it (httpcore's start_tls gets the URL's host).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType

import httpcore
import httpx

from scraper.errors import TransientFetchError
from scraper.fetch.guard import (
    LOCALHOST_ADDRESSES,
    AddressGuard,
    IPAddress,
    literal_address,
    localhost_name,
)
from scraper.fetch.retry import DNS_ERROR

DNS_THREADS = 4
# httpx's own defaults (httpx._config.DEFAULT_LIMITS), restated: the pool is built here.
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Owns its resolver threads: ``close()`` once the client is done."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._network = guard.network or httpcore.AnyIOBackend()
        self._threads = ThreadPoolExecutor(DNS_THREADS, thread_name_prefix="scraper-dns")

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        limit = asyncio.timeout(timeout)
        try:
            async with limit:
                addresses = await self._resolve(host, port)
                self._guard.check(host, port, addresses)
                return await self._connect(addresses, port, timeout, local_address, socket_options)
        except TimeoutError as exc:
            if not limit.expired():
                raise
            raise httpcore.ConnectTimeout(
                f"resolving and connecting to {host}:{port} took over {timeout}s"
            ) from exc

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are never used by the fetcher")

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)

    def close(self) -> None:
        # A resolver thread stuck in getaddrinfo cannot be stopped; it ends on its own and
        # nothing waits for it. Queued lookups are dropped.
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def _resolve(self, host: str, port: int) -> list[IPAddress]:
        literal = literal_address(host)
        if literal is not None:
            return [literal]
        if localhost_name(host):
            return list(LOCALHOST_ADDRESSES)
        loop = asyncio.get_running_loop()
        try:
            answers = await loop.run_in_executor(self._threads, self._guard.resolver, host, port)
        except (OSError, UnicodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise TransientFetchError(f"cannot resolve {host}: {reason}", code=DNS_ERROR) from exc
        addresses = [ip for ip in map(literal_address, answers) if ip is not None]
        if not addresses:
            raise TransientFetchError(f"{host} resolves to no address", code=DNS_ERROR)
        return addresses

    async def _connect(
        self,
        addresses: list[IPAddress],
        port: int,
        timeout: float | None,
        local_address: str | None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None,
    ) -> httpcore.AsyncNetworkStream:
        """The first address that accepts, tried in the resolver's order."""
        options = list(socket_options or ())
        failure: httpcore.ConnectError | None = None
        for ip in addresses:
            try:
                return await self._network.connect_tcp(
                    str(ip), port, timeout, local_address, options
                )
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None  # _resolve never returns an empty list
        raise failure


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport, with its connection pool rebuilt around a GuardedBackend."""

    def __init__(self, guard: AddressGuard, *, verify: ssl.SSLContext | bool) -> None:
        # One TLS context for both pools below: loading the CA bundle takes ~20 ms.
        context = verify if isinstance(verify, ssl.SSLContext) else _tls_context(verify)
        super().__init__(verify=context, trust_env=False, limits=LIMITS)
        self._backend = GuardedBackend(guard)
        # httpx 0.28 takes no network_backend, so the pool it built is replaced by an equal one
        # (same TLS context and limits) that connects through ours. pyproject pins httpx <0.29.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=LIMITS.max_connections,
            max_keepalive_connections=LIMITS.max_keepalive_connections,
            keepalive_expiry=LIMITS.keepalive_expiry,
            network_backend=self._backend,
        )

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        try:
            await super().__aexit__(exc_type, exc_value, traceback)
        finally:
            self._backend.close()

    async def aclose(self) -> None:
        try:
            await super().aclose()
        finally:
            self._backend.close()


def _tls_context(verify: bool) -> ssl.SSLContext:
    return httpx.create_ssl_context(verify=verify, trust_env=False)
