"""Small news sites on loopback addresses for crawl tests: real HTTP, a request log, hooks.

``Site`` is a threaded HTTP/1.0 server bound to one loopback address (127.0.0.1, 127.0.0.2...),
serving whatever ``routes`` holds at the moment of the request, so a test can change a page
between runs. Every request is logged with its arrival time before it is answered, and
``on_hit`` (called with the running request count) lets a test act at request #k, e.g. kill
the crawler. Pages are built from seeded word lists, so each article has its own text.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Hit:
    path: str
    headers: Mapping[str, str]  # lower-cased names
    at: float  # time.monotonic() on arrival


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None  # answered with 304 when the request's If-None-Match matches
    delay: float = 0.0  # seconds before answering


Handler = Callable[[Hit], Route]


class Site:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.routes: dict[str, Route | Handler] = {}
        self.hits: list[Hit] = []
        self.on_hit: Callable[[int, Hit], None] | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def paths(self) -> list[str]:
        with self._lock:
            return [hit.path for hit in self.hits]

    def times(self, prefix: str = "") -> list[float]:
        with self._lock:
            return [hit.at for hit in self.hits if hit.path.startswith(prefix)]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, path: str, headers: Mapping[str, str]) -> Route:
        hit = Hit(path, headers, time.monotonic())
        with self._lock:
            self.hits.append(hit)
            count = len(self.hits)
        if self.on_hit is not None:
            self.on_hit(count, hit)
        route = self.routes.get(path)
        if route is None:
            return Route(b"not found", status=404, content_type="text/plain")
        return route(hit) if callable(route) else route


def _handler_for(site: Site) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            headers = {key.lower(): value for key, value in self.headers.items()}
            route = site._answer(self.path, headers)
            if route.delay:
                time.sleep(route.delay)
            if route.etag is not None and headers.get("if-none-match") == route.etag:
                self.send_response(304)
                self.send_header("ETag", route.etag)
                self.end_headers()
                return
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            if route.etag is not None:
                self.send_header("ETag", route.etag)
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(route.body)

        def log_message(self, *args: Any) -> None:
            pass

    return _Handler


_VOCABULARY = (
    "harbour council tide engineers turbine winter ferry village school budget river bridge "
    "market farmers rainfall museum library station railway storm coast fishing boats cargo "
    "mayor residents survey archive theatre festival orchestra hospital nurses clinic vaccine "
    "election ballot candidates debate parliament minister treasury export import wheat barley "
    "orchard vineyard glacier valley mountain trail rangers wildlife otters herons salmon "
    "copper mine quarry factory workers union wages contract tunnel highway traffic cyclists "
    "airport runway pilots weather forecast drought reservoir pipeline solar panels battery "
    "grid outage repairs volunteers charity donation auction painting sculpture gallery"
)
_WORDS = tuple(_VOCABULARY.split(" "))


def article_text(seed: int | str, paragraphs: int = 5, words: int = 24) -> list[str]:
    """Paragraphs of seeded prose: the same seed, the same text; another seed, another text."""
    rng = random.Random(str(seed))
    result = []
    for _ in range(paragraphs):
        chosen = [rng.choice(_WORDS) for _ in range(words)]
        result.append(" ".join(chosen).capitalize() + ".")
    return result


def article_page(title: str, paragraphs: Iterable[str], *, canonical: str | None = None) -> bytes:
    body = "\n".join(f"<p>{escape(text)}</p>" for text in paragraphs)
    link = f'<link rel="canonical" href="{escape(canonical)}">' if canonical else ""
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}"
        f"</title>{link}</head><body><header><nav><a href='/'>Home</a></nav></header>"
        f"<main><article><h1>{escape(title)}</h1>\n{body}\n</article></main>"
        "<footer>Contact us</footer></body></html>"
    ).encode()


def rss(items: Iterable[tuple[str, datetime]]) -> bytes:
    entries = "".join(
        f"<item><title>Story</title><link>{escape(url)}</link>"
        f"<pubDate>{format_datetime(when)}</pubDate></item>"
        for url, when in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>News</title>'
        f"<link>http://news.test/</link><description>d</description>{entries}</channel></rss>"
    ).encode()


_SITEMAP_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def urlset(items: Iterable[tuple[str, datetime | None]]) -> bytes:
    entries = "".join(
        f"<url><loc>{escape(url)}</loc>"
        + (f"<lastmod>{when.isoformat()}</lastmod>" if when else "")
        + "</url>"
        for url, when in items
    )
    return f'<?xml version="1.0"?><urlset {_SITEMAP_NS}>{entries}</urlset>'.encode()


def sitemap_index(urls: Iterable[str]) -> bytes:
    entries = "".join(f"<sitemap><loc>{escape(url)}</loc></sitemap>" for url in urls)
    return f'<?xml version="1.0"?><sitemapindex {_SITEMAP_NS}>{entries}</sitemapindex>'.encode()


def section_page(links: Iterable[str]) -> bytes:
    anchors = "".join(f"<h2><a href='{escape(url)}'>A story</a></h2>" for url in links)
    return f"<html><body><main>{anchors}</main></body></html>".encode()


XML = "application/xml"
RSS = "application/rss+xml"
