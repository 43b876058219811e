"""The text and json file formats: content, naming, hostile input, symlinks, idempotence."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scraper.errors import WriteError
from scraper.write import open_writers
from tests.write.helpers import CANONICAL, all_files, make_article, sha, write_settings

_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*-[0-9a-f]{16}\.(?:txt|json)$")


def test_text_and_json_content_is_exact(tmp_path: Path) -> None:
    article = make_article()
    with open_writers(write_settings(tmp_path)) as sink:
        txt, js = sink.write(article)
    assert txt.read_bytes() == b"Rain falls on the plain\n\nFirst paragraph.\n\nSecond paragraph.\n"
    raw = js.read_bytes()
    assert json.loads(raw.decode("utf-8")) == article.to_dict()
    assert raw.endswith(b"}\n")


def test_text_without_title_is_just_the_body(tmp_path: Path) -> None:
    with open_writers(write_settings(tmp_path, "text")) as sink:
        (txt,) = sink.write(make_article(title=None))
    assert txt.read_text(encoding="utf-8") == "First paragraph.\n\nSecond paragraph.\n"


def test_names_are_slug_plus_hash_of_canonical_url_sharded_by_hash(tmp_path: Path) -> None:
    digest = sha(CANONICAL)
    with open_writers(write_settings(tmp_path)) as sink:
        paths = sink.write(make_article())
    shard = tmp_path.resolve() / digest[:2] / digest[2:4]
    stem = f"rain-falls-on-the-plain-{digest[:16]}"
    assert paths == [shard / f"{stem}.txt", shard / f"{stem}.json"]
    assert all_files(tmp_path) - {".lock"} == {
        f"{digest[:2]}/{digest[2:4]}/{stem}.txt",
        f"{digest[:2]}/{digest[2:4]}/{stem}.json",
    }


def test_without_title_or_canonical_the_final_url_names_the_file(tmp_path: Path) -> None:
    final = "https://news.example.com/world/Élan-Vital_2024.html"
    article = make_article(title=None, canonical_url=None, final_url=final)
    with open_writers(write_settings(tmp_path, "text")) as sink:
        (txt,) = sink.write(article)
    assert txt.name == f"elan-vital-2024-{sha(final)[:16]}.txt"


def test_long_and_non_latin_titles(tmp_path: Path) -> None:
    with open_writers(write_settings(tmp_path, "text")) as sink:
        (long_name,) = sink.write(make_article(title="Abcdefghij" * 10))
        (cjk,) = sink.write(make_article(title="東京の天気", canonical_url=None))
    assert long_name.stem == "abcdefghij" * 8 + "-" + sha(CANONICAL)[:16]
    assert cjk.stem.startswith("rain-falls-")  # nothing ASCII in the title: the URL segment


HOSTILE_URLS = [
    "https://h.example/../../etc/passwd",
    "https://h.example/a/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "https://h.example/..%5c..%5cwindows%5csystem32",
    "/etc/passwd",
    "/../../../sentinel.txt",
    "https://h.example/a%00b\x00c",
    "https://h.example/．．／．．／sentinel.txt",
    "https://h.example/" + "a" * 300,
    "https://h.example/" + "é" * 300,
    "https://h.example/CON",
    "https://h.example/nul.txt",
    "https://h.example/a.html",
    "https://h.example/A.html",
    "",
]
HOSTILE_TITLES = [None, "../../sentinel.txt", "\x00", "．．／．．／sentinel", "CON", "/etc/passwd"]


def test_hostile_urls_and_titles_stay_inside_output_dir(tmp_path: Path) -> None:
    out = tmp_path / "out"
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_text("keep me")
    written: set[Path] = set()
    with open_writers(write_settings(out)) as sink:
        for url in HOSTILE_URLS:
            for title in HOSTILE_TITLES:
                article = make_article(url=url, final_url=url, canonical_url=None, title=title)
                written.update(sink.write(article))
    root = out.resolve()
    for path in written:
        assert path.resolve().is_relative_to(root)
        assert _NAME.match(path.name), path.name
        assert len(path.relative_to(root).parts) == 3  # shard/shard/name
    assert sentinel.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "sentinel.txt"]
    # One .txt and one .json per distinct URL: titles of the same URL replace each other,
    # and URLs differing only in case ("a.html" vs "A.html") never share a file.
    assert len(all_files(out) - {".lock"}) == 2 * len(HOSTILE_URLS)


def _shard_of(url: str) -> tuple[str, str]:
    digest = sha(url)
    return digest[:2], digest[2:4]


def test_symlinked_shard_directory_is_refused(tmp_path: Path) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    out.mkdir()
    outside.mkdir()
    top, _ = _shard_of(CANONICAL)
    (out / top).symlink_to(outside, target_is_directory=True)
    with open_writers(write_settings(out)) as sink, pytest.raises(WriteError) as info:
        sink.write(make_article())
    assert info.value.code == "unsafe_path"
    assert "symlink" in info.value.message
    assert info.value.url == make_article().url
    assert list(outside.iterdir()) == []


def test_symlink_planted_at_the_final_name_is_not_followed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_text("keep me")
    top, leaf = _shard_of(CANONICAL)
    (out / top / leaf).mkdir(parents=True)
    planted = out / top / leaf / f"rain-falls-on-the-plain-{sha(CANONICAL)[:16]}.txt"
    planted.symlink_to(sentinel)
    with open_writers(write_settings(out)) as sink, pytest.raises(WriteError, match="symlink"):
        sink.write(make_article())
    assert sentinel.read_text() == "keep me"
    assert planted.is_symlink()
    assert not any(entry.name.startswith(".tmp-") for entry in planted.parent.iterdir())


def test_writing_the_same_article_again_overwrites_its_own_files(tmp_path: Path) -> None:
    with open_writers(write_settings(tmp_path)) as sink:
        first = sink.write(make_article())
        before = all_files(tmp_path)
        second = sink.write(make_article(text="Updated body."))
    assert first == second
    assert all_files(tmp_path) == before
    assert first[0].read_text(encoding="utf-8").endswith("\n\nUpdated body.\n")
    assert json.loads(first[1].read_text(encoding="utf-8"))["text"] == "Updated body."


def test_a_changed_title_replaces_the_files_named_after_the_old_one(tmp_path: Path) -> None:
    with open_writers(write_settings(tmp_path)) as sink:
        old = sink.write(make_article(title="First headline"))
        new = sink.write(make_article(title="Corrected headline"))
    assert not any(path.exists() for path in old)
    assert all(path.exists() for path in new)
    assert len(all_files(tmp_path) - {".lock"}) == 2


def test_leftover_temp_files_are_removed_when_writers_open(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / ".tmp-not-ours").write_text("x")
    out = tmp_path / "out"
    (out / "ab" / "cd").mkdir(parents=True)
    (out / "ab" / "cd" / ".tmp-1a2b-story-0123456789abcdef.txt").write_text("torn")
    (out / "ab" / ".tmp-x").write_text("torn")
    (out / ".tmp-y").write_text("torn")
    (out / "ab" / "cd" / "story-0123456789abcdef.txt").write_text("good")
    (out / "ef").symlink_to(outside, target_is_directory=True)
    with open_writers(write_settings(out)):
        pass
    assert all_files(out) == {".lock", "ab/cd/story-0123456789abcdef.txt", "ef"}
    assert (outside / ".tmp-not-ours").exists()


def test_json_and_text_are_valid_utf8_without_raw_control_characters(tmp_path: Path) -> None:
    nasty = "a\x00b\x1bc\x7fd\x85e\u2028f\u2029g\udcffh"
    article = make_article(title=nasty, text=f"Para {nasty}.\r\n\r\nNext.", authors=(nasty,))
    with open_writers(write_settings(tmp_path)) as sink:
        txt, js = sink.write(article)
    raw_json = js.read_bytes().decode("utf-8")
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]", raw_json)
    loaded = json.loads(raw_json)
    assert loaded["title"] == "a\x00b\x1bc\x7fd\x85e\u2028f\u2029g\ufffdh"
    assert txt.read_bytes().decode("utf-8") == (
        "abcde f g\ufffdh\n\nPara abcde\u2028f\u2029g\ufffdh.\n\nNext.\n"
    )
