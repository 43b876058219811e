"""config.yaml -> Settings. Defaults live here and only here; unknown keys are errors.

Settings are loaded once (by the CLI, or by the caller of the Python API) and passed down
explicitly; no module keeps a settings object of its own.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from scraper.errors import ConfigError

MiB = 1024 * 1024


def _compiles(patterns: tuple[str, ...]) -> tuple[str, ...]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc
    return patterns


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FetchSettings(_Section):
    user_agent: str = "scraper/0.1 (news article extractor; +https://pypi.org/project/scraper/)"
    connect_timeout: float = Field(10.0, gt=0)
    read_timeout: float = Field(20.0, gt=0)
    write_timeout: float = Field(10.0, gt=0)
    pool_timeout: float = Field(10.0, gt=0)
    total_timeout: float = Field(60.0, gt=0, description="deadline for one fetch, all phases")
    max_body_bytes: int = Field(10 * MiB, gt=0, description="cap on wire and decoded size")
    max_redirects: int = Field(5, ge=0)
    retries: int = Field(2, ge=0, description="extra attempts after the first")
    backoff_initial: float = Field(2.0, ge=0)
    backoff_max: float = Field(60.0, ge=0)
    retry_after_max: float = Field(300.0, ge=0)
    retry_statuses: tuple[int, ...] = (408, 429, 500, 502, 503, 504, 522, 524)
    verify_tls: bool = True
    allow_private_addresses: bool = Field(
        False, description="crawls may reach loopback, private and link-local addresses"
    )


class ExtractSettings(_Section):
    include_tables: bool = True
    min_words: int = Field(25, ge=0, description="fewer body words than this is NoContentError")
    fix_mojibake: bool = True
    templates_path: Path = Field(
        Path("state/templates.sqlite"), description="learned site templates (SQLite, WAL)"
    )


class SiteRules(_Section):
    """Extra rules for one domain (and its subdomains)."""

    remove: tuple[str, ...] = Field((), description="CSS selectors dropped before extraction")
    body: str | None = Field(None, description="CSS selector of the article body, if known")
    drop_text: tuple[str, ...] = Field((), description="regexes; matching paragraphs are dropped")

    _check_drop_text = field_validator("drop_text")(_compiles)


Format = Literal["text", "json", "jsonl", "sqlite"]


class WriteSettings(_Section):
    output_dir: Path | None = None
    formats: tuple[Format, ...] = ("text", "json")
    # Bare file names inside output_dir: no separators, no "..", no leading dot (dot names are
    # the writer's own lock and temp files).
    jsonl_name: str = Field(default="articles.jsonl", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    sqlite_name: str = Field(
        default="articles.sqlite", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
    )
    fsync: bool = Field(
        default=True, description="fsync files and directories (off: faster, not durable)"
    )


class CrawlSettings(_Section):
    """How `scraper crawl` behaves across every source: politeness, budgets, state."""

    state_path: Path = Field(Path("state/crawl.sqlite"), description="SQLite crawl state (WAL)")
    per_host_concurrency: int = Field(1, ge=1, le=16)
    concurrency: int = Field(8, ge=1, le=256, description="requests in flight over all hosts")
    delay: float = Field(2.0, ge=0, description="seconds between requests to one host")
    delay_jitter: float = Field(0.5, ge=0, le=1, description="extra random share of the delay")
    obey_robots: bool = True
    robots_max_bytes: int = Field(512 * 1024, gt=0)
    robots_cache_hours: float = Field(24.0, gt=0)
    robots_error_cache_hours: float = Field(1.0, gt=0)
    max_crawl_delay: float = Field(30.0, ge=0, description="a longer Crawl-delay skips the host")
    host_failure_limit: int = Field(5, ge=1, description="consecutive failures drop the host")
    url_failure_limit: int = Field(3, ge=1, description="runs a URL may fail in before giving up")
    max_pages: int | None = Field(None, ge=1, description="pages fetched per run, all sources")
    max_pages_per_host: int = Field(1000, ge=1, description="pages fetched per run from one host")
    max_time: float | None = Field(None, gt=0, description="seconds before a run checkpoints")
    max_age_days: float | None = Field(None, gt=0, description="skip items dated older")
    # Discovery caps (reliability.md E): a feed or sitemap is untrusted input of any size.
    max_document_bytes: int = Field(
        50 * MiB, gt=0, description="a feed or sitemap: bytes fetched, and bytes after gunzip"
    )
    max_feed_items: int = Field(1000, ge=1, description="items read from one feed")
    max_sitemap_urls: int = Field(50_000, ge=1, description="URLs kept from one sitemap")
    max_sitemaps_per_host: int = Field(100, ge=1, description="sitemaps fetched per host per run")
    max_sitemap_depth: int = Field(2, ge=0, description="index levels followed below a sitemap")
    extract_workers: int = Field(0, ge=0, description="extraction processes; 0 = one per core")
    extract_timeout: float = Field(30.0, gt=0, description="seconds one page may take")
    warc_dir: Path | None = Field(None, description="archive raw responses as WARC here")
    # Copies measured 0.79-0.90, different stories on one topic sharing boilerplate 0.06-0.10.
    near_duplicate_overlap: float = Field(
        0.5, ge=0, le=1, description="share of word 3-shingles a copy shares with its story"
    )


class SourceSettings(_Section):
    """One site or feed group to crawl."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    start_urls: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    sections: tuple[str, ...] = Field((), description="pages whose article links are followed")
    allow: tuple[str, ...] = Field((), description="regexes; if any, a URL must match one")
    deny: tuple[str, ...] = Field((), description="regexes; a matching URL is skipped")
    max_pages: int = Field(1000, ge=1, description="pages fetched per run for this source")
    max_age_days: float | None = Field(None, gt=0)
    rules: SiteRules = SiteRules()

    _check_patterns = field_validator("allow", "deny")(_compiles)


class Settings(_Section):
    fetch: FetchSettings = FetchSettings()
    extract: ExtractSettings = ExtractSettings()
    write: WriteSettings = WriteSettings()
    crawl: CrawlSettings = CrawlSettings()
    sources: tuple[SourceSettings, ...] = ()
    sites: dict[str, SiteRules] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_source_names(self) -> Settings:
        names = [source.name for source in self.sources]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"sources: duplicate name(s) {', '.join(duplicates)}")
        return self

    def site_rules(self, host: str) -> SiteRules | None:
        """The rules for ``host``: an exact domain entry, else the nearest parent domain."""
        host = host.lower().rstrip(".")
        while host:
            if host in self.sites:
                return self.sites[host]
            _, _, host = host.partition(".")
        return None


def load_settings(path: Path | str | None = None) -> Settings:
    """Read config.yaml (or nothing: defaults). Raises ConfigError naming the bad key."""
    if path is None:
        return Settings()
    # Imported here: extraction workers unpickle these models (scraper.crawl.pool) but never
    # read a config file.
    import yaml

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"config {path} is not valid YAML: {exc}") from exc
    return settings_from_mapping(raw or {}, source=str(path))


def settings_from_mapping(raw: Any, *, source: str = "config") -> Settings:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: top level must be a mapping of sections")
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise ConfigError(f"{source}: {key}: {first['msg']}") from exc
