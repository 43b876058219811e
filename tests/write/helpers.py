"""Shared builders for the write-stage tests (also imported by subprocess scripts)."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scraper.config import Format, WriteSettings
from scraper.models import Article

CANONICAL = "https://news.example.com/2024/05/rain-falls"


def make_article(**overrides: Any) -> Article:
    fields: dict[str, Any] = {
        "url": CANONICAL + "?utm_source=feed",
        "final_url": CANONICAL + "?amp=0",
        "canonical_url": CANONICAL,
        "title": "Rain falls on the plain",
        "authors": ("Ann Smith", "Bo Li"),
        "published": "2024-05-01T10:00:00+00:00",
        "language": "en",
        "site_name": "Example News",
        "tags": ("weather", "spain"),
        "text": "First paragraph.\n\nSecond paragraph.",
        "fetched_at": datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        "extractor_version": "test-1",
    }
    fields.update(overrides)
    return Article(**fields)


def write_settings(output_dir: Path, *formats: Format, **extra: Any) -> WriteSettings:
    return WriteSettings(output_dir=output_dir, formats=formats or ("text", "json"), **extra)


def sha(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def all_files(root: Path) -> set[str]:
    """Every non-directory entry under root (symlinks not followed), relative to root."""
    found: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        links = [name for name in dirnames if Path(dirpath, name).is_symlink()]
        for name in [*filenames, *links]:
            found.add(Path(dirpath, name).relative_to(root).as_posix())
    return found
