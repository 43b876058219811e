"""Record a cassette: serve an HTML file on a throwaway local server, fetch it over real HTTP
with httpx, and write ``cassettes/<NAME>.json`` with the bytes exactly as they crossed the wire.

How to add a cassette
---------------------
1. Save or write the page as a file, in the exact bytes a site would send (keep a lying charset
   or double-encoded text as it is: that is what the test is for). Give it an absolute
   ``<link rel="canonical">`` so expectations do not depend on the local port.
2. Record it, from the repository root::

       python -m tests.record --html page.html --path /news/2025/06/story-slug --name my-site \\
           --header "Content-Type: text/html; charset=utf-8" [--status 200] [--gzip] \\
           [--url https://www.example.com/news/2025/06/story-slug]

   ``--path`` is where the replay server will serve it (unique across cassettes; use the
   original URL's path). ``--header`` may repeat. ``--gzip`` sends the body gzip-compressed
   with ``Content-Encoding: gzip``. ``--url`` is the page's original address, kept for
   provenance (default: the page's canonical link). ``recorded_at`` is set to now.
3. Write ``tests/golden/<NAME>.json``: ``{"cassette": NAME, "note": what the page tests,
   "title", "authors", "published" (ISO 8601; the result must start with it or be the same
   instant), "language" ("en" also accepts "en-GB"), "site_name", "canonical_url",
   "must_contain": [whole sentences of the article], "must_not_contain": [chrome strings:
   menus, share bars, "Subscribe", cookie text, related links], "paragraphs_in_order" and
   "tags" (both optional)}``, or ``{"cassette": NAME, "error": "NoContentError"}`` for a page
   with no article. Write what a reader would want, not what the scraper prints today.
4. Run ``pytest tests/test_golden.py -k NAME``.

To change a recorded page, write its body out, edit it, and record again under the same name::

    python -c "import sys; from tests.cassette import load; \\
        sys.stdout.buffer.write(load('NAME').body)" > page.html

(for a ``--gzip`` cassette, pipe that through ``gunzip``). The cassette diff then shows the new
body and ``recorded_at``.
"""

from __future__ import annotations

import argparse
import gzip
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.cassette import CASSETTE_DIR, Cassette, ReplayServer, save, storable_headers

_CANONICAL = re.compile(
    rb"""<link\b[^>]*\brel=["']?canonical["']?[^>]*\bhref=["']([^"']+)["']""", re.IGNORECASE
)
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")


def parse_header(text: str) -> tuple[str, str]:
    """``"Name: value"`` -> ``("Name", "value")``."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"header must look like 'Name: value', got {text!r}")
    return name.strip(), value.strip()


def original_url(body: bytes, path: str) -> str:
    """The page's own canonical URL if it declares one, else a placeholder on localhost."""
    match = _CANONICAL.search(body)
    return match.group(1).decode("utf-8", "replace") if match else f"http://localhost{path}"


def record(
    name: str,
    path: str,
    page: bytes,
    *,
    headers: Sequence[tuple[str, str]] = (),
    status: int = 200,
    url: str | None = None,
    gzip_body: bool = False,
) -> Cassette:
    """Serve ``page`` locally (gzip-encoded if asked), fetch it with httpx, return what came."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"cassette name must be lowercase letters, digits, - or _: {name!r}")
    if not path.startswith("/"):
        raise ValueError(f"path must start with '/': {path!r}")
    url = url or original_url(page, path)
    body = gzip.compress(page, mtime=0) if gzip_body else page
    if gzip_body:
        headers = [*headers, ("Content-Encoding", "gzip")]
    staged = Cassette(name, "", "", path=path, status=status, headers=tuple(headers), body=body)
    with ReplayServer([staged]) as server:
        exchange = _fetch_raw(server.base_url + path)
    return Cassette(
        name=name,
        url=url,
        recorded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        path=path,
        method="GET",
        request_headers=exchange.request_headers,
        status=exchange.status,
        headers=storable_headers(exchange.headers),
        body=exchange.body,
    )


@dataclass(frozen=True, slots=True)
class _Exchange:
    request_headers: dict[str, str]
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _fetch_raw(url: str) -> _Exchange:
    """GET ``url`` and keep the body as it came off the wire (no decompression, no decoding)."""
    with httpx.Client() as client, client.stream("GET", url) as response:
        body = b"".join(response.iter_raw())
    return _Exchange(
        request_headers={k: v for k, v in response.request.headers.items() if k != "host"},
        status=response.status_code,
        headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw],
        body=body,
    )


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.record", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--html", type=Path, required=True, help="file with the page's bytes")
    parser.add_argument("--path", required=True, help="path to serve it at, e.g. /news/x")
    parser.add_argument("--name", required=True, help="cassette name: cassettes/NAME.json")
    parser.add_argument("--header", type=parse_header, action="append", default=[])
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--gzip", action="store_true", help="send the body gzip-encoded")
    parser.add_argument("--url", help="original URL (default: the page's canonical link)")
    parser.add_argument("--out", type=Path, default=CASSETTE_DIR, help="cassette directory")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = _arguments(argv)
    cassette = record(
        args.name,
        args.path,
        args.html.read_bytes(),
        headers=args.header,
        status=args.status,
        url=args.url,
        gzip_body=args.gzip,
    )
    print(f"wrote {save(cassette, args.out)} ({len(cassette.body)} bytes, {cassette.url})")


if __name__ == "__main__":
    main()
