"""Golden pages: every cassette is served over real HTTP on 127.0.0.1, scraped through the public
API (and the CLI), and checked against ``tests/golden/<name>.json``. The expectations are what a
reader wants from the page, not what the scraper happens to print today.

The last tests check the harness itself: replay serves the recorded bytes exactly, and a page
recorded with ``tests.record`` comes back byte for byte.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

import scraper
from tests.cassette import (
    CASSETTE_DIR,
    Cassette,
    ReplayServer,
    load,
    load_all,
    replay_server_fixture,  # noqa: F401  (the replay_server fixture)
    save,
)
from tests.record import record

REPO_ROOT = Path(__file__).resolve().parent.parent
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
GOLDENS: dict[str, dict[str, Any]] = {
    path.stem: json.loads(path.read_text(encoding="utf-8"))
    for path in sorted(GOLDEN_DIR.glob("*.json"))
}
CLI_JSON_KEYS = {
    "url", "final_url", "canonical_url", "title", "authors", "published", "modified",
    "language", "site_name", "description", "image", "tags", "text", "word_count", "fetched_at",
}  # fmt: skip


def _norm(text: str) -> str:
    """Collapse every run of whitespace (including no-break spaces) to one space."""
    return " ".join(text.split())


def _same_time(actual: str | None, expected: str) -> bool:
    """``actual`` starts with ``expected``, or both are the same instant (to the second)."""
    if actual is None:
        return False
    if actual.startswith(expected):
        return True
    try:
        got, want = datetime.fromisoformat(actual), datetime.fromisoformat(expected)
    except ValueError:
        return False
    if got.tzinfo is None or want.tzinfo is None:
        return False
    return abs((got.astimezone(UTC) - want.astimezone(UTC)).total_seconds()) < 1


def _same_language(actual: str | None, expected: str) -> bool:
    """``en`` matches ``en``, ``en-GB``, ``en_US``; ``en-GB`` matches only itself."""
    if actual is None:
        return False
    got, want = actual.replace("_", "-").lower(), expected.lower()
    return got == want or ("-" not in want and got.split("-")[0] == want)


def metadata_problems(article: scraper.Article, golden: dict[str, Any]) -> list[str]:
    problems = []
    for key in ("title", "site_name", "canonical_url"):
        if getattr(article, key) != golden[key]:
            problems.append(f"{key}: got {getattr(article, key)!r}, want {golden[key]!r}")
    if list(article.authors) != golden["authors"]:
        problems.append(f"authors: got {list(article.authors)!r}, want {golden['authors']!r}")
    if not _same_time(article.published, golden["published"]):
        problems.append(f"published: got {article.published!r}, want {golden['published']!r}")
    if not _same_language(article.language, golden["language"]):
        problems.append(f"language: got {article.language!r}, want {golden['language']!r}")
    missing_tags = set(golden.get("tags", ())) - set(article.tags)
    if missing_tags:
        problems.append(f"tags: {sorted(missing_tags)} missing from {list(article.tags)!r}")
    return problems


def layout_problems(text: str, title: str) -> list[str]:
    """Paragraphs are separated by exactly one blank line, and the title is not repeated."""
    paragraphs = text.split("\n\n")
    problems = []
    if len(paragraphs) < 2:
        problems.append("text is not split into paragraphs by blank lines")
    if re.search(r"\n[ \t]*\n[ \t]*\n", text) or any(not p.strip() for p in paragraphs):
        problems.append("text has empty paragraphs (more than one blank line in a row)")
    if any(p != p.strip() for p in paragraphs):
        problems.append("a paragraph starts or ends with whitespace")
    if _norm(paragraphs[0]).casefold() == _norm(title).casefold():
        problems.append("the title is repeated as the first paragraph of the body")
    return problems


def content_problems(text: str, golden: dict[str, Any]) -> list[str]:
    flat = _norm(text)
    problems = [f"missing: {s!r}" for s in golden["must_contain"] if _norm(s) not in flat]
    problems += [
        f"chrome left in: {s!r}"
        for s in golden["must_not_contain"]
        if s in text or (_norm(s) and _norm(s) in flat)
    ]
    paragraphs = [_norm(p) for p in text.split("\n\n")]
    position = -1
    for needle in golden.get("paragraphs_in_order", ()):
        found = [i for i, p in enumerate(paragraphs) if _norm(needle) in p and i > position]
        if not found:
            problems.append(f"paragraph out of order or not on its own: {needle!r}")
            continue
        position = found[0]
    return problems


@pytest.mark.parametrize("name", sorted(GOLDENS), ids=sorted(GOLDENS))
def test_golden_page(name: str, replay_server: ReplayServer) -> None:
    golden = GOLDENS[name]
    url = replay_server.url_for(golden["cassette"])
    if "error" in golden:
        with pytest.raises(getattr(scraper, golden["error"])) as caught:
            scraper.scrape(url)
        assert caught.value.url, "the error should name the URL"
        return
    article = scraper.scrape(url)
    problems = metadata_problems(article, golden)
    problems += layout_problems(article.text, golden["title"])
    problems += content_problems(article.text, golden)
    assert not problems, f"{name}:\n  " + "\n  ".join(problems)


def test_every_cassette_has_a_golden_file() -> None:
    cassettes = {path.stem for path in CASSETTE_DIR.glob("*.json")}
    assert cassettes == set(GOLDENS)
    assert all(golden["cassette"] == name for name, golden in GOLDENS.items())


def _run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "NO_PROXY": "127.0.0.1,localhost"}
    return subprocess.run(
        [sys.executable, "-m", "scraper", "scrape", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def test_cli_json_output(replay_server: ReplayServer, tmp_path: Path) -> None:
    url = replay_server.url_for("seed-like")
    result = _run_cli(url, "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert not CLI_JSON_KEYS - set(data), f"missing keys: {sorted(CLI_JSON_KEYS - set(data))}"
    assert data["url"] == url
    assert data["title"] == GOLDENS["seed-like"]["title"]
    assert data["word_count"] > 100
    assert "Additional reporting by Akosua Owusu-Ansah in Bibiani." in data["text"]


def test_cli_text_output_starts_with_title(replay_server: ReplayServer, tmp_path: Path) -> None:
    result = _run_cli(replay_server.url_for("seed-like"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(GOLDENS["seed-like"]["title"] + "\n\n"), result.stdout[:300]
    assert "Audio By Carbonatix" not in result.stdout


# --- the harness itself -------------------------------------------------------------------


def _fetch_raw(url: str) -> tuple[httpx.Response, bytes]:
    """GET ``url`` and return the body as it came off the wire (not decompressed)."""
    with httpx.Client() as client, client.stream("GET", url) as response:
        return response, b"".join(response.iter_raw())


@pytest.mark.parametrize("cassette", load_all(), ids=lambda c: c.name)
def test_replay_serves_recorded_bytes(cassette: Cassette, replay_server: ReplayServer) -> None:
    response, body = _fetch_raw(replay_server.url_for(cassette.name))
    assert response.status_code == cassette.status
    assert body == cassette.body
    assert response.headers["content-length"] == str(len(cassette.body))
    for name, value in cassette.headers:
        assert value in response.headers.get_list(name)


def test_replay_answers_unknown_paths_with_404(replay_server: ReplayServer) -> None:
    response, _ = _fetch_raw(replay_server.base_url + "/no/such/page")
    assert response.status_code == 404


def test_record_then_replay_round_trip(tmp_path: Path) -> None:
    page = (
        '<html><head><link rel="canonical" href="https://news.example/a/1"></head>'
        "<body><p>\x93Caf\xe9\x94 \x96 \x80 5</p></body></html>"
    ).encode("latin-1")
    headers = [("Content-Type", "text/html; charset=utf-8")]
    cassette = record(
        "round-trip", "/a/1?x=1", page * 200, headers=headers, status=203, gzip_body=True
    )
    save(cassette, tmp_path)
    loaded = load("round-trip", tmp_path)
    assert loaded == cassette
    assert loaded.url == "https://news.example/a/1"
    assert datetime.fromisoformat(loaded.recorded_at).tzinfo is not None
    with ReplayServer([loaded]) as server:
        response, body = _fetch_raw(server.url_for("round-trip"))
    assert response.status_code == 203
    assert body == cassette.body
    assert gzip.decompress(body) == page * 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_large_plain_bodies_are_stored_gzipped(tmp_path: Path) -> None:
    body = b"<p>" + "caf\u00e9 ".encode() * 5000 + b"</p>"
    cassette = Cassette(
        "big", "https://x.example/", "2025-01-01T00:00:00+00:00", "/", 200, (), body
    )
    save(cassette, tmp_path)
    stored = json.loads((tmp_path / "big.json").read_text(encoding="utf-8"))
    assert "body_gz_b64" in stored["response"]
    assert "body_b64" not in stored["response"]
    assert load("big", tmp_path).body == body
