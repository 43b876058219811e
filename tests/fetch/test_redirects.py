"""Redirects are followed by hand: counted, scheme-checked, and stripped of credentials."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from scraper.errors import PermanentFetchError
from scraper.fetch import fetch
from tests.fetch.harness import fetch_result, run_raw, tiny
from tests.fetch.servers import Handler, RawServer, redirect, reply

HTML = b"<html><body><p>Landed.</p></body></html>"
SECRETS = {
    "Authorization": "Bearer secret",
    "Cookie": "session=secret",
    "Proxy-Authorization": "Basic c2VjcmV0",
    "X-Api-Key": "secret",
}


def _chain(hops: int) -> dict[str, Handler]:
    routes: dict[str, Handler] = {f"/r{i}": redirect(f"/r{i + 1}") for i in range(hops)}
    routes[f"/r{hops}"] = reply(200, HTML)
    return routes


def test_a_chain_of_five_redirects_is_followed() -> None:
    result = run_raw(_chain(5), "/r0", tiny(max_redirects=5))

    page = result.ok()
    assert page.final_url.endswith("/r5")
    assert page.url.endswith("/r0")
    assert "Landed." in page.html
    assert len(result.seen) == 6


def test_a_sixth_redirect_is_one_too_many() -> None:
    result = run_raw(_chain(6), "/r0", tiny(max_redirects=5))

    assert isinstance(result.error, PermanentFetchError)
    assert result.error.code == "too_many_redirects"
    assert "/r6" in str(result.error)  # the chain is in the message
    assert "/r6" not in result.paths  # and the hop past the limit was never requested


def test_a_redirect_loop_ends_as_too_many_redirects() -> None:
    result = run_raw({"/a": redirect("/b"), "/b": redirect("/a")}, "/a")

    assert isinstance(result.error, PermanentFetchError)
    assert result.error.code == "too_many_redirects"
    assert len(result.seen) == 6


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "ftp://127.0.0.1/x", "javascript:alert(1)", "data:text/html,hi"],
)
def test_a_redirect_to_a_non_http_scheme_is_refused(location: str) -> None:
    result = run_raw({"/": redirect(location)})

    assert isinstance(result.error, PermanentFetchError)
    assert result.error.code == "unsupported_scheme"
    assert result.paths == ["/"]


def test_relative_and_scheme_relative_locations_resolve() -> None:
    async def scenario() -> list[str]:
        async with RawServer({}) as server:
            server.routes.update(
                {
                    "/a/b": redirect("../c"),
                    "/c": redirect(f"//127.0.0.1:{server.port}/d", 301),
                    "/d": reply(200, HTML),
                }
            )
            _, error, _ = await fetch_result(server.url("/a/b"), tiny())
            assert error is None
            return server.paths()

    assert asyncio.run(scenario()) == ["/a/b", "/c", "/d"]


def test_credentials_are_dropped_when_the_origin_changes() -> None:
    async def scenario() -> RawServer:
        async with RawServer({}) as server:
            server.routes.update(
                {
                    "/start": redirect("/same"),  # same origin: keeps credentials
                    "/same": redirect(server.url("/echo", host="localhost")),
                    "/echo": reply(200, HTML),
                }
            )
            _, error, _ = await fetch_result(server.url("/start"), tiny(), SECRETS)
            assert error is None
            return server

    seen = {request.path: request.headers for request in asyncio.run(scenario()).seen}

    for name, value in SECRETS.items():
        assert seen["/start"][name.lower()] == value
        assert seen["/same"][name.lower()] == value
        assert name.lower() not in seen["/echo"]
    assert seen["/echo"]["user-agent"].startswith("scraper/")


def test_credentials_stay_dropped_when_the_chain_returns_to_the_first_origin() -> None:
    async def scenario() -> RawServer:
        async with RawServer({}) as server:
            server.routes.update(
                {
                    "/start": redirect(server.url("/away", host="localhost")),
                    "/away": redirect(server.url("/back")),
                    "/back": reply(200, HTML),
                }
            )
            _, error, _ = await fetch_result(server.url("/start"), tiny(), SECRETS)
            assert error is None
            return server

    seen = {request.path: request.headers for request in asyncio.run(scenario()).seen}

    assert "authorization" in seen["/start"]
    assert "authorization" not in seen["/back"]


def test_cookies_set_by_a_response_are_not_stored_or_sent() -> None:
    routes = {
        "/login": reply(302, b"", {"Location": "/next", "Set-Cookie": "s=1; Path=/"}),
        "/next": reply(200, HTML),
    }
    result = run_raw(routes, "/login")

    result.ok()
    assert "cookie" not in result.seen[1].headers


def test_a_3xx_without_location_is_a_permanent_error() -> None:
    result = run_raw({"/": reply(302, b"")})

    assert isinstance(result.error, PermanentFetchError)
    assert (result.error.code, result.error.status) == ("http_status", 302)


def test_a_url_with_a_non_http_scheme_is_refused_before_any_request() -> None:
    page, error, _ = asyncio.run(fetch_result("file:///etc/passwd", tiny()))

    assert page is None
    assert isinstance(error, PermanentFetchError)
    assert error.code == "unsupported_scheme"


def test_a_foreign_client_cannot_switch_the_hop_checks_off() -> None:
    # A client built elsewhere, with its own auth and redirect following: fetch still follows
    # by hand and keeps the client's credentials away from another origin.
    async def scenario() -> RawServer:
        async with RawServer({}) as server:
            server.routes.update(
                {
                    "/start": redirect(server.url("/echo", host="localhost")),
                    "/echo": reply(200, HTML),
                }
            )
            async with httpx.AsyncClient(auth=("user", "pw"), follow_redirects=True) as client:
                page = await fetch(server.url("/start"), client, tiny())
            assert page.final_url.endswith("/echo")
            return server

    seen = {request.path: request.headers for request in asyncio.run(scenario()).seen}

    assert seen["/start"]["authorization"].startswith("Basic ")
    assert "authorization" not in seen["/echo"]
