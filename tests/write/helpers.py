"""Shared builders for the write-stage tests (also imported by subprocess scripts)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

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


@contextlib.contextmanager
def mounted_tmpfs(mount_point: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (mount's syntax: "64k") at ``mount_point``, a real full disk for
    the test; the test is skipped where mounting is not permitted (it needs CAP_SYS_ADMIN)."""
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs CAP_SYS_ADMIN): {mounted.stderr!r}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)
