"""The harness itself: the hostile server does what the fault tests rely on."""

from __future__ import annotations

import socket
import time
import zlib

import httpx

from tests.faults.hostile import HostileServer, endless_gzip_block, respond


def test_server_logs_requests_and_serves_routes(hostile: HostileServer) -> None:
    hostile.route("/a", respond(b"<p>hi</p>"))
    answer = httpx.get(hostile.url("/a?x=1"), headers={"X-Probe": "1"})
    assert answer.text == "<p>hi</p>"
    (logged,) = hostile.requests_for("/a")
    assert logged.target == "/a?x=1"
    assert logged.headers["x-probe"] == "1"
    assert httpx.get(hostile.url("/missing")).status_code == 404


def test_second_origin_is_another_address(hostile: HostileServer, hostile2: HostileServer) -> None:
    assert hostile.origin != hostile2.origin
    assert hostile2.url().startswith("http://127.0.0.2:")


def test_connections_are_counted_without_a_request(hostile: HostileServer) -> None:
    with socket.create_connection((hostile.host, hostile.port)):
        pass
    deadline = time.monotonic() + 5
    while not hostile.connections and time.monotonic() < deadline:
        time.sleep(0.01)  # the server thread counts it as it accepts
    assert hostile.connections == 1
    assert hostile.requests == []


def test_endless_gzip_block_repeats_into_a_valid_stream() -> None:
    header, block = endless_gzip_block(1 << 16)
    decoder = zlib.decompressobj(31)
    out = decoder.decompress(header + block * 3)
    assert len(out) == 3 << 16 and not out.strip(b"\0")
