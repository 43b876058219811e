"""The SSRF guard's policy: which resolved addresses a fetch may connect to.

A crawl follows links and redirects that strangers wrote, so without a guard a page can point
it at the cloud metadata service (169.254.169.254), a router's admin page or a database on
loopback. The check runs on every address a name resolves to, as an ``ipaddress`` object and
after resolution, so spellings such as ``2130706433``, ``0x7f.1``, ``127.1`` or
``[::ffff:127.0.0.1]`` cannot slip past a string match. network.py then connects to the very
address that was checked (no second lookup a rebinding DNS server could answer differently).

    AddressGuard()                          crawl default: global unicast addresses only
    AddressGuard(allow_private=True)        anything (fetch.allow_private_addresses: intranets)
    AddressGuard(trusted_hosts={"intranet"}) a name the user typed may reach any address
    AddressGuard(resolver=..., allowed_endpoints={(ip, port)})  tests: fake DNS, exact holes
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

import httpcore
import httpx

from scraper.config import FetchSettings
from scraper.errors import PermanentFetchError

log = logging.getLogger(__name__)

IPAddress = IPv4Address | IPv6Address
# (host, port) -> address strings. Blocking, like getaddrinfo: network.py runs it on a thread.
Resolver = Callable[[str, int], Sequence[str]]
Endpoint = tuple[IPAddress, int]

BLOCKED_ADDRESS = "blocked_address"
_SHARED = IPv4Network("100.64.0.0/10")  # carrier-grade NAT; ipaddress calls it neither
_NAT64 = IPv6Network("64:ff9b::/96")  # ipaddress calls 64:ff9b::7f00:1 global (measured)
# RFC 6761 §6.3: these names are loopback whatever a resolver says (glibc fails "localhost.").
LOCALHOST_ADDRESSES: tuple[IPAddress, ...] = (IPv4Address("127.0.0.1"), IPv6Address("::1"))
_KINDS: tuple[tuple[str, Callable[[IPAddress], bool]], ...] = (
    ("unspecified", lambda ip: ip.is_unspecified),
    ("loopback", lambda ip: ip.is_loopback),
    ("link-local", lambda ip: ip.is_link_local),
    ("multicast", lambda ip: ip.is_multicast),
    ("shared address space", lambda ip: isinstance(ip, IPv4Address) and ip in _SHARED),
    ("private", lambda ip: ip.is_private),
    ("reserved", lambda ip: ip.is_reserved),
    ("not global", lambda ip: not ip.is_global),
)


def system_resolver(host: str, port: int) -> list[str]:
    """getaddrinfo's answers, in its order, each address once."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = (str(info[4][0]).split("%", 1)[0] for info in infos)  # drop a v6 scope id
    return list(dict.fromkeys(addresses))


def why_blocked(ip: IPAddress) -> str | None:
    """None for an address a crawl may reach (global unicast), else what kind it is.

    IPv4 inside IPv6 (``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96``) is judged as the IPv4 it
    carries; a 6to4 address must be global and carry a global IPv4.
    """
    if isinstance(ip, IPv6Address):
        inner = ip.ipv4_mapped or (IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None)
        if inner is not None:
            reason = why_blocked(inner)
            return None if reason is None else f"{reason}, as {inner}"
        if ip.sixtofour is not None and (reason := why_blocked(ip.sixtofour)) is not None:
            return f"{reason}, as {ip.sixtofour}"
    return next((kind for kind, applies in _KINDS if applies(ip)), None)


def localhost_name(host: str) -> bool:
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def literal_address(host: str) -> IPAddress | None:
    try:
        return ip_address(host.strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class AddressGuard:
    """What a client may connect to. Immutable; one per client (make_client's ``guard``)."""

    allow_private: bool = False
    trusted_hosts: frozenset[str] = frozenset()
    allowed_endpoints: frozenset[Endpoint] = frozenset()
    resolver: Resolver = system_resolver
    # Where checked connections are dialled; None is httpcore's own. Tests swap in a recorder.
    network: httpcore.AsyncNetworkBackend | None = field(default=None, compare=False)

    @classmethod
    def from_settings(
        cls, settings: FetchSettings, *, trusted_urls: Iterable[str] = ()
    ) -> AddressGuard:
        """The guard for ``settings``; the hosts of ``trusted_urls`` (typed by the user) may
        reach any address, but a redirect elsewhere is checked."""
        return cls(
            allow_private=settings.allow_private_addresses,
            trusted_hosts=frozenset(filter(None, map(_host_of, trusted_urls))),
        )

    @staticmethod
    def endpoints(pairs: Iterable[tuple[str, int]]) -> frozenset[Endpoint]:
        """``{("127.0.0.1", 8080)}`` as allowed_endpoints."""
        return frozenset((ip_address(ip), port) for ip, port in pairs)

    def checks(self, host: str) -> bool:
        """False when connections to ``host`` are not checked at all."""
        return not (self.allow_private or host.lower() in self.trusted_hosts)

    def check(self, host: str, port: int, addresses: Collection[IPAddress]) -> None:
        """Raise PermanentFetchError(blocked_address) unless EVERY address may be reached: a
        name that also resolves to a private address is refused, whichever would be dialled."""
        if not self.checks(host):
            return
        for ip in addresses:
            reason = None if (ip, port) in self.allowed_endpoints else why_blocked(ip)
            if reason is not None:
                raise _refusal(host, port, ip, reason)


def _refusal(host: str, port: int, ip: IPAddress, reason: str) -> PermanentFetchError:
    name = f"[{host}]" if ":" in host else host
    where = f"is {reason}" if literal_address(host) == ip else f"resolves to {ip} ({reason})"
    log.warning("%s: %s:%d %s; refused", BLOCKED_ADDRESS, name, port, where)
    return PermanentFetchError(
        f"{name}:{port} {where}; refused before connecting (fetch.allow_private_addresses is off)",
        code=BLOCKED_ADDRESS,
    )


def _host_of(url: str) -> str | None:
    try:
        return httpx.URL(url).host.lower() or None
    except httpx.InvalidURL:
        return None
