"""Section A of reliability.md, TLS: a peer that never answers the handshake (case 7) and bad
certificates (case 9), made with trustme.

The client verifies against certifi's bundle (make_client: verify on, trust_env off). To have
one CA the client trusts, the tests point ``certifi.where`` at a bundle holding only that CA,
as a CA in the real bundle would be; every other certificate is then as foreign as a
stranger's. The server counts ClientHellos through the SSL context's SNI callback, which runs
for every handshake, so an attempt that fails before any HTTP request is still seen.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import certifi
import pytest
import trustme

from scraper.errors import PermanentFetchError, TransientFetchError
from tests.faults.conftest import FaultRecorder
from tests.faults.hostile import HostileServer, respond
from tests.faults.transport_support import ARTICLE, fetch_once, settings


@dataclass
class TlsSite:
    """A HostileServer on https serving the article, counting handshakes it was offered."""

    server: HostileServer
    hellos: list[str | None] = field(default_factory=list)


@pytest.fixture
def trusted_ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
    ca = trustme.CA()
    bundle = tmp_path / "trusted.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setattr(certifi, "where", lambda: str(bundle))
    return ca


def _leaf_context(
    ca: trustme.CA,
    name: str,
    *,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name, not_before=not_before, not_after=not_after).configure_cert(context)
    return context


def _self_signed_context(tmp_path: Path) -> ssl.SSLContext:
    # A CA's own certificate is self-signed; serving it as the leaf is the classic case.
    lonely = trustme.CA()
    certfile, keyfile = tmp_path / "self.pem", tmp_path / "self.key"
    lonely.cert_pem.write_to_path(str(certfile))
    lonely.private_key_pem.write_to_path(str(keyfile))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certfile, keyfile)
    return context


def _bad_contexts(ca: trustme.CA, tmp_path: Path) -> dict[str, ssl.SSLContext]:
    now = datetime.now(UTC)
    return {
        "untrusted CA": _leaf_context(trustme.CA(), "127.0.0.1"),
        "self-signed": _self_signed_context(tmp_path),
        "expired": _leaf_context(
            ca,
            "127.0.0.1",
            not_before=now - timedelta(days=30),
            not_after=now - timedelta(days=1),
        ),
        "wrong host": _leaf_context(ca, "news.example"),
    }


@pytest.fixture
def serve() -> Iterator[list[TlsSite]]:
    sites: list[TlsSite] = []
    yield sites
    for site in sites:
        site.server.stop()


def _start(sites: list[TlsSite], context: ssl.SSLContext) -> TlsSite:
    site = TlsSite(HostileServer("127.0.0.1", tls=context))
    context.sni_callback = lambda _sock, name, _ctx: site.hellos.append(name)
    site.server.route("/", respond(ARTICLE)).start()
    sites.append(site)
    return site


def test_case07_tls_handshake_never_answered(fault: FaultRecorder, hostile: HostileServer) -> None:
    fault.case(7, "silent peer (TLS handshake)", expected="connect timeout, 2 retries, bounded")
    # A plain TCP server reading for an HTTP head: a ClientHello never completes one, so the
    # connection is accepted and the handshake is left hanging.
    url = hostile.url("/").replace("http://", "https://")
    connect_timeout, retries = 0.5, 2

    result = fetch_once(url, settings(connect_timeout=connect_timeout, retries=retries))

    assert isinstance(result.error, TransientFetchError)
    assert result.error.code == "timeout"
    assert "connect" in result.error.message
    assert hostile.connections == 1 + retries
    assert hostile.requests == []
    attempts = 1 + retries
    assert attempts * connect_timeout <= result.seconds < attempts * connect_timeout + 1.0
    fault.observed(
        f"connect timeout on the handshake, {hostile.connections} connections, "
        f"{result.seconds:.2f}s in all"
    )


def test_case09_bad_certificates(
    fault: FaultRecorder, trusted_ca: trustme.CA, serve: list[TlsSite], tmp_path: Path
) -> None:
    fault.case(
        9,
        "bad TLS certificates",
        expected="tls_error, 1 handshake, never retried unverified; verify_tls=false the only way",
    )
    good = _start(serve, _leaf_context(trusted_ca, "127.0.0.1"))
    bad = {name: _start(serve, ctx) for name, ctx in _bad_contexts(trusted_ca, tmp_path).items()}

    # The control: a certificate from the trusted CA is accepted, so each refusal below is
    # about its certificate and not about the set-up.
    assert fetch_once(good.server.url("/"), settings()).page is not None
    reasons = {}
    for name, site in bad.items():
        result = fetch_once(site.server.url("/"), settings(retries=2))
        assert isinstance(result.error, PermanentFetchError), name
        assert result.error.code == "tls_error", name
        # One handshake and no HTTP request: no retry, and never one with verification off.
        assert len(site.hellos) == 1, name
        assert site.server.requests == [], name
        reasons[name] = result.error.message.split("verify failed: ")[-1].split(" (_ssl")[0]

    for name, site in bad.items():
        insecure = fetch_once(site.server.url("/"), settings(verify_tls=False))
        assert insecure.page is not None, name
        assert insecure.page.content == ARTICLE
    fault.observed(
        "tls_error, 1 handshake, 0 requests each: "
        + "; ".join(f"{name}: {why}" for name, why in reasons.items())
        + "; all four load with verify_tls=false"
    )


def test_case09_environment_cannot_add_trust(
    fault: FaultRecorder, serve: list[TlsSite], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault.case(9, "bad TLS: CA smuggled via env", expected="SSL_CERT_FILE/DIR ignored: tls_error")
    stranger = trustme.CA()
    site = _start(serve, _leaf_context(stranger, "127.0.0.1"))
    bundle = tmp_path / "env-bundle.pem"
    stranger.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))

    result = fetch_once(site.server.url("/"), settings())

    assert isinstance(result.error, PermanentFetchError)
    assert result.error.code == "tls_error"
    assert site.server.requests == []
    fault.observed("tls_error with SSL_CERT_FILE naming the server's CA (trust_env is off)")
