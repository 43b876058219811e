"""WARC archive of the raw pages a crawl fetched, so a new extractor can be re-run over them.

One file per crawl run: ``crawl-<run_id:06d>-<UTC start>.warc.gz``, WARC/1.1, one gzip member
per record. While the run is writing, the file is named ``….warc.gz.open``; ``close`` renames it.
A run killed before that leaves the ``.open`` file behind: it holds only whole records (each is
written with one write call, and cut back off if that write fails), except possibly a torn last
record from the kill itself, which readers (``scraper.fetch.archive``) stop cleanly before.

Each page becomes one ``response`` record: an HTTP/1.1 status line, the page's headers and its
body as stored in the Page, i.e. already decoded from any Content-Encoding. The headers that
described the wire form (Content-Encoding, Transfer-Encoding, Content-Length) would lie about
the stored body, so they are replaced by a Content-Length of the stored body. No ``request``
record is written: the request headers are not part of a Page, and an invented request would
only look like evidence. Header values outside ASCII are %-encoded by warcio (RFC 8187 style).
"""

from __future__ import annotations

import contextlib
import io
import os
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from warcio.statusandheaders import StatusAndHeaders  # type: ignore[import-untyped]
from warcio.warcwriter import WARCWriter  # type: ignore[import-untyped]

from scraper.closing import Closing
from scraper.models import Page
from scraper.write import _storage_errors, fsio

__all__ = ["OPEN_SUFFIX", "REQUESTED_URI_HEADER", "WarcArchive"]

OPEN_SUFFIX = ".open"
REQUESTED_URI_HEADER = "WARC-Scraper-Requested-URI"
_WARC_VERSION = "1.1"
_WIRE_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def warc_date(moment: datetime) -> str:
    """WARC/1.1 date: UTC with microseconds, so a Page's fetched_at survives the round trip."""
    if moment.tzinfo is None:
        raise ValueError("fetched_at must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def stored_headers(page: Page) -> list[tuple[str, str]]:
    """The page's HTTP headers as they describe the stored (decoded) body."""
    kept = [
        (name, value) for name, value in page.headers.items() if name.lower() not in _WIRE_HEADERS
    ]
    return [*kept, ("Content-Length", str(len(page.content)))]


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"  # a status line needs some reason phrase


def _create(directory: Path, name: str) -> tuple[int, int]:
    """(directory fd, file fd) of a new file ``name``; the directory is made if missing."""
    directory.mkdir(parents=True, exist_ok=True)
    # Resolved first, as the output directory is: the user may point it through a symlink.
    dir_fd = fsio.open_dir(directory.resolve(strict=True))
    try:
        # O_EXCL: a second archive for the same run and second fails instead of clobbering.
        return dir_fd, os.open(name, _NEW_FILE_FLAGS, 0o666, dir_fd=dir_fd)
    except BaseException:
        os.close(dir_fd)
        raise


def _software() -> str:
    try:
        return f"scraper/{version('scraper')}"
    except PackageNotFoundError:
        return "scraper"


class WarcArchive(Closing):
    """Appends pages to this run's WARC file. Raises WriteError (code "storage_full" when the
    disk is full) when the file cannot be created, written or finished."""

    def __init__(self, directory: Path, run_id: int) -> None:
        started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.path = directory / f"crawl-{run_id:06d}-{started}.warc.gz"
        self.open_path = self.path.with_name(self.path.name + OPEN_SUFFIX)
        self._buffer = io.BytesIO()
        self._writer = WARCWriter(self._buffer, gzip=True, warc_version=_WARC_VERSION)
        self._closed = False
        with _storage_errors():
            self._dir_fd, self._fd = _create(directory, self.open_path.name)
        info = {"software": _software(), "format": "WARC File Format 1.1", "run-id": str(run_id)}
        try:
            self._append(self._writer.create_warcinfo_record(self.path.name, info), None)
        except BaseException:
            self._abandon()
            raise

    def write_page(self, page: Page) -> None:
        """Append one ``response`` record for ``page.final_url``."""
        warc_headers = {"WARC-Date": warc_date(page.fetched_at)}
        if page.url != page.final_url:
            warc_headers[REQUESTED_URI_HEADER] = page.url
        http_headers = StatusAndHeaders(
            _status_line(page.status), stored_headers(page), protocol="HTTP/1.1"
        )
        record = self._writer.create_warc_record(
            page.final_url,
            "response",
            payload=io.BytesIO(page.content),
            length=len(page.content),
            http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )
        self._append(record, page.url)

    def _append(self, record: Any, url: str | None) -> None:
        if self._closed:
            raise ValueError(f"WARC archive {self.path} is closed")
        # The whole gzip member is built in memory first, so the file only ever grows by whole
        # records: a failed write is cut back off and the file stays readable to the end.
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.write_record(record)
        with _storage_errors(url):
            start = os.lseek(self._fd, 0, os.SEEK_END)
            try:
                fsio.write_all(self._fd, self._buffer.getvalue())
            except BaseException:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, start)
                raise

    def _abandon(self) -> None:
        """Undo a half-made archive (its warcinfo record could not be written)."""
        self._closed = True
        os.close(self._fd)
        with contextlib.suppress(OSError):
            os.unlink(self.open_path.name, dir_fd=self._dir_fd)
        os.close(self._dir_fd)

    def close(self) -> None:
        """Make the file durable and give it its final name. Calling it again does nothing."""
        if self._closed:
            return
        self._closed = True
        with _storage_errors():
            try:
                try:
                    os.fsync(self._fd)
                finally:
                    os.close(self._fd)
                # Renamed only once durable: the final name promises a finished archive.
                os.replace(
                    self.open_path.name,
                    self.path.name,
                    src_dir_fd=self._dir_fd,
                    dst_dir_fd=self._dir_fd,
                )
                os.fsync(self._dir_fd)
            finally:
                os.close(self._dir_fd)
