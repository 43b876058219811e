"""The sqlite format: schema, upsert by canonical URL, WAL, and a full database."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scraper.errors import WriteError
from scraper.write import open_writers
from scraper.write.sqlite import SqliteWriter
from tests.write.helpers import CANONICAL, make_article, write_settings


@contextlib.contextmanager
def _db(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


def _rows(path: Path) -> list[dict[str, Any]]:
    with _db(path) as conn:
        return [dict(row) for row in conn.execute("SELECT * FROM articles ORDER BY key_url")]


def _integrity(path: Path) -> str:
    with _db(path) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def test_one_column_per_article_key_plus_the_primary_key(tmp_path: Path) -> None:
    with open_writers(write_settings(tmp_path, "sqlite")) as sink:
        (path,) = sink.write(make_article())
    with _db(path) as conn:
        info = conn.execute("PRAGMA table_info(articles)").fetchall()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert [row["name"] for row in info] == ["key_url", *make_article().to_dict()]
    assert [row["name"] for row in info if row["pk"]] == ["key_url"]
    assert mode == "wal"


def test_row_holds_every_value_with_lists_as_json(tmp_path: Path) -> None:
    article = make_article()
    with open_writers(write_settings(tmp_path, "sqlite")) as sink:
        (path,) = sink.write(article)
    (row,) = _rows(path)
    assert row.pop("key_url") == CANONICAL
    assert json.loads(row["authors"]) == list(article.authors)
    assert json.loads(row["tags"]) == list(article.tags)
    for name in ("authors", "tags", "quality_reasons"):
        row[name] = json.loads(row[name])
    assert row == article.to_dict()


def test_an_older_database_gains_the_new_columns(tmp_path: Path) -> None:
    article = make_article()
    with open_writers(write_settings(tmp_path, "sqlite")) as sink:
        (path,) = sink.write(article)
    with contextlib.closing(sqlite3.connect(path)) as conn:  # as written by version 0.1.0
        conn.execute("ALTER TABLE articles DROP COLUMN quality")
        conn.execute("ALTER TABLE articles DROP COLUMN quality_reasons")
        conn.commit()
    with open_writers(write_settings(tmp_path, "sqlite")) as sink:
        sink.write(article)
    (row,) = _rows(path)
    assert row["quality"] == article.quality
    assert row["text"] == article.text


def test_rescrape_updates_the_row_keyed_by_canonical_url(tmp_path: Path) -> None:
    first = make_article(url="https://m.example.com/rain?ref=a")
    second = make_article(url="https://example.com/amp/rain", text="Corrected.", title="New")
    with open_writers(write_settings(tmp_path, "sqlite")) as sink:
        (path,) = sink.write(first)
        sink.write(second)
    (row,) = _rows(path)
    assert (row["url"], row["title"], row["text"]) == (second.url, "New", "Corrected.")
    assert _integrity(path) == "ok"


def test_without_canonical_the_final_url_is_the_key(tmp_path: Path) -> None:
    final = "https://example.com/story"
    with open_writers(write_settings(tmp_path, "sqlite", sqlite_name="out.db")) as sink:
        (path,) = sink.write(
            make_article(url="https://t.co/x", final_url=final, canonical_url=None)
        )
        sink.write(make_article(url="https://bit.ly/y", final_url=final, canonical_url=None))
        sink.write(make_article(canonical_url="https://example.com/other"))
    assert path.name == "out.db"
    assert [row["key_url"] for row in _rows(path)] == ["https://example.com/other", final]


def test_unencodable_text_is_stored_not_crashed_on(tmp_path: Path) -> None:
    with open_writers(write_settings(tmp_path, "sqlite")) as sink:
        (path,) = sink.write(make_article(text="bad \udcff byte", title="nul\x00inside"))
    (row,) = _rows(path)
    assert (row["text"], row["title"]) == ("bad \ufffd byte", "nul\x00inside")


def _cap_pages(writer: object) -> None:
    # The page cap is a per-connection setting, so it has to go on the writer's own connection.
    assert isinstance(writer, SqliteWriter)
    conn: sqlite3.Connection = writer._conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")


def test_full_database_is_storage_full_and_keeps_the_old_row(tmp_path: Path) -> None:
    old = make_article()
    big_update = make_article(text="word " * 100_000)
    big_new = make_article(canonical_url="https://example.com/new", text="word " * 100_000)
    with open_writers(write_settings(tmp_path, "sqlite")) as sink:
        (path,) = sink.write(old)
        _cap_pages(sink.writers[0])
        for article in (big_update, big_new):
            with pytest.raises(WriteError) as info:
                sink.write(article)
            assert (info.value.code, info.value.url) == ("storage_full", article.url)
        assert [row["text"] for row in _rows(path)] == [old.text]
        sink.write(make_article(text="Short again."))  # the connection is still usable
    (row,) = _rows(path)
    assert row["text"] == "Short again."
    assert _integrity(path) == "ok"


def test_symlinked_database_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.sqlite"
    out = tmp_path / "out"
    out.mkdir()
    (out / "articles.sqlite").symlink_to(outside)
    with pytest.raises(WriteError, match="symlink"), open_writers(write_settings(out, "sqlite")):
        pass
    assert not outside.exists()
