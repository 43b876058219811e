"""open_writers / ArticleSink: format selection, order, lock, config, error mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from scraper.config import WriteSettings, settings_from_mapping
from scraper.errors import ConfigError, WriteError
from scraper.write import open_writers
from tests.write.helpers import CANONICAL, make_article, sha, write_settings


def test_all_formats_write_in_a_fixed_order(tmp_path: Path) -> None:
    out = tmp_path / "new" / "nested"  # created on open
    with open_writers(write_settings(out, "jsonl", "json", "sqlite", "text")) as sink:
        paths = sink.write(make_article())
    root, digest = out.resolve(), sha(CANONICAL)
    stem = root / digest[:2] / digest[2:4] / f"rain-falls-on-the-plain-{digest[:16]}"
    assert paths == [
        root / "articles.sqlite",
        stem.with_suffix(".txt"),
        stem.with_suffix(".json"),
        root / "articles.jsonl",
    ]
    assert all(path.is_file() for path in paths)


def test_defaults_are_text_and_json_with_fsync() -> None:
    settings = WriteSettings()
    assert settings.formats == ("text", "json")
    assert (settings.jsonl_name, settings.sqlite_name, settings.fsync) == (
        "articles.jsonl",
        "articles.sqlite",
        True,
    )


def test_fsync_off_still_writes(tmp_path: Path) -> None:
    with open_writers(write_settings(tmp_path, "text", "jsonl", fsync=False)) as sink:
        paths = sink.write(make_article())
    assert [path.exists() for path in paths] == [True, True]


def test_no_formats_means_nothing_to_do_and_no_directory_needed() -> None:
    with open_writers(WriteSettings(formats=())) as sink:
        assert sink.write(make_article()) == []


def test_formats_without_output_dir_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="output_dir"), open_writers(WriteSettings()):
        pass


@pytest.mark.parametrize(
    "name", ["../escape.jsonl", "/etc/x", "a/b", ".lock", ".tmp-x", "", "x" * 101]
)
def test_output_file_names_must_be_bare_names(name: str) -> None:
    with pytest.raises(ConfigError, match=r"write\.jsonl_name"):
        settings_from_mapping({"write": {"jsonl_name": name}})


def test_a_second_writer_on_the_same_directory_is_refused(tmp_path: Path) -> None:
    with (
        open_writers(write_settings(tmp_path)),
        pytest.raises(WriteError, match="in use by another writer") as info,
        open_writers(write_settings(tmp_path, "jsonl")),
    ):
        pass
    assert info.value.url is None
    with open_writers(write_settings(tmp_path)) as sink:  # released on exit
        sink.write(make_article())


def test_output_dir_that_is_a_file_is_a_write_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(WriteError) as info, open_writers(write_settings(blocker)):
        pass
    assert info.value.code == "write_error"


def test_errors_inside_the_with_block_are_not_rewrapped(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError), open_writers(write_settings(tmp_path)):
        (tmp_path / "missing").read_text()
