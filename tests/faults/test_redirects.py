"""Section B, cases 10-12 and 16: redirects, credentials, cookies and proxies, guard on."""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
import trustme

from scraper.fetch import fetch, make_client
from tests.crawl.crawl_support import counts, crawl
from tests.crawl.crawl_support import settings as crawl_settings
from tests.faults.conftest import FaultRecorder
from tests.faults.guard_support import TestDns, guard, page, redirect, run_fetch, settings
from tests.faults.hostile import HostileServer, respond

REPO = Path(__file__).resolve().parents[2]
SECRETS = {
    "Authorization": "Bearer secret",
    "X-Api-Key": "secret",
    "Proxy-Authorization": "Basic c2VjcmV0",
    "Cookie": "session=secret",
}


def test_redirect_loops_and_long_chains_stop_after_five(
    fault: FaultRecorder, hostile: HostileServer
) -> None:
    fault.case(10, "redirect loop, 30-hop chain", expected="too_many_redirects after 5, chain")
    hostile.route("/a", redirect("/b")).route("/b", redirect("/a"))
    for hop in range(30):
        hostile.route(f"/r{hop}", redirect(f"/r{hop + 1}"))

    loop = run_fetch(hostile.url("/a"), guard(hostile)).failure()
    loop_requests = len(hostile.requests)
    chain = run_fetch(hostile.url("/r0"), guard(hostile)).failure()

    assert (loop.code, chain.code) == ("too_many_redirects", "too_many_redirects")
    assert loop_requests == 6  # the first request and 5 hops
    assert [r.path for r in hostile.requests[6:]] == [f"/r{n}" for n in range(6)]
    assert " -> ".join(hostile.url(f"/r{n}") for n in range(7)) in chain.message
    fault.observed(
        f"loop: {loop.code} after {loop_requests} requests; 30-hop chain: {chain.code} after"
        " 6 requests, chain /r0 -> ... -> /r6 in the message"
    )


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "ftp://127.0.0.1/x", "javascript:alert(1)", "data:text/html,hi"],
)
def test_redirects_to_other_schemes_are_refused(
    fault: FaultRecorder, hostile: HostileServer, location: str
) -> None:
    scheme = location.split(":", maxsplit=1)[0]
    fault.case(10, f"302 to {scheme}:", expected="unsupported_scheme, 1 request")
    hostile.route("/", redirect(location))

    error = run_fetch(hostile.url("/"), guard(hostile)).failure()

    assert error.code == "unsupported_scheme"
    assert [r.path for r in hostile.requests] == ["/"]
    fault.observed(f"{error.code} after {len(hostile.requests)} request")


def test_scheme_relative_redirects_resolve_and_are_checked(
    fault: FaultRecorder, hostile: HostileServer, hostile2: HostileServer, canary: HostileServer
) -> None:
    fault.case(10, "302 to //host", expected="//allowed followed; //canary refused")
    hostile.route("/ok", redirect(f"//{hostile2.host}:{hostile2.port}/landing"))
    hostile.route("/bad", redirect(f"//127.0.0.1:{canary.port}/landing"))
    hostile2.route("/landing", page())

    landed = run_fetch(hostile.url("/ok"), guard(hostile, hostile2))
    refused = run_fetch(hostile.url("/bad"), guard(hostile, hostile2)).failure()

    assert landed.page is not None
    assert landed.page.final_url == hostile2.url("/landing")
    assert refused.code == "blocked_address"
    fault.observed(f"//127.0.0.2 landed at {landed.page.final_url}; //canary: {refused.code}")


def test_a_hop_that_robots_txt_disallows_is_not_requested(
    fault: FaultRecorder, hostile: HostileServer, hostile2: HostileServer, tmp_path: Path
) -> None:
    fault.case(10, "redirect hop re-checked by robots", expected="robots_disallowed, hop unasked")
    robots = (("Content-Type", "text/plain"),)
    hostile.route("/robots.txt", respond(b"User-agent: *\nAllow: /\n", headers=robots))
    hostile.route("/story", redirect(hostile2.url("/private/story")))
    hostile2.route("/robots.txt", respond(b"User-agent: *\nDisallow: /private\n", headers=robots))
    hostile2.route("/private/story", page())
    hostile.route("/other", redirect(hostile2.url("/public/story")))
    hostile2.route("/public/story", page())
    source = {"name": "news", "start_urls": [hostile.url("/story"), hostile.url("/other")]}

    report = crawl(crawl_settings(tmp_path, [source]))

    reasons = report.stats["totals"]["skipped_reasons"]
    assert reasons == {"robots_disallowed": 1}
    assert sorted(r.path for r in hostile2.requests) == ["/public/story", "/robots.txt"]
    # A hop to an origin whose robots.txt is not read yet costs one more request of the page
    # (read at that host's own turn, outside this host's slot); whichever URL went first paid it.
    asked = sorted(r.path for r in hostile.requests)
    assert asked in (
        ["/other", "/robots.txt", "/story"],
        ["/other", "/other", "/robots.txt", "/story"],
        ["/other", "/robots.txt", "/story", "/story"],
    )
    assert counts(report)["fetched"] == 1
    fault.observed(f"skipped {reasons}; 127.0.0.2 saw /robots.txt and the allowed hop only")


def _tls_pair() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("a.test", "127.0.0.1").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return server, client


def test_credentials_never_cross_origins(fault: FaultRecorder, hostile: HostileServer) -> None:
    fault.case(11, "cross-origin credential leak", expected="echo sees no credential, 3 ways")
    server_tls, client_tls = _tls_pair()
    echo = HostileServer("127.0.0.1").route("/echo", page()).start()
    secure = HostileServer("127.0.0.1", tls=server_tls).start()
    try:
        hostile.route("/to-localhost", redirect(f"http://localhost:{echo.port}/echo"))
        hostile.route("/to-port", redirect(echo.url("/echo")))
        secure.route("/to-http", redirect(f"http://a.test:{echo.port}/echo"))
        holes = guard(hostile, echo, secure, extra=[("::1", echo.port)])
        starts = [
            (hostile.url("/to-localhost"), None),
            (hostile.url("/to-port"), None),
            (f"https://a.test:{secure.port}/to-http", client_tls),
        ]
        for url, tls in starts:
            assert run_fetch(url, holes, headers=SECRETS, tls=tls).error is None
        first = [*hostile.requests, *secure.requests]
        echoed = echo.requests_for("/echo")
    finally:
        echo.stop()
        secure.stop()

    assert len(first) == 3 and len(echoed) == 3
    for request in first:
        assert all(request.headers.get(name.lower()) == value for name, value in SECRETS.items())
    for request in echoed:
        assert not {name.lower() for name in SECRETS} & set(request.headers)
    hosts = sorted(request.headers["host"].split(":")[0] for request in echoed)
    fault.observed(f"3 starts carried all 4 credentials; echo ({', '.join(hosts)}) saw none")


def test_a_cookie_for_a_parent_domain_reaches_no_other_host(
    fault: FaultRecorder, hostile: HostileServer
) -> None:
    fault.case(12, "cookie injection, Domain=test", expected="no cookie ever reaches b.test")
    set_cookie = (("Set-Cookie", "s=evil; Domain=test; Path=/"), ("Location", "/next"))
    hostile.route("/login", respond(b"", status=302, headers=set_cookie))
    hostile.route("/next", redirect(f"http://b.test:{hostile.port}/landing"))
    hostile.route("/landing", page())
    a, b = f"http://a.test:{hostile.port}", f"http://b.test:{hostile.port}"
    holes = guard(hostile)

    async def go() -> int:
        async with make_client(settings(), holes) as client:
            for url in (f"{a}/login", f"{b}/landing", f"{a}/landing"):
                await fetch(url, client, settings())
            return len(client.cookies.jar)

    stored = asyncio.run(go())

    hosts = [request.headers["host"] for request in hostile.requests]
    assert hosts.count(f"b.test:{hostile.port}") == 2
    assert all("cookie" not in request.headers for request in hostile.requests)
    assert stored == 0
    fault.observed(f"{len(hosts)} requests (2 to b.test), 0 with a Cookie; jar holds {stored}")


def test_proxy_environment_is_ignored(
    fault: FaultRecorder, hostile: HostileServer, canary: HostileServer, tmp_path: Path
) -> None:
    fault.case(16, "proxy environment", expected="scrape works, canary proxy sees 0")
    hostile.route("/story", page())
    proxy = canary.url("/")
    names = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
    env = {**os.environ, **dict.fromkeys(names, proxy), "NO_PROXY": "", "no_proxy": ""}
    env["PYTHONPATH"] = str(REPO)

    done = subprocess.run(
        [sys.executable, "-m", "scraper", "scrape", hostile.url("/story"), "--format", "json"],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "Harbour story" in done.stdout
    assert len(hostile.requests_for("/story")) == 1
    fault.observed(f"exit 0, article printed; {len(names)} proxy variables set; canary saw 0")


def test_the_test_dns_is_what_resolves_test_names() -> None:
    # The fixtures rely on it: a .test name is 127.0.0.1, .invalid never resolves.
    dns = TestDns({"x.test": [["203.0.113.5"], ["127.0.0.1"]]})
    assert [dns("x.test", 80), dns("x.test", 80), dns("y.test", 80)] == [
        ["203.0.113.5"], ["127.0.0.1"], ["127.0.0.1"]
    ]  # fmt: skip
