"""The offline commands as users run them: learn a site's template, then scrape and extract
(from HTML files and from a crawl's WARC archive) apply it. Real subprocesses, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from scraper.extract.templates import host_key
from scraper.fetch import page_from_bytes
from scraper.write.warc import WarcArchive
from tests.extract import template_site as site


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scraper", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def save_site(folder: Path) -> list[Path]:
    folder.mkdir()
    paths = []
    for i in range(site.PAGES):
        path = folder / f"story-{i}.html"
        path.write_text(site.page_html(i), encoding="utf-8")
        paths.append(path)
    return paths


def config_with_store(tmp_path: Path) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(f"extract:\n  templates_path: {tmp_path / 'templates.sqlite'}\n")
    return config


def test_learn_then_scrape_drops_the_sites_own_chrome(tmp_path: Path) -> None:
    paths = save_site(tmp_path / "site")
    config = config_with_store(tmp_path)
    before = run("scrape", str(paths[0]), "--url", site.url(0), "--config", str(config))
    assert before.returncode == 0, before.stderr
    assert site.NOTICE in before.stdout  # the generic rules miss the site's own chrome
    assert site.RAIL_HEADING in before.stdout

    learned = run("learn", str(tmp_path / "site"), "--config", str(config))
    assert learned.returncode == 0, learned.stderr
    host = host_key(site.HOST)  # the store spells a host one way: "www." dropped
    assert f"template {host}:" in learned.stdout

    after = run("scrape", str(paths[0]), "--url", site.url(0), "--config", str(config), "--explain")
    assert after.returncode == 0, after.stderr
    assert site.NOTICE not in after.stdout
    assert site.RAIL_HEADING not in after.stdout
    assert site.story(0)[0] in after.stdout
    assert f"[template:{host}]" in after.stderr


def test_extract_re_reads_a_warc_archive(tmp_path: Path) -> None:
    fetched_at = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
    with WarcArchive(tmp_path / "warc", run_id=7) as archive:
        for i in (0, 1):
            html = site.page_html(i).encode("utf-8")
            headers = {"content-type": "text/html; charset=utf-8"}
            archive.write_page(
                page_from_bytes(html, site.url(i), headers=headers, fetched_at=fetched_at)
            )
    result = run("extract", str(tmp_path / "warc"), "--format", "json")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["url"] for r in records] == [site.url(0), site.url(1)]
    assert records[1]["title"] == site.headline(1)
    assert site.story(1)[0] in records[1]["text"]


def test_a_file_that_is_not_warc_is_a_usage_error(tmp_path: Path) -> None:
    bogus = tmp_path / "old.warc.gz"
    bogus.write_bytes(b"not an archive")
    result = run("extract", str(bogus))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(bogus) in result.stderr
