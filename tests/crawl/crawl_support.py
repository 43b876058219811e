"""Builders shared by the crawl-loop tests: a small news site, scaled-down settings, readers of
the output, and the crawler run in-process or as the real CLI."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from scraper.config import Settings, settings_from_mapping
from scraper.crawl.runner import run_crawl
from scraper.crawl.stats import CrawlReport
from tests.crawl.sites import (
    RSS,
    XML,
    Route,
    Site,
    article_page,
    article_text,
    rss,
    section_page,
    sitemap_index,
    urlset,
)

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def story_path(n: int | str) -> str:
    return f"/news/2024/05/01/harbour-story-number-{n}"


@dataclass
class NewsSite:
    """Articles on one Site, listed by an RSS feed, a sitemap index and a section page."""

    site: Site
    paths: list[str] = field(default_factory=list)

    def add_article(self, n: int | str, *, version: int = 1, seed: Any = None) -> str:
        path = story_path(n)
        text = article_text(seed if seed is not None else f"{n}-{version}")
        page = article_page(f"Story {n} v{version}", text)
        self.site.routes[path] = Route(page, etag=f'"{n}-v{version}"')
        if path not in self.paths:
            self.paths.append(path)
        return path

    def list_all(self, dates: dict[str, datetime] | None = None) -> None:
        """Feed: the first third; sitemap index -> urlset: the second; section: the rest."""
        dates = dates or {}
        third = max(len(self.paths) // 3, 1)
        feed, mapped, section = (
            self.paths[:third],
            self.paths[third : 2 * third],
            self.paths[2 * third :],
        )
        url = self.site.url
        self.site.routes["/feed.xml"] = Route(
            rss([(url(p), dates.get(p, T0)) for p in feed]), content_type=RSS
        )
        self.site.routes["/sitemap.xml"] = Route(
            sitemap_index([url("/sitemap-news.xml")]), content_type=XML
        )
        self.site.routes["/sitemap-news.xml"] = Route(
            urlset([(url(p), dates.get(p, T0)) for p in mapped]), content_type=XML
        )
        self.site.routes["/world/"] = Route(section_page(section))

    def source(self, name: str = "news", **extra: Any) -> dict[str, Any]:
        url = self.site.url
        return {
            "name": name,
            "feeds": [url("/feed.xml")],
            "sitemaps": [url("/sitemap.xml")],
            "sections": [url("/world/")],
            **extra,
        }


def config(
    tmp_path: Path,
    sources: list[dict[str, Any]],
    *,
    formats: tuple[str, ...] = ("json", "jsonl"),
    **crawl: Any,
) -> dict[str, Any]:
    """A config mapping scaled down for tests: tiny delays and timeouts, one worker."""
    return {
        "fetch": {
            "connect_timeout": 2.0,
            "read_timeout": 2.0,
            "total_timeout": 5.0,
            "retries": 1,
            "backoff_initial": 0.01,
            "backoff_max": 0.05,
            "retry_after_max": 5.0,
            "allow_private_addresses": True,  # the test sites are on 127.0.0.x
        },
        "extract": {"templates_path": str(tmp_path / "state" / "templates.sqlite")},
        "write": {
            "output_dir": str(tmp_path / "out"),
            "formats": list(formats),
            "fsync": False,
        },
        "crawl": {
            "state_path": str(tmp_path / "state" / "crawl.sqlite"),
            "delay": 0.01,
            "delay_jitter": 0.0,
            "extract_workers": 1,
            "extract_timeout": 20.0,
            **crawl,
        },
        "sources": sources,
    }


def settings(tmp_path: Path, sources: list[dict[str, Any]], **crawl: Any) -> Settings:
    return settings_from_mapping(config(tmp_path, sources, **crawl))


def write_config(tmp_path: Path, sources: list[dict[str, Any]], **options: Any) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config(tmp_path, sources, **options)), encoding="utf-8")
    return path


def crawl(settings: Settings, **options: Any) -> CrawlReport:
    return asyncio.run(run_crawl(settings, **options))


def counts(report: CrawlReport, source: str | None = None) -> dict[str, int]:
    block = report.stats["totals"] if source is None else report.stats["sources"][source]
    return {key: value for key, value in block.items() if isinstance(value, int)}


def jsonl_records(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "out" / "articles.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def jsonl_lines_per_url(tmp_path: Path) -> Counter[str]:
    return Counter(record["url"] for record in jsonl_records(tmp_path))


def json_files(tmp_path: Path) -> dict[str, dict[str, Any]]:
    """Every JSON article file under the output, by the URL it holds (asserting one each)."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((tmp_path / "out").rglob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        assert record["url"] not in found, f"two files for {record['url']}"
        found[record["url"]] = record
    return found


def state_db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "crawl.sqlite"


def query(tmp_path: Path, sql: str, *params: Any) -> list[Any]:
    with closing(sqlite3.connect(state_db(tmp_path))) as conn:
        return conn.execute(sql, params).fetchall()


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scraper", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scraper", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
