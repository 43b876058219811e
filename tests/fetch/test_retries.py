"""Retries against a real HTTP server: what is retried, how often, and how long we wait."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from email.utils import formatdate

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from scraper.errors import PermanentFetchError, TransientFetchError
from tests.fetch.harness import run_raw, run_url, tiny

HTML = "<html><head><title>Ok</title></head><body><p>Story.</p></body></html>"


def test_503_then_200_succeeds_on_the_second_attempt(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/news").respond_with_data("busy", status=503)
    httpserver.expect_request("/news").respond_with_data(HTML, content_type="text/html")

    page = run_url(httpserver.url_for("/news")).ok()

    assert page.status == 200
    assert "Story." in page.html
    assert len(httpserver.log) == 2


def test_a_persistent_503_stops_after_retries_plus_one_attempts(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/down").respond_with_data("busy", status=503)

    result = run_url(httpserver.url_for("/down"), tiny(retries=2))

    assert isinstance(result.error, TransientFetchError)
    assert (result.error.code, result.error.status) == ("http_status", 503)
    assert len(httpserver.log) == 3


def test_404_is_permanent_and_never_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gone").respond_with_data("no", status=404)

    result = run_url(httpserver.url_for("/gone"))

    assert isinstance(result.error, PermanentFetchError)
    assert (result.error.code, result.error.status) == ("http_status", 404)
    assert len(httpserver.log) == 1


def _throttled_once(retry_after: str, arrivals: list[float]) -> Callable[[Request], Response]:
    def handle(_: Request) -> Response:
        arrivals.append(time.time())
        if len(arrivals) == 1:
            return Response("slow down", status=429, headers={"Retry-After": retry_after})
        return Response(HTML, content_type="text/html")

    return handle


def test_429_retry_after_seconds_is_waited_out(httpserver: HTTPServer) -> None:
    arrivals: list[float] = []
    httpserver.expect_request("/p").respond_with_handler(_throttled_once("1", arrivals))

    run_url(httpserver.url_for("/p")).ok()

    assert len(arrivals) == 2
    assert arrivals[1] - arrivals[0] >= 1.0


def test_429_retry_after_http_date_is_waited_out(httpserver: HTTPServer) -> None:
    # An HTTP-date has whole seconds: the next whole second at least 0.3 s away.
    not_before = math.ceil(time.time() + 0.3)
    arrivals: list[float] = []
    handler = _throttled_once(formatdate(not_before, usegmt=True), arrivals)
    httpserver.expect_request("/p").respond_with_handler(handler)

    run_url(httpserver.url_for("/p")).ok()

    assert len(arrivals) == 2
    assert arrivals[1] >= not_before


def test_retry_after_over_the_cap_gives_up_at_once(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/p").respond_with_data(
        "later", status=429, headers={"Retry-After": "3600"}
    )

    result = run_url(httpserver.url_for("/p"), tiny(retry_after_max=5))

    assert isinstance(result.error, TransientFetchError)
    assert result.error.retry_after == 3600
    assert "later run" in str(result.error)
    assert len(httpserver.log) == 1
    assert result.elapsed < 1


def test_unparseable_retry_after_falls_back_to_backoff(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/p").respond_with_data(
        "later", status=503, headers={"Retry-After": "soon"}
    )
    httpserver.expect_request("/p").respond_with_data(HTML, content_type="text/html")

    result = run_url(httpserver.url_for("/p"))

    result.ok()
    assert result.elapsed < 1


@pytest.mark.parametrize("status", [408, 500, 502, 504])
def test_other_transient_statuses_are_retried(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_oneshot_request("/p").respond_with_data("", status=status)
    httpserver.expect_request("/p").respond_with_data(HTML, content_type="text/html")

    run_url(httpserver.url_for("/p")).ok()

    assert len(httpserver.log) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 410, 501])
def test_other_error_statuses_are_permanent(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request("/p").respond_with_data("", status=status)

    result = run_url(httpserver.url_for("/p"))

    assert isinstance(result.error, PermanentFetchError)
    assert result.error.status == status
    assert len(httpserver.log) == 1


def test_connection_refused_is_transient_and_retried() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port now.
    result = run_url(f"http://127.0.0.1:{port}/", tiny(retries=1))

    assert isinstance(result.error, TransientFetchError)
    assert result.error.code == "connection_error"


def test_incomplete_body_is_transient_and_retried() -> None:
    from tests.fetch.servers import head, stall_after

    lying = head(200, {"Content-Type": "text/html", "Content-Length": "1000"}) + b"<p>short"
    result = run_raw({"/": stall_after(lying, 0)}, settings=tiny(retries=2))

    assert isinstance(result.error, TransientFetchError)
    assert result.error.code == "incomplete_body"
    assert len(result.seen) == 3
