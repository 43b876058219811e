"""Run `scraper crawl --config CONFIG` (the real CLI, in this process) with the test guard.

    python -m tests.faults.guard_driver CONFIG HOST:PORT [HOST:PORT ...]

The crawl's client gets an AddressGuard with the fault suite's DNS (``*.test`` -> 127.0.0.1)
and holes for exactly the given endpoints; fetch.allow_private_addresses stays as the config
says (off), so every other private address is refused as in production.
"""

from __future__ import annotations

import sys

import httpx

from scraper import cli
from scraper.config import FetchSettings
from scraper.crawl import runner
from scraper.fetch import make_client
from scraper.fetch.guard import AddressGuard
from tests.faults.guard_support import TestDns


def main(config: str, *endpoints: str) -> None:
    holes = [(host, int(port)) for host, _, port in (e.rpartition(":") for e in endpoints)]
    guard = AddressGuard(allowed_endpoints=AddressGuard.endpoints(holes), resolver=TestDns())

    def guarded_client(settings: FetchSettings) -> httpx.AsyncClient:
        return make_client(settings, guard)

    setattr(runner, "make_client", guarded_client)  # noqa: B010  # this process only
    sys.argv = ["scraper", "crawl", "--config", config]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1], *sys.argv[2:])
