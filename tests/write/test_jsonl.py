"""The jsonl format: one record per line, torn tails cut on reopen, symlinks refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scraper.errors import WriteError
from scraper.write import open_writers
from tests.write.helpers import make_article, write_settings


def _records(path: Path) -> list[dict[str, object]]:
    data = path.read_bytes().decode("utf-8")
    assert data.endswith("\n")
    return [json.loads(line) for line in data.splitlines()]


def test_each_article_is_one_appended_line(tmp_path: Path) -> None:
    first, second = make_article(), make_article(title="Another", canonical_url="https://x.test/2")
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        assert sink.write(first) == [tmp_path.resolve() / "articles.jsonl"]
        sink.write(second)
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        sink.write(first)  # re-scrape: a newer line, the log keeps history
    assert _records(tmp_path / "articles.jsonl") == [
        first.to_dict(),
        second.to_dict(),
        first.to_dict(),
    ]


def test_line_separators_in_text_do_not_split_a_record(tmp_path: Path) -> None:
    article = make_article(text="one\u2028two\x85three\u2029four\nfive\x00six")
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        (path,) = sink.write(article)
        sink.write(article)
    records = _records(path)  # str.splitlines() breaks on U+2028, U+0085 and U+2029 too
    assert [record["text"] for record in records] == [article.text, article.text]


def test_partial_last_line_is_truncated_on_reopen(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        sink.write(make_article())
        sink.write(make_article(title="Two"))
    good = path.read_bytes()
    with path.open("ab") as handle:  # what a crash mid-write leaves behind
        handle.write(b'{"url": "https://news.example.com/half", "text": "cut off he')
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        assert path.read_bytes() == good
        sink.write(make_article(title="Three"))
    assert [record["title"] for record in _records(path)] == [
        "Rain falls on the plain",
        "Two",
        "Three",
    ]


@pytest.mark.parametrize("tail", [b"{", b"x" * 200_000, "\u00e9".encode()[:1]])
def test_file_holding_only_a_partial_line_becomes_empty(tmp_path: Path, tail: bytes) -> None:
    path = tmp_path / "articles.jsonl"
    path.write_bytes(tail)
    with open_writers(write_settings(tmp_path, "jsonl")):
        pass
    assert path.read_bytes() == b""


def test_long_partial_line_after_good_lines_is_cut_at_the_last_newline(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    good = b'{"n":1}\n' * 3
    path.write_bytes(good + b'{"n":' + b"9" * 300_000)  # spans several backward reads
    with open_writers(write_settings(tmp_path, "jsonl")):
        pass
    assert path.read_bytes() == good


def test_file_name_is_configurable(tmp_path: Path) -> None:
    settings = write_settings(tmp_path, "jsonl", jsonl_name="crawl-2024.jsonl")
    with open_writers(settings) as sink:
        (path,) = sink.write(make_article())
    assert path == tmp_path.resolve() / "crawl-2024.jsonl"
    assert len(_records(path)) == 1


def test_symlink_in_place_of_the_log_is_refused(tmp_path: Path) -> None:
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    (out / "articles.jsonl").symlink_to(sentinel)
    with (
        pytest.raises(WriteError, match="symlink") as info,
        open_writers(write_settings(out, "jsonl")),
    ):
        pass
    assert info.value.code == "write_error"
    assert sentinel.read_text() == "keep me"
