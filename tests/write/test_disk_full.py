"""Running out of space: a storage_full WriteError, and the previous good record intact.

Two real ways to run out: RLIMIT_FSIZE in a child process (writes past the limit fail with
EFBIG, SIGXFSZ ignored), and a tiny tmpfs (ENOSPC; needs permission to mount, else skipped).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from scraper.config import Format
from scraper.errors import WriteError
from scraper.write import open_writers
from tests.write.helpers import all_files, make_article, mounted_tmpfs, write_settings

REPO = Path(__file__).resolve().parents[2]
BIG_WORDS = 100_000  # ~500 KB of text, far past the limits below
BIG_TEXT = "word " * BIG_WORDS

_CHILD = textwrap.dedent(
    """
    import json, resource, signal, sys
    from pathlib import Path
    from scraper.errors import WriteError
    from scraper.write import open_writers
    from tests.write.helpers import make_article, write_settings

    out, fmt, limit, words = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    with open_writers(write_settings(out, fmt)) as sink:
        try:
            sink.write(make_article(text="word " * words))
        except WriteError as exc:
            print(json.dumps({"code": exc.code, "url": exc.url, "message": exc.message}))
        else:
            print(json.dumps({"code": None}))
    """
)


def _write_under_fsize_limit(out: Path, fmt: str, limit: int) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(out), fmt, str(limit), str(BIG_WORDS)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    outcome: dict[str, object] = json.loads(result.stdout)
    return outcome


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_file_past_size_limit_is_storage_full_and_old_file_intact(
    tmp_path: Path, fmt: Format
) -> None:
    with open_writers(write_settings(tmp_path, fmt)) as sink:
        (path,) = sink.write(make_article())
    before = path.read_bytes()
    outcome = _write_under_fsize_limit(tmp_path, fmt, limit=4096)
    assert outcome["code"] == "storage_full"
    assert outcome["url"] == make_article().url
    assert path.read_bytes() == before
    assert not [name for name in all_files(tmp_path) if ".tmp-" in name]


def test_jsonl_line_past_size_limit_is_cut_back_off(tmp_path: Path) -> None:
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        (path,) = sink.write(make_article())
    before = path.read_bytes()
    # Room for part of the new line: the kernel takes a short write, then refuses the rest.
    outcome = _write_under_fsize_limit(tmp_path, "jsonl", limit=len(before) + 1000)
    assert outcome["code"] == "storage_full"
    assert path.read_bytes() == before


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    with mounted_tmpfs(tmp_path / f"tiny-{uuid.uuid4().hex[:8]}", "256k") as mount_point:
        yield mount_point


def test_full_filesystem_is_storage_full_for_every_format(tiny_fs: Path) -> None:
    with open_writers(write_settings(tiny_fs, "sqlite", "text", "json", "jsonl")) as sink:
        good = sink.write(make_article())
    before = {path: path.read_bytes() for path in good if path.suffix != ".sqlite"}
    for fmt in ("sqlite", "text", "json", "jsonl"):
        with open_writers(write_settings(tiny_fs, fmt)) as sink:
            with pytest.raises(WriteError) as info:
                sink.write(make_article(text=BIG_TEXT))
            assert info.value.code == "storage_full", fmt
    assert {path: path.read_bytes() for path in before} == before
    assert not [name for name in all_files(tiny_fs) if ".tmp-" in name]
    conn = sqlite3.connect(tiny_fs / "articles.sqlite")
    try:
        texts = [row[0] for row in conn.execute("SELECT text FROM articles")]
        assert texts == [make_article().text]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
