"""WarcArchive: file naming, the .open name while writing, records warcio itself accepts."""

from __future__ import annotations

import dataclasses
import errno
import gzip
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator  # type: ignore[import-untyped]

from scraper.errors import WriteError
from scraper.fetch.archive import pages_from_warc
from scraper.fetch.page import build_page
from scraper.models import Page
from scraper.write import fsio
from scraper.write.warc import OPEN_SUFFIX, WarcArchive

WHEN = datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
CP1252_BODY = (
    "<html><head><title>Café</title></head><body>"
    "<p>“Quoted” — it costs 5 € and the naïve chef’s œuvre</p></body></html>"
).encode("cp1252")


def _words(seed: int, count: int) -> str:
    # Random words compress badly, so a cut inside a record really tears its payload.
    rng = random.Random(seed)
    return " ".join(f"w{rng.getrandbits(40):x}" for _ in range(count))


def sample_pages() -> list[Page]:
    """Three fetched pages: cp1252 declared in the header, gzip on the wire, a redirect."""
    cp1252 = build_page(
        CP1252_BODY,
        "https://news.test/cafe",
        final_url="https://news.test/cafe",
        headers={"Content-Type": "text/html; charset=windows-1252", "Server": "test"},
        status=200,
        fetched_at=WHEN,
    )
    body = f"<html><body><p>{_words(1, 400)}</p></body></html>".encode()
    gzipped = build_page(
        body,
        "https://news.test/a?utm=feed",
        final_url="https://www.news.test/a",
        # As fetched: the wire was gzip, the Page holds the decoded body.
        headers={
            "content-type": "text/html; charset=utf-8",
            "content-encoding": "gzip",
            "content-length": str(len(gzip.compress(body))),
            "etag": '"v1"',
        },
        status=200,
        fetched_at=WHEN.replace(microsecond=0),
    )
    plain = build_page(
        f'<html><head><meta charset="utf-8"></head><p>{_words(2, 400)} ü</p></html>'.encode(),
        "https://news.test/b",
        final_url="https://news.test/b",
        headers={"transfer-encoding": "chunked", "last-modified": "Wed, 01 May 2024 10:00:00 GMT"},
        status=203,
        fetched_at=WHEN.replace(hour=13),
    )
    return [cp1252, gzipped, plain]


def as_stored(page: Page) -> Page:
    """The page as the archive gives it back: the wire-only headers replaced."""
    headers = {
        name: value
        for name, value in page.headers.items()
        if name not in {"content-encoding", "transfer-encoding", "content-length"}
    }
    headers["content-length"] = str(len(page.content))
    return dataclasses.replace(page, headers=headers)


def write_archive(directory: Path, pages: list[Page], run_id: int = 7) -> tuple[Path, list[int]]:
    """Write ``pages``; return the file and its size after the warcinfo and after each page."""
    with WarcArchive(directory, run_id) as archive:
        sizes = [archive.open_path.stat().st_size]
        for page in pages:
            archive.write_page(page)
            sizes.append(archive.open_path.stat().st_size)
    return archive.path, sizes


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[WarcArchive]:
    with WarcArchive(tmp_path / "warc", 42) as opened:
        yield opened


def test_file_is_named_by_run_and_time_and_renamed_on_close(tmp_path: Path) -> None:
    directory = tmp_path / "new" / "warc"  # created on demand
    archive = WarcArchive(directory, 42)
    assert re.fullmatch(r"crawl-000042-\d{8}T\d{6}Z\.warc\.gz", archive.path.name)
    assert archive.open_path.name == archive.path.name + OPEN_SUFFIX
    archive.write_page(sample_pages()[0])
    assert [p.name for p in directory.iterdir()] == [archive.open_path.name]
    archive.close()
    archive.close()  # idempotent
    assert [p.name for p in directory.iterdir()] == [archive.path.name]
    with pytest.raises(ValueError, match="closed"):
        archive.write_page(sample_pages()[0])


def test_records_are_valid_for_warcio_itself(tmp_path: Path) -> None:
    pages = sample_pages()
    path, _ = write_archive(tmp_path, pages)
    with path.open("rb") as stream:
        records = list(_warcio_records(stream))
    assert [record["type"] for record in records] == [
        "warcinfo",
        "response",
        "response",
        "response",
    ]
    assert "software: scraper" in records[0]["payload"].decode()
    for page, record in zip(pages, records[1:], strict=True):
        assert record["uri"] == page.final_url
        assert record["date"] == page.fetched_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert record["requested"] == (page.url if page.url != page.final_url else None)
        assert record["payload"] == page.content
        assert record["http"]["content-length"] == str(len(page.content))
        assert "content-encoding" not in record["http"]
        assert "transfer-encoding" not in record["http"]
    assert records[1]["status"] == "200 OK"
    assert records[3]["status"] == "203 Non-Authoritative Information"
    assert records[1]["http"]["content-type"] == "text/html; charset=windows-1252"


def _warcio_records(stream: object) -> Iterator[dict[str, Any]]:
    # check_digests="raise": warcio recomputes the block and payload digests we wrote.
    for record in ArchiveIterator(stream, check_digests="raise"):
        http = record.http_headers
        yield {
            "type": record.rec_type,
            "uri": record.rec_headers.get_header("WARC-Target-URI"),
            "date": record.rec_headers.get_header("WARC-Date"),
            "requested": record.rec_headers.get_header("WARC-Scraper-Requested-URI"),
            "status": http.statusline if http else None,
            "http": {name.lower(): value for name, value in http.headers} if http else {},
            "payload": record.content_stream().read(),
        }


def test_a_killed_run_leaves_a_readable_open_file(archive: WarcArchive) -> None:
    pages = sample_pages()
    for page in pages[:2]:
        archive.write_page(page)
    # Nothing renamed yet: this is what a kill -9 at this point leaves behind.
    assert list(pages_from_warc(archive.open_path)) == [as_stored(p) for p in pages[:2]]


def test_disk_full_is_storage_full_and_the_file_stays_whole(
    archive: WarcArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, third = sample_pages()
    archive.write_page(first)
    size = archive.open_path.stat().st_size
    real_write_all = fsio.write_all

    def half_then_full(fd: int, data: bytes) -> None:
        real_write_all(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fsio, "write_all", half_then_full)
    with pytest.raises(WriteError) as caught:
        archive.write_page(second)
    assert (caught.value.code, caught.value.url) == ("storage_full", second.url)
    assert archive.open_path.stat().st_size == size  # the torn half was cut back off
    monkeypatch.setattr(fsio, "write_all", real_write_all)
    archive.write_page(third)
    assert list(pages_from_warc(archive.open_path)) == [as_stored(first), as_stored(third)]


def test_an_unwritable_directory_is_a_write_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(WriteError) as caught:
        WarcArchive(blocker, 1)
    assert caught.value.code == "write_error"


def test_naive_fetch_time_is_refused(archive: WarcArchive) -> None:
    page = dataclasses.replace(sample_pages()[0], fetched_at=datetime(2024, 5, 1))
    with pytest.raises(ValueError, match="timezone"):
        archive.write_page(page)
