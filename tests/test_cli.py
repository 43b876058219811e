"""The CLI as users run it: real subprocesses against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "article.html"
EXAMPLE_URL = "https://courier.example/news/2025/03/harbour-town-tidal-energy"
TITLE = "Harbour town opens its first tidal energy station"
JSON_KEYS = {
    "url", "final_url", "canonical_url", "title", "authors", "published", "modified",
    "language", "site_name", "description", "image", "tags", "text", "word_count", "fetched_at",
}  # fmt: skip


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scraper", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def site(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request("/news/tidal").respond_with_data(
        EXAMPLE.read_bytes(), content_type="text/html; charset=utf-8"
    )
    httpserver.expect_request("/gone").respond_with_data("gone", status=404)
    return httpserver


def assert_one_line_error(stderr: str, *needles: str) -> None:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr
    for needle in needles:
        assert needle in lines[0]


def test_scrape_url_prints_title_blank_line_then_body(site: HTTPServer) -> None:
    result = run("scrape", site.url_for("/news/tidal"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == TITLE
    assert lines[1] == ""
    assert "Port Elwen switched on a row of tidal turbines" in lines[2]
    assert result.stdout.count(TITLE) == 1
    assert "Additional reporting by Sam Okafor" in result.stdout
    for chrome in ("Latest Stories", "ALSO READ", "Listen to this article", "cookies", "Subscribe"):
        assert chrome not in result.stdout


def test_scrape_json_carries_metadata(site: HTTPServer) -> None:
    url = site.url_for("/news/tidal")
    result = run("scrape", url, "--format", "json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record.keys() >= JSON_KEYS
    assert record["url"] == url
    assert record["canonical_url"] == EXAMPLE_URL
    assert record["title"] == TITLE
    assert record["authors"] == ["Maren Holt"]
    assert record["published"].startswith("2025-03-14T08:30")
    assert record["site_name"] == "Coastline Courier"
    assert record["word_count"] > 200


def test_markdown_format_has_a_heading() -> None:
    result = run("scrape", str(EXAMPLE), "--url", EXAMPLE_URL, "--format", "markdown")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"# {TITLE}\n\n")


def test_some_failed_exits_1_with_one_line_error(site: HTTPServer) -> None:
    gone = site.url_for("/gone")
    result = run("scrape", site.url_for("/news/tidal"), gone)
    assert result.returncode == 1
    assert TITLE in result.stdout
    assert_one_line_error(result.stderr, gone, "404")


def test_all_failed_exits_3(site: HTTPServer) -> None:
    gone = site.url_for("/gone")
    result = run("scrape", gone)
    assert result.returncode == 3
    assert result.stdout == ""
    assert_one_line_error(result.stderr, gone)


def test_local_file_and_stdin_need_no_network() -> None:
    from_file = run("scrape", str(EXAMPLE), "--url", EXAMPLE_URL, "--format", "json")
    from_stdin = run("scrape", "-", "--url", EXAMPLE_URL, "--format", "json",
                     stdin=EXAMPLE.read_bytes())  # fmt: skip
    assert from_file.returncode == from_stdin.returncode == 0, from_file.stderr
    assert json.loads(from_file.stdout)["text"] == json.loads(from_stdin.stdout)["text"]
    assert json.loads(from_file.stdout)["url"] == EXAMPLE_URL


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["scrape", "-"], "--url"),
        (["scrape", "no/such/file.html"], "no/such/file.html"),
        (["scrape", str(EXAMPLE), "--config", "missing.yaml"], "missing.yaml"),
    ],
)
def test_usage_errors_exit_2(args: list[str], needle: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert_one_line_error(result.stderr, needle)


def test_config_error_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("fetch:\n  max_body_bytes: -5\n")
    result = run("scrape", str(EXAMPLE), "--url", EXAMPLE_URL, "--config", str(config))
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "fetch.max_body_bytes")


def test_no_arguments_is_a_usage_error() -> None:
    assert run("scrape").returncode == 2


def test_output_dir_gets_text_and_json(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("scrape", str(EXAMPLE), "--url", EXAMPLE_URL, "--output", str(out))
    assert result.returncode == 0, result.stderr
    written = [Path(line) for line in result.stdout.splitlines()]
    assert {path.suffix for path in written} == {".txt", ".json"}
    for path in written:
        assert path.resolve().is_relative_to(out.resolve())
    text = next(p for p in written if p.suffix == ".txt").read_text(encoding="utf-8")
    assert text.startswith(f"{TITLE}\n\n")
    meta = json.loads(next(p for p in written if p.suffix == ".json").read_text(encoding="utf-8"))
    assert meta["canonical_url"] == EXAMPLE_URL
    assert meta["extractor_version"]


def test_explain_lists_dropped_blocks_on_stderr() -> None:
    result = run("scrape", str(EXAMPLE), "--url", EXAMPLE_URL, "--explain")
    assert result.returncode == 0, result.stderr
    dropped = [line for line in result.stderr.splitlines() if "dropped [" in line]
    assert dropped, result.stderr
    assert any("Latest Stories" in line or "ALSO READ" in line for line in dropped)
    assert "Latest Stories" not in result.stdout


def test_extract_command_reads_a_directory(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "notes.txt").write_text("not html")
    result = run("extract", str(tmp_path), "--url", EXAMPLE_URL, "--format", "json")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["title"] for r in records] == [TITLE]


def test_extract_command_refuses_urls() -> None:
    assert run("extract", "https://example.com/x").returncode == 2


def test_scrape_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "scrape"
    result = subprocess.run(
        [str(script), str(EXAMPLE), "--url", EXAMPLE_URL],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{TITLE}\n\n")


def test_eval_command_scores_a_dataset(tmp_path: Path) -> None:
    import gzip

    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "p1.html.gz").write_bytes(gzip.compress(EXAMPLE.read_bytes()))
    body = "Port Elwen switched on a row of tidal turbines on Thursday"
    truth = {"p1": {"articleBody": body, "url": EXAMPLE_URL}}
    (tmp_path / "ground-truth.json").write_text(json.dumps(truth))
    result = run("eval", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "f1" in result.stdout.lower()
    assert "recall" in result.stdout.lower()


def test_eval_without_ground_truth_is_a_usage_error(tmp_path: Path) -> None:
    result = run("eval", str(tmp_path))
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "ground-truth.json")
