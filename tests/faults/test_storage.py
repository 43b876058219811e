"""Section F, storage faults (reliability.md 36, 39): hostile names and planted symlinks, and
running out of space four ways. Every crawl is the real CLI (or the crash driver, the real CLI
with one fault planted) in its own process, against HostileServer hosts on 127.0.0.x."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import resource
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from tests.crawl.sites import article_text, urlset
from tests.faults.conftest import FaultRecorder
from tests.faults.crawl_hosts import (
    ROBOTS,
    Crawler,
    Finished,
    Inventory,
    NewsHost,
    crawl_cli,
    fault_config,
    integrity,
    sqlite_rows,
)
from tests.faults.hostile import HostileServer, Request, respond
from tests.write.helpers import mounted_tmpfs

# -- 36: path traversal ---------------------------------------------------------------------

# Served without a title, so the file name can only come from the URL.
HOSTILE_PATHS = (
    "/news/../../etc/passwd",
    "/news/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/news/..%5c..%5cwindows%5cwin.ini",
    "/etc/passwd",
    "/news/evil%00.html",
    "/news/%EF%BC%8E%EF%BC%8E%EF%BC%8F%EF%BC%8E%EF%BC%8E%EF%BC%8Fetc",  # ．．／．．／etc
    "/news/" + "x" * 300,
    "/news/CON",
    "/news/a.html",
    "/news/A.html",
)
HOSTILE_TITLES = {
    "/news/t1": "../../etc/passwd",
    "/news/t2": "．．／．．／etc／shadow",
    "/news/t3": "CON",
    "/news/t4": "/" + "a" * 300 + "\x00.html",
}
# Same-host canonical URLs (trusted, so they name the files), as tricky as a page may write.
# None names another page of the site: that would declare the two one article, by design.
HOSTILE_CANONICALS = {
    "/news/c1": "/news/..%2f..%2fetc%2fshadow%00",
    "/news/c2": "/../../../etc/group",
    "/news/c3": "/etc/hosts/",
}
NAME = re.compile(r"^(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)-(?P<hash>[0-9a-f]{16})\.(?:txt|json)$")


def _page(seed: str, title: str | None, canonical: str | None) -> bytes:
    head = f"<title>{escape(title)}</title>" if title else ""
    head += f'<link rel="canonical" href="{escape(canonical)}">' if canonical else ""
    heading = f"<h1>{escape(title)}</h1>" if title else ""
    body = "".join(f"<p>{escape(text)}</p>" for text in article_text(seed))
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>{head}</head><body>"
        f"<main><article>{heading}{body}</article></main></body></html>"
    ).encode()


def _site(server: HostileServer, pages: dict[str, tuple[str | None, str | None]]) -> None:
    """Serve robots.txt, a sitemap of ``pages`` and an article for any other path: the title
    and canonical of ``pages[path]`` if listed, else none (the path decides the text)."""
    listed = [server.url(path) for path in pages]

    async def answer(request: Request, writer: asyncio.StreamWriter) -> None:
        if request.path == "/robots.txt":
            handler = respond(ROBOTS, headers=[("Content-Type", "text/plain")])
        elif request.path == "/sitemap.xml":
            body = urlset((url, None) for url in listed)
            handler = respond(body, headers=[("Content-Type", "application/xml")])
        else:
            title, canonical = pages.get(request.target, (None, None))
            handler = respond(_page(server.host + request.target, title, canonical))
        await handler(request, writer)

    server.fallback = answer


def _key(record: dict[str, object]) -> str:
    """The key the output must use: a canonical URL on the page's own host, else the page."""
    final, canonical = str(record["final_url"]), record["canonical_url"]
    same_host = isinstance(canonical, str) and canonical.split("/")[2] == final.split("/")[2]
    return str(canonical) if same_host else final


def _sha(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def _plant(out: Path, outside: Path, victims: dict[str, str]) -> list[Path]:
    """A symlink in place of the shard directory of one victim, and in place of the .json file
    of the other, both pointing outside the output directory."""
    dir_url, file_url = victims["dir"], victims["file"]
    shard_link = out / _sha(dir_url)[:2]
    shard_link.symlink_to(outside, target_is_directory=True)
    digest = _sha(file_url)
    leaf = out / digest[:2] / digest[2:4]
    leaf.mkdir(parents=True)
    file_link = leaf / f"victim-three-{digest[:16]}.json"
    file_link.symlink_to(outside / "passwd")
    return [shard_link, file_link]


def _files_under(root: Path) -> list[Path]:
    """Every non-directory under ``root``, symlinks not followed."""
    found = []
    for directory, dirs, files in os.walk(root):
        found += [Path(directory, name) for name in files]
        found += [Path(directory, name) for name in dirs if Path(directory, name).is_symlink()]
    return found


def test_hostile_urls_titles_canonicals_and_planted_symlinks_stay_inside(
    fault: FaultRecorder, tmp_path: Path
) -> None:
    fault.case(
        36,
        "path traversal, planted symlinks",
        expected="all inside out_dir, hash+slug names, nothing overwritten, symlinks refused",
    )
    out, outside = tmp_path / "out", tmp_path / "outside"
    outside.mkdir()
    sentinel = outside / "passwd"
    sentinel.write_text("root:x:0:0:root:/root:/bin/sh\n")
    before = sentinel.stat()
    with HostileServer("127.0.0.1") as home, HostileServer("127.0.0.2") as other:
        victim = "/news/victim"
        pages: dict[str, tuple[str | None, str | None]] = dict.fromkeys(HOSTILE_PATHS, (None, None))
        pages |= {path: (title, None) for path, title in HOSTILE_TITLES.items()}
        pages |= {path: (None, canonical) for path, canonical in HOSTILE_CANONICALS.items()}
        pages |= {victim: ("Victim", None), "/news/victim-dir": ("Victim two", None)}
        pages["/news/victim-file"] = ("Victim three", None)
        _site(home, pages)
        # A page of another site claiming the victim's URL as its canonical.
        _site(other, {"/news/impostor": ("Impostor", home.url(victim))})
        sources = [
            {"name": name, "sitemaps": [server.url("/sitemap.xml")]}
            for name, server in (("home", home), ("other", other))
        ]
        cfg = fault_config(tmp_path, sources)
        out.mkdir()
        victims = {"dir": home.url("/news/victim-dir"), "file": home.url("/news/victim-file")}
        links = _plant(out, outside, victims)
        runs: list[Finished] = []
        while len(runs) < 4:
            runs.append(crawl_cli(tmp_path, cfg).wait())
            fault.child_peak(runs[-1].peak_kib)
            if runs[-1].code != 74:
                break
            (line,) = runs[-1].error_lines()
            named = [link for link in links if str(link) in line]
            assert line.startswith("error: unsafe_path: ") and len(named) == 1, line
            assert sentinel.read_bytes() == b"root:x:0:0:root:/root:/bin/sh\n"
            named[0].unlink()  # what the operator does once told which link it is
        asked = {other.url(r.target) for r in other.requests} | {
            home.url(r.target) for r in home.requests
        }

    assert [run.code for run in runs] == [74, 74, 0], runs[-1].stderr
    records = [json.loads(p.read_bytes()) for p in out.rglob("*.json")]
    keys = [_key(record) for record in records]
    assert len(keys) == len(set(keys))  # one file per key: nothing overwrote anything
    # Every page got its own article: home's pages, less ../../etc/passwd (which is
    # /etc/passwd once normalised), plus the impostor.
    assert len(records) == len(pages) - 1 + 1
    assert {r["url"] for r in records} == {u for u in asked if "/news/" in u or "/etc/" in u}
    root = out.resolve()
    for path in _files_under(out):
        assert path.resolve().is_relative_to(root), path
        assert not path.is_symlink(), path
        if path.suffix in (".txt", ".json"):
            match = NAME.match(path.name)
            assert match and len(match["slug"]) <= 80, path.name
            digest = _sha(_key(json.loads(path.with_suffix(".json").read_bytes())))
            assert path.parent.relative_to(root).parts == (digest[:2], digest[2:4])
            assert match["hash"] == digest[:16]
    by_url = {record["url"]: record for record in records}
    lower, upper = by_url[home.url("/news/a.html")], by_url[home.url("/news/A.html")]
    assert lower["text"] != upper["text"]  # a.html and A.html: two articles, both kept
    assert _key(by_url[other.url("/news/impostor")]) == other.url("/news/impostor")
    rows = dict(sqlite_rows(out / "articles.sqlite", "SELECT key_url, title FROM articles"))
    assert rows[home.url(victim)] == "Victim"  # the impostor did not overwrite it
    assert len(rows) == len(records)
    assert sorted(p.name for p in outside.iterdir()) == ["passwd"]
    assert sentinel.stat().st_mtime_ns == before.st_mtime_ns
    assert sentinel.read_bytes() == b"root:x:0:0:root:/root:/bin/sh\n"
    fault.observed(
        f"{len(records)} articles in {len(records) * 2} files, all inside, names <= 80+16; "
        "a.html/A.html both kept; impostor keyed by its own URL; each planted symlink "
        "stopped a run (exit 74 unsafe_path, named), sentinel untouched"
    )


# -- 39: disk full ----------------------------------------------------------------------------


@pytest.fixture
def two_hosts() -> Iterator[list[NewsHost]]:
    with HostileServer("127.0.0.1") as one, HostileServer("127.0.0.2") as two:
        yield [NewsHost(one, 15), NewsHost(two, 15)]


def _all(hosts: list[NewsHost]) -> set[str]:
    return hosts[0].urls() | hosts[1].urls()


def _config(tmp_path: Path, hosts: list[NewsHost], **write: object) -> Path:
    sources = [host.source(f"h{n}") for n, host in enumerate(hosts)]
    return fault_config(tmp_path, sources, write=write)


def _file_size_limit(limit: int) -> Callable[[], None]:
    def limit_files() -> None:  # runs in the child, between fork and exec
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_files


def _check_full_run(full: Finished, tmp_path: Path, hosts: list[NewsHost]) -> Inventory:
    """What a run that ran out of space must leave: a one-line storage_full error, exit 74,
    nothing half-written, and no URL past the frontier that was not saved."""
    assert full.code == 74, full.stderr
    assert "Traceback" not in full.stderr
    (line,) = full.error_lines()
    assert line.startswith("error: storage_full: "), line
    left = Inventory.read(tmp_path)
    left.assert_saved_or_queued()
    assert left.temp_files == []
    assert not left.torn_jsonl_tail
    assert left.state_pending == _all(hosts) - left.state_done  # nothing else given up
    if (tmp_path / "out" / "articles.sqlite").exists():
        assert integrity(tmp_path / "out" / "articles.sqlite") == "ok"
    return left


def _rerun_with_space(tmp_path: Path, cfg: Path, hosts: list[NewsHost]) -> Finished:
    again = crawl_cli(tmp_path, cfg).wait()
    assert again.code == 0, again.stderr
    Inventory.read(tmp_path).assert_each_once(_all(hosts))
    return again


def _observed(method: str, full: Finished, left: Inventory, again: Finished) -> str:
    return (
        f"{method}: exit {full.code}, '{full.error_lines()[0][:58]}...'; {len(left.state_done)} "
        f"saved ({len(left.outbox)} in the outbox), rest queued; rerun exit {again.code}, "
        "30 once"
    )


def test_file_size_limit_on_the_crawl_is_storage_full_and_loses_nothing(
    fault: FaultRecorder, tmp_path: Path, two_hosts: list[NewsHost]
) -> None:
    fault.case(39, "disk full: RLIMIT_FSIZE (EFBIG)", expected="storage_full, exit 74, rerun whole")
    cfg = _config(tmp_path, two_hosts)

    full = crawl_cli(tmp_path, cfg, preexec_fn=_file_size_limit(1 << 20)).wait()
    fault.child_peak(full.peak_kib)
    left = _check_full_run(full, tmp_path, two_hosts)
    again = _rerun_with_space(tmp_path, cfg, two_hosts)

    assert left.state_done, "the limit came before any article was saved"
    fault.observed(_observed("EFBIG", full, left, again))


def test_sqlite_page_cap_on_the_output_is_storage_full_and_loses_nothing(
    fault: FaultRecorder, tmp_path: Path, two_hosts: list[NewsHost]
) -> None:
    fault.case(
        39, "disk full: SQLite max_page_count", expected="storage_full, exit 74, rerun whole"
    )
    cfg = _config(tmp_path, two_hosts)

    capped = ("page-cap", "articles.sqlite", "6")
    full = Crawler(tmp_path, str(cfg), *capped, module="tests.crawl.crash_driver").wait()
    fault.child_peak(full.peak_kib)
    left = _check_full_run(full, tmp_path, two_hosts)
    again = _rerun_with_space(tmp_path, cfg, two_hosts)

    assert "database or disk is full" in full.stderr
    assert left.outbox, "the article the database refused waits in the outbox"
    fault.observed(_observed("SQLITE_FULL", full, left, again))


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs as the output directory (we run as root here; skipped where mounting
    is not permitted)."""
    with mounted_tmpfs(tmp_path / "out", "64k") as mount_point:
        yield mount_point


def test_full_tmpfs_is_storage_full_and_a_bigger_one_loses_nothing(
    fault: FaultRecorder, tmp_path: Path, tiny_tmpfs: Path, two_hosts: list[NewsHost]
) -> None:
    fault.case(
        39, "disk full: 64 KiB tmpfs (ENOSPC)", expected="storage_full, exit 74, rerun whole"
    )
    # Files and JSONL only: SQLite's WAL index alone would fill 64 KiB before any article.
    cfg = _config(tmp_path, two_hosts, formats=["text", "json", "jsonl"])

    full = crawl_cli(tmp_path, cfg).wait()
    fault.child_peak(full.peak_kib)
    left = _check_full_run(full, tmp_path, two_hosts)
    subprocess.run(["mount", "-o", "remount,size=4m", str(tiny_tmpfs)], check=True)
    again = crawl_cli(tmp_path, cfg).wait()
    fault.child_peak(again.peak_kib)

    assert again.code == 0, again.stderr
    after = Inventory.read(tmp_path)
    once = dict.fromkeys(_all(two_hosts), 1)
    assert (after.jsonl, after.json_files, after.text_files) == (once, once, len(once))
    assert after.temp_files == [] and after.outbox == set()
    assert "No space left on device" in full.stderr
    fault.observed(_observed("ENOSPC", full, left, again))


def test_dev_full_symlinked_as_the_jsonl_file_is_refused_before_any_fetch(
    fault: FaultRecorder, tmp_path: Path, two_hosts: list[NewsHost]
) -> None:
    fault.case(
        39,
        "disk full: /dev/full as JSONL (symlink)",
        expected="refused like any planted symlink (case 36): exit 74, nothing fetched",
    )
    cfg = _config(tmp_path, two_hosts)
    out = tmp_path / "out"
    out.mkdir()
    (out / "articles.jsonl").symlink_to("/dev/full")

    refused = crawl_cli(tmp_path, cfg).wait()
    fault.child_peak(refused.peak_kib)
    asked = sum(len(host.server.requests) for host in two_hosts)
    (out / "articles.jsonl").unlink()
    _rerun_with_space(tmp_path, cfg, two_hosts)

    assert refused.code == 74
    assert asked == 0  # the output is opened before anything is fetched
    (line,) = refused.error_lines()
    assert line.startswith("error: unsafe_path: ") and "articles.jsonl" in line, line
    fault.observed(f"exit 74 '{line[:70]}...'; rerun without the link: 30 once")
