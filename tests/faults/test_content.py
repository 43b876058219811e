"""Section D, cases 25-27: empty bodies, bodies that are not HTML, and charsets that lie.

Each page is served by a HostileServer exactly as the bytes are written here, then read through
the real fetch and extract code (``scraper.scrape``) and, for 25 and 27, through a real crawl.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import random
import time
from pathlib import Path
from typing import Any, NamedTuple

import pytest

import scraper
from scraper.errors import NoContentError, PermanentFetchError
from scraper.write.encode import jsonl_line
from tests.crawl.sites import article_text
from tests.faults.conftest import FaultRecorder
from tests.faults.content_support import (
    CONTROL_CHARACTERS,
    article_html,
    json_records,
    output_files,
    run_crawl,
    settings_for,
    state_rows,
    story,
    write_config,
)
from tests.faults.hostile import HostileServer, Request, head_bytes, respond

# -- 25 empty ---------------------------------------------------------------------------------

EMPTY = {  # path -> (status, body, what the extractor says)
    story("zero-bytes"): (200, b"", "empty_body"),
    story("whitespace-only"): (200, b" \r\n\t \n", "empty_body"),
    story("no-content-204"): (204, b"", "empty_body"),
    story("bare-html"): (200, b"<html></html>", "no_content"),
}


def test_empty_bodies_are_no_content_and_are_not_retried(
    fault: FaultRecorder, hostile: HostileServer, tmp_path: Path
) -> None:
    fault.case(25, "empty bodies", expected="empty_body/no_content, no output, fetched once")
    for path, (status, body, _) in EMPTY.items():
        hostile.route(path, respond(body, status=status))
    settings = settings_for(tmp_path)
    codes = {}
    for path in EMPTY:
        with pytest.raises(NoContentError) as caught:
            scraper.scrape(hostile.url(path), settings)
        codes[path] = caught.value.code
    assert codes == {path: code for path, (_, _, code) in EMPTY.items()}

    urls = [hostile.url(path) for path in EMPTY]
    cfg = write_config(tmp_path, [{"name": "empty", "start_urls": urls}])
    finished = run_crawl(cfg)
    fault.child_peak(finished.peak_kib)

    assert finished.returncode == 0, finished.stderr
    rows = state_rows(tmp_path, "SELECT url, status, reason FROM urls ORDER BY url")
    assert rows == sorted((url, "skipped", "no_content") for url in urls)
    assert output_files(tmp_path) == []  # no article file; the JSONL log holds no line
    assert all(path.stat().st_size == 0 for path in output_files(tmp_path, ".jsonl"))
    crawl_hits = {path: len(hostile.requests_for(path)) - 1 for path in EMPTY}  # 1: scrape
    assert crawl_hits == dict.fromkeys(EMPTY, 1)
    fault.observed(
        f"scrape: {sorted(set(codes.values()))}; crawl: {len(rows)} URLs skipped no_content, "
        f"0 files, each fetched once ({finished.seconds:.1f}s)"
    )


# -- 26 wrong type ----------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" * 50
NOISE = random.Random(26).randbytes(64 * 1024)  # ~250 NULs among other controls


class Streamed:
    """A handler that sends headers, then ``block`` after ``block`` until the client hangs
    up, and remembers how many body bytes the socket took."""

    def __init__(self, content_type: str, block: bytes) -> None:
        self.content_type, self.block = content_type, block
        self.sent = 0
        self.hung_up = False

    async def __call__(self, request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(head_bytes(200, [("Content-Type", self.content_type),
                                      ("Content-Length", str(1 << 40))]))  # fmt: skip
        try:
            while self.sent < 1 << 30:
                writer.write(self.block)
                await writer.drain()
                self.sent += len(self.block)
        except ConnectionError:
            self.hung_up = True


@pytest.fixture
def extraction_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every page the extractor began to parse in this process, by its URL (the spy calls the
    real parse: it is extraction's first step, before the scorer or trafilatura)."""
    calls: list[str] = []
    module = importlib.import_module("scraper.extract.page")
    real = module._parse

    def spy(page: Any) -> Any:
        calls.append(page.url)
        return real(page)

    monkeypatch.setattr(module, "_parse", spy)
    return calls


def test_binary_bodies_and_non_html_types_never_reach_the_extractor(
    fault: FaultRecorder, hostile: HostileServer, tmp_path: Path, extraction_calls: list[str]
) -> None:
    fault.case(26, "wrong content type", expected="unsupported_content, no extraction, early abort")
    disguised = {"/pdf": (PDF, "PDF"), "/png": (PNG, "PNG"), "/noise": (NOISE, "binary")}
    for path, (body, _) in disguised.items():
        hostile.route(path, respond(body, headers=[("Content-Type", "text/html")]))
    html = article_html("A real page").encode()
    octet = Streamed("application/octet-stream", html * 64)
    hostile.route("/octet", octet)
    hostile.route("/html", respond(html))
    settings = settings_for(tmp_path)

    messages = {}
    for path in [*disguised, "/octet"]:
        started = time.monotonic()
        with pytest.raises(PermanentFetchError) as caught:
            scraper.scrape(hostile.url(path), settings)
        assert caught.value.code == "unsupported_content"
        assert time.monotonic() - started < 2
        messages[path] = caught.value.message
    for path, (_, what) in disguised.items():
        assert what in messages[path]
    assert "application/octet-stream" in messages["/octet"]
    assert extraction_calls == []
    # The refusal came on the headers: the socket took a few MiB of kernel buffers at most
    # of the 1 GiB on offer, and the client hung up.
    deadline = time.monotonic() + 5
    while not octet.hung_up and time.monotonic() < deadline:
        time.sleep(0.02)
    assert octet.hung_up and octet.sent < 16 << 20

    scraper.scrape(hostile.url("/html"), settings)  # the spy does see a real page
    assert len(extraction_calls) >= 1
    fault.observed(
        f"4/4 unsupported_content ({'; '.join(messages.values())}); extractor calls 0; "
        f"octet-stream: client hung up after {octet.sent / 2**20:.1f} MiB of 1024 offered"
    )


# -- 27 charset lies --------------------------------------------------------------------------

GOLD = "café – naïve"
JAPANESE = "港町に初めての潮力発電所が開業しました"


def _page(gold: str, seed: str, *, head: str = "", title: str | None = None) -> str:
    """An article with ``gold`` amid prose of its own: pages that shared a paragraph would be
    linked as copies, or the paragraph learned as the site's template and dropped."""
    before, after, *rest = article_text(seed, paragraphs=5, words=12)
    paragraphs = [f"{before} The {gold} visitors {after}", *rest]
    return article_html(title or gold, paragraphs, head=head)


class Lie(NamedTuple):
    name: str
    body: bytes
    content_type: str
    title: str  # the gold title
    text: str  # a gold string of the body
    decoded: tuple[str, str]  # (encoding, encoding_source)


def _cases() -> list[Lie]:
    sjis_meta = _page(JAPANESE, "a", head='<meta charset="shift_jis">').encode("shift_jis")
    sjis_wrong_meta = _page(JAPANESE, "b", head='<meta charset="utf-8">').encode("shift_jis")
    broken = _page(GOLD, "c").replace("visitors", "visi\udcff\udcc3tors")
    surrogates = _page(GOLD, "d").replace("visitors", "visi\udced\udca0\udc80tors")
    controls = _page(GOLD, "e", title="Harbour\x00 town\x1b opens")
    cp1252 = _page(GOLD, "f").encode("cp1252")
    return [
        Lie("utf8-header-cp1252-body", cp1252, "text/html; charset=utf-8",
         GOLD, GOLD, ("cp1252", "detected")),
        Lie("latin1-header-utf8-body", _page(GOLD, "g").encode(), "text/html; charset=iso-8859-1",
         GOLD, GOLD, ("utf-8", "detected")),
        Lie("sjis-header-lies-meta-right", sjis_meta, "text/html; charset=utf-8",
         JAPANESE, JAPANESE, ("cp932", "meta")),
        Lie("sjis-header-right-meta-lies", sjis_wrong_meta, "text/html; charset=Shift_JIS",
         JAPANESE, JAPANESE, ("cp932", "header")),
        Lie("bom-beats-1251-header", b"\xef\xbb\xbf" + _page(GOLD, "h").encode(),
         "text/html; charset=windows-1251", GOLD, GOLD, ("utf-8", "bom")),
        # Invalid UTF-8 becomes U+FFFD as in a browser (WHATWG: one per maximal bad subpart).
        Lie("invalid-utf8-runs", broken.encode("utf-8", "surrogateescape"),
         "text/html; charset=utf-8", GOLD, "visi\ufffd\ufffdtors", ("utf-8", "detected")),
        Lie("encoded-surrogates", surrogates.encode("utf-8", "surrogateescape"),
         "text/html; charset=utf-8", GOLD, "visi\ufffd\ufffd\ufffdtors", ("utf-8", "detected")),
        Lie("nul-esc-in-title", controls.encode(), "text/html; charset=utf-8",
         "Harbour town opens", GOLD, ("utf-8", "header")),
    ]  # fmt: skip


CASES = _cases()


@pytest.mark.parametrize("lie", CASES, ids=[lie.name for lie in CASES])
def test_charset_lies_give_the_gold_string(
    fault: FaultRecorder, hostile: HostileServer, tmp_path: Path, lie: Lie
) -> None:
    encoding, source = lie.decoded
    fault.case(27, f"charset: {lie.name}", expected=f"{lie.title!r}, {encoding} via {source}")
    hostile.route(story(1), respond(lie.body, headers=[("Content-Type", lie.content_type)]))

    article = scraper.scrape(hostile.url(story(1)), settings_for(tmp_path))

    assert article.title == lie.title
    assert lie.text in article.text and "\ufffd" not in article.text.replace(lie.text, "")
    assert (article.encoding, article.encoding_source) == lie.decoded
    line = jsonl_line(article).decode("utf-8")  # strict UTF-8
    assert not CONTROL_CHARACTERS.intersection(map(ord, line.rstrip("\n")))
    assert json.loads(line)["encoding_source"] == source
    fault.observed(f"title {article.title!r}, {article.encoding} via {article.encoding_source}")


def test_charset_lies_through_a_crawl_store_the_encoding(
    fault: FaultRecorder, hostile: HostileServer, tmp_path: Path
) -> None:
    fault.case(27, "charset lies, crawled", expected="gold titles, encoding stored, valid JSON")
    paths = {story(n): lie for n, lie in enumerate(CASES)}
    for path, lie in paths.items():
        hostile.route(path, respond(lie.body, headers=[("Content-Type", lie.content_type)]))
    source = {"name": "charsets", "start_urls": [hostile.url(path) for path in paths]}
    finished = run_crawl(write_config(tmp_path, [source], formats=("json", "jsonl")))
    fault.child_peak(finished.peak_kib)

    assert finished.returncode == 0, finished.stderr
    records = {record["url"]: record for record in json_records(tmp_path)}
    for path, lie in paths.items():
        record = records[hostile.url(path)]
        assert record["title"] == lie.title and lie.text in record["text"]
        assert (record["encoding"], record["encoding_source"]) == lie.decoded
    lines = (tmp_path / "out" / "articles.jsonl").read_bytes().decode("utf-8").splitlines()
    assert sorted(json.loads(line)["title"] for line in lines) == sorted(lie.title for lie in CASES)
    fault.observed(
        f"{len(records)}/{len(CASES)} articles with gold titles and encoding stored; JSON and"
        f" JSONL strict UTF-8, no raw controls ({finished.seconds:.1f}s)"
    )
