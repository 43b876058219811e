"""The jsonl format: one record per line, torn tails cut on reopen, symlinks refused, and
re-writing an article already logged with the same content appends nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraper.errors import WriteError
from scraper.write import open_writers
from scraper.write.encode import jsonl_line
from tests.write.helpers import CANONICAL, make_article, write_settings


def _records(path: Path) -> list[dict[str, object]]:
    data = path.read_bytes().decode("utf-8")
    assert data.endswith("\n")
    return [json.loads(line) for line in data.splitlines()]


def test_each_article_is_one_appended_line(tmp_path: Path) -> None:
    first, second = (
        make_article(),
        make_article(title="Another", canonical_url="https://news.example.com/x/2"),
    )
    revised = make_article(text="First paragraph, corrected.\n\nSecond paragraph.")
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        assert sink.write(first) == [tmp_path.resolve() / "articles.jsonl"]
        sink.write(second)
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        sink.write(revised)  # re-scrape with new text: a newer line, the log keeps history
    assert _records(tmp_path / "articles.jsonl") == [
        first.to_dict(),
        second.to_dict(),
        revised.to_dict(),
    ]


def test_line_separators_in_text_do_not_split_a_record(tmp_path: Path) -> None:
    article = make_article(text="one\u2028two\x85three\u2029four\nfive\x00six")
    other = make_article(canonical_url="https://news.example.com/x/2", text=article.text)
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        (path,) = sink.write(article)
        sink.write(other)
    records = _records(path)  # str.splitlines() breaks on U+2028, U+0085 and U+2029 too
    assert [record["text"] for record in records] == [article.text, article.text]


def test_partial_last_line_is_truncated_on_reopen(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        sink.write(make_article())
        sink.write(make_article(title="Two", canonical_url="https://news.example.com/x/2"))
    good = path.read_bytes()
    with path.open("ab") as handle:  # what a crash mid-write leaves behind
        handle.write(b'{"url": "https://news.example.com/half", "text": "cut off he')
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        assert path.read_bytes() == good
        sink.write(make_article(title="Three", canonical_url="https://news.example.com/x/3"))
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
    assert info.value.code == "unsafe_path"
    assert sentinel.read_text() == "keep me"


# -- re-appending is idempotent (crash recovery) -----------------------------------------------


def test_same_article_again_appends_nothing(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    article = make_article()
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        sink.write(article)
        assert sink.write(article) == [path.resolve()]  # same session
    before = path.read_bytes()
    # A crawl killed after writing its output but before recording the page does it again.
    refetched = make_article(fetched_at=datetime(2024, 5, 2, 8, 0, tzinfo=UTC))
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        assert sink.write(refetched) == [path.resolve()]
    assert path.read_bytes() == before


def test_articles_are_keyed_like_the_sqlite_writer(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        sink.write(make_article())
        # Another URL declaring the same canonical URL, same text: the same article.
        sink.write(
            make_article(
                url="https://m.news.example.com/rain", final_url="https://m.news.example.com/rain"
            )
        )
        # No canonical URL: keyed by where the fetch landed, whatever was requested.
        landed = "https://a.test/1"
        sink.write(make_article(canonical_url=None, url=landed + "?x", final_url=landed))
        sink.write(make_article(canonical_url=None, url=landed + "?y", final_url=landed))
        # ... which is the same article as one that declared that URL canonical.
        sink.write(make_article(canonical_url=None, url="https://a.test/2", final_url=CANONICAL))
    assert [(r["url"], r["canonical_url"]) for r in _records(path)] == [
        (make_article().url, CANONICAL),
        ("https://a.test/1?x", None),
    ]


def test_content_is_compared_by_body_fingerprint_not_metadata(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        sink.write(make_article())
        sink.write(make_article(title="Retitled", text="FIRST paragraph!  Second paragraph"))
    assert [r["title"] for r in _records(path)] == ["Rain falls on the plain"]


def test_only_the_latest_line_per_article_counts(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    original, corrected = make_article(), make_article(text="Corrected text.")
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        sink.write(original)
        sink.write(corrected)
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        sink.write(corrected)  # already the latest: nothing
        sink.write(original)  # changed back: readers keeping the last line must see it
    assert [r["text"] for r in _records(path)] == [original.text, corrected.text, original.text]


def test_index_survives_odd_lines_and_lines_longer_than_a_read_chunk(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    big = make_article(
        canonical_url="https://news.example.com/x/big", text="word " * 250_000
    )  # 1.25 MB
    odd = make_article(canonical_url="https://news.example.com/x/odd\ud800", text="a\u2028b")
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        sink.write(big)
        sink.write(odd)
    with path.open("ab") as handle:  # lines a reader could not use: skipped, never fatal
        handle.write(b"not json\n[1, 2]\n\n{}\n" + b'{"canonical_url": 5}\n')
    before = path.read_bytes()
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        sink.write(big)
        sink.write(odd)
    assert path.read_bytes() == before


def test_torn_line_is_not_taken_as_written(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    article = make_article()
    line = jsonl_line(article)
    path.write_bytes(line[:-1])  # the crash came before the newline: the record is not there
    with open_writers(write_settings(tmp_path, "jsonl")) as sink:
        sink.write(article)
    assert path.read_bytes() == line
