"""CrawlState: opening and schema, the frontier, fetch outcomes, runs, the robots.txt cache."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from scraper.crawl.state import CrawlState, FrontierItem
from scraper.crawl.state_schema import SCHEMA_VERSION
from scraper.errors import ConfigError
from tests.crawl.state_support import HOUR, SOURCE, T0, raw, record, scalar, url, url_row

# -- opening, schema, damaged files ------------------------------------------------------------


def test_open_creates_parents_and_a_versioned_wal_database(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "crawl.sqlite"
    with CrawlState.open(path) as state:
        assert state.counts() == dict.fromkeys(
            ("pending", "changed", "done", "failed", "skipped"), 0
        )
    with raw(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 1
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    assert {"urls", "stories", "articles", "runs", "robots"} <= tables


def test_state_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    with CrawlState.open(path) as state:
        state.add_links(SOURCE, [(url(1), None), (url(2), None)], now=T0)
        record(state, url(1), "fp1")
    with CrawlState.open(path) as state:
        assert [item.url for item in state.due(SOURCE, 10)] == [url(2)]
        assert state.article_urls() == [url(1)]


def test_connection_settings(tmp_path: Path) -> None:
    with CrawlState.open(tmp_path / "crawl.sqlite") as state:
        conn = state._conn  # the pragmas are per connection, so look at this one
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_empty_file_is_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    path.write_bytes(b"")
    with CrawlState.open(path) as state:
        assert state.add_links(SOURCE, [(url(1), None)], now=T0) == 1


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a database\n" * 200,
        os.urandom(8192),
        b"SQLite format 3\x00" + b"\xff" * 4080,
    ],
    ids=["text", "random", "bad-header"],
)
def test_non_sqlite_file_is_a_config_error_naming_the_path(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "crawl.sqlite"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=r"crawl\.sqlite") as info:
        CrawlState.open(path)
    assert info.value.code == "state_corrupt"
    assert path.read_bytes() == content  # left for the user to inspect


def test_damaged_table_pages_are_a_config_error_when_read(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    with CrawlState.open(path) as state:
        state.add_links(SOURCE, [(url(n), None) for n in range(3000)], now=T0)
    page = scalar(path, "PRAGMA page_size")
    data = bytearray(path.read_bytes())
    data[page:] = b"\xa5" * (len(data) - page)  # every page but the schema page
    path.write_bytes(data)
    # Opening reads only the header and the schema (a full check would read the whole file
    # on every run); the damage surfaces, as the same error, on first use.
    with CrawlState.open(path) as state:
        with pytest.raises(ConfigError, match="corrupt") as info:
            state.due(SOURCE, 10)
        with pytest.raises(ConfigError, match="corrupt"):
            state.add_links(SOURCE, [(url("new"), None)], now=T0)
    assert str(path) in str(info.value)


def test_newer_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    CrawlState.open(path).close()
    with raw(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(ConfigError, match="schema version 99"):
        CrawlState.open(path)


def test_some_other_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "articles.sqlite"
    with raw(path) as conn:
        conn.execute("CREATE TABLE articles (key_url TEXT PRIMARY KEY)")
        conn.commit()
    with pytest.raises(ConfigError, match="not a crawl state"):
        CrawlState.open(path)


def test_unusable_directory_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="file"):
        CrawlState.open(blocker / "crawl.sqlite")


# -- the frontier ------------------------------------------------------------------------------


def test_add_links_counts_only_new_urls(tmp_path: Path) -> None:
    with CrawlState.open(tmp_path / "crawl.sqlite") as state:
        batch = [(url(1), None), (url(2), T0), (url(1), None)]
        assert state.add_links(SOURCE, batch, now=T0) == 2
        assert state.add_links(SOURCE, batch, now=T0 + HOUR) == 0
        assert state.add_links("other", [(url(2), None), (url(3), None)], now=T0) == 1
        assert state.add_links(SOURCE, iter([]), now=T0) == 0
        assert state.counts() == {**state.counts(), "pending": 3}
        assert state.counts(SOURCE)["pending"] == 2
        assert state.counts("other")["pending"] == 1  # url(2) stays with the source that found it


def test_due_is_oldest_discovery_first_within_the_limit(tmp_path: Path) -> None:
    with CrawlState.open(tmp_path / "crawl.sqlite") as state:
        state.add_links(SOURCE, [(url("a"), None), (url("b"), T0)], now=T0)
        state.add_links(SOURCE, [(url("old"), None)], now=T0 - HOUR)
        state.add_links("other", [(url("x"), None)], now=T0 - 2 * HOUR)
        assert [item.url for item in state.due(SOURCE, 10)] == [url("old"), url("a"), url("b")]
        assert [item.url for item in state.due(SOURCE, 2)] == [url("old"), url("a")]
        assert state.due(SOURCE, 0) == []
        assert state.due("nobody", 5) == []
        assert state.due(SOURCE, 10)[2] == FrontierItem(url("b"), SOURCE, T0, "pending")


def test_due_leaves_out_done_failed_and_skipped(tmp_path: Path) -> None:
    with CrawlState.open(tmp_path / "crawl.sqlite") as state:
        state.add_links(SOURCE, [(url(n), None) for n in range(5)], now=T0)
        record(state, url(0), "fp0")
        state.record_failure(url(1), code="gone", transient=False, fetched_at=T0, failure_limit=3)
        state.record_skip(url(2), reason="robots_disallowed")
        state.record_failure(url(3), code="timeout", transient=True, fetched_at=T0, failure_limit=3)
        assert [item.url for item in state.due(SOURCE, 10)] == [url(3), url(4)]
        assert state.counts() == {
            "pending": 2,
            "changed": 0,
            "done": 1,
            "failed": 1,
            "skipped": 1,
        }
    assert url_row(tmp_path / "crawl.sqlite", url(2))["reason"] == "robots_disallowed"  # type: ignore[index]


def test_newer_date_marks_a_done_url_changed(tmp_path: Path) -> None:
    with CrawlState.open(tmp_path / "crawl.sqlite") as state:
        state.add_links(SOURCE, [(url(1), T0 - 2 * HOUR)], now=T0)
        record(state, url(1), "fp1", at=T0)
        # Same date again, or one already older than the fetch: nothing new.
        for seen in (T0 - 2 * HOUR, T0 - HOUR):
            state.add_links(SOURCE, [(url(1), seen)], now=T0 + HOUR)
            assert state.due(SOURCE, 10) == []
        state.add_links(SOURCE, [(url(1), T0 + HOUR)], now=T0 + 2 * HOUR)
        assert state.due(SOURCE, 10) == [FrontierItem(url(1), SOURCE, T0 + HOUR, "changed")]
        assert state.counts()["changed"] == 1
        state.record_not_modified(url(1), fetched_at=T0 + 3 * HOUR)
        assert state.due(SOURCE, 10) == []
        state.add_links(SOURCE, [(url(1), T0 + HOUR)], now=T0 + 4 * HOUR)
        assert state.due(SOURCE, 10) == []


def test_done_url_without_a_date_compares_with_its_fetch_time(tmp_path: Path) -> None:
    with CrawlState.open(tmp_path / "crawl.sqlite") as state:
        state.add_links(SOURCE, [(url(1), None)], now=T0)
        record(state, url(1), "fp1", at=T0)
        state.add_links(SOURCE, [(url(1), T0 - HOUR)], now=T0)  # published before we fetched
        assert state.due(SOURCE, 10) == []
        state.add_links(SOURCE, [(url(1), T0 + HOUR)], now=T0)  # e.g. a later sitemap lastmod
        assert [item.status for item in state.due(SOURCE, 10)] == ["changed"]


def test_known_pending_url_is_left_untouched(tmp_path: Path) -> None:
    with CrawlState.open(tmp_path / "crawl.sqlite") as state:
        state.add_links(SOURCE, [(url(1), T0)], now=T0)
        state.add_links("other", [(url(1), T0 + HOUR)], now=T0 + HOUR)
        assert state.due(SOURCE, 10) == [FrontierItem(url(1), SOURCE, T0, "pending")]


def test_naive_datetimes_are_taken_as_utc(tmp_path: Path) -> None:
    with CrawlState.open(tmp_path / "crawl.sqlite") as state:
        state.add_links(SOURCE, [(url(1), datetime(2024, 5, 1, 10, 30))], now=T0)
        (item,) = state.due(SOURCE, 1)
    assert item.published == datetime.fromisoformat("2024-05-01T10:30:00+00:00")


# -- outcomes of a fetch -----------------------------------------------------------------------


def test_validators_come_from_the_last_200(tmp_path: Path) -> None:
    with CrawlState.open(tmp_path / "crawl.sqlite") as state:
        assert state.validators(url(1)) == (None, None)
        record(state, url(1), "fp1", etag='"v1"', last_modified="Wed, 01 May 2024 10:00:00 GMT")
        assert state.validators(url(1)) == ('"v1"', "Wed, 01 May 2024 10:00:00 GMT")
        state.record_not_modified(url(1), fetched_at=T0 + HOUR)
        assert state.validators(url(1)) == ('"v1"', "Wed, 01 May 2024 10:00:00 GMT")
        record(state, url(1), "fp2", at=T0 + 2 * HOUR)
        assert state.validators(url(1)) == (None, None)


def test_record_article_stores_the_article_json(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    with CrawlState.open(path) as state:
        state.add_links(SOURCE, [(url(1), None)], now=T0)
        landed = url(1, host="site-c.test")  # the canonical is on the page's own site
        record(state, url(1), "fp1", final_url=landed, canonical_url=url("c"), text="Café\ud800",
               seen=T0)  # fmt: skip
        # never queued (a one-off scrape): still recorded
        record(state, url(2), "fp2", canonical_url="https://elsewhere.example/story/2")
        assert state.article_urls() == [url(1), url(2)]
        assert state.counts() == {**state.counts(), "done": 2, "pending": 0}
    row = url_row(path, url(1))
    assert row is not None
    assert (row["status"], row["fingerprint"], row["canonical_url"]) == ("done", "fp1", url("c"))
    with raw(path) as conn:
        query = conn.execute("SELECT key_url, json FROM articles WHERE url = ?", (url(1),))
        key, stored = query.fetchone()
        (other_key,) = conn.execute("SELECT key_url FROM articles WHERE url = ?", (url(2),))
    # Keyed as the output writers key it: a canonical on the page's own site, else the page.
    assert key == url("c")
    assert other_key == ("https://news.test/placeholder",)
    data = json.loads(stored)
    assert (data["text"], data["seen"], data["fingerprint"]) == (
        "Café\ufffd",
        T0.isoformat(),
        "fp1",
    )


def test_record_article_upserts_the_article(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    with CrawlState.open(path) as state:
        record(state, url(1), "fp1", title="First")
        record(state, url(1), "fp2", title="Corrected", at=T0 + HOUR)
        assert state.article_urls() == [url(1)]
    stored = json.loads(scalar(path, "SELECT json FROM articles"))
    assert (stored["title"], stored["fingerprint"]) == ("Corrected", "fp2")


def test_failed_article_write_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "crawl.sqlite"
    with CrawlState.open(path) as state:
        state.add_links(SOURCE, [(url(1), None)], now=T0)

        def refuse(*args: object, **kwargs: object) -> None:
            raise RuntimeError("boom")

        monkeypatch.setattr("scraper.crawl.state.store_article", refuse)
        with pytest.raises(RuntimeError):
            record(state, url(1), "fp1")
        assert [item.url for item in state.due(SOURCE, 10)] == [url(1)]
        assert state.article_urls() == []
    assert scalar(path, "SELECT count(*) FROM stories") == 0
    assert url_row(path, url(1))["fingerprint"] is None  # type: ignore[index]


def test_transient_failures_count_once_per_run_until_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    with CrawlState.open(path) as state:
        state.add_links(SOURCE, [(url(1), None)], now=T0)
        for run in range(1, 4):
            run_id = state.begin_run(now=T0 + run * HOUR)
            for _attempt in range(3):  # retries within one run are one failed run
                state.record_failure(
                    url(1), code="timeout", transient=True, fetched_at=T0, failure_limit=3
                )
            state.end_run(run_id, {"failed": 1}, now=T0 + run * HOUR)
            row = url_row(path, url(1))
            assert row is not None
            assert (row["failures"], row["reason"]) == (run, "timeout")
            assert len(state.due(SOURCE, 10)) == (1 if run < 3 else 0)
        assert state.counts()["failed"] == 1


def test_without_a_run_every_transient_failure_counts(tmp_path: Path) -> None:
    with CrawlState.open(tmp_path / "crawl.sqlite") as state:
        state.add_links(SOURCE, [(url(1), None)], now=T0)
        state.record_failure(url(1), code="503", transient=True, fetched_at=T0, failure_limit=2)
        assert len(state.due(SOURCE, 10)) == 1
        state.record_failure(url(1), code="503", transient=True, fetched_at=T0, failure_limit=2)
        assert state.due(SOURCE, 10) == []


def test_permanent_failure_gives_up_at_once(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    with CrawlState.open(path) as state:
        state.add_links(SOURCE, [(url(1), None)], now=T0)
        state.record_failure(url(1), code="404", transient=False, fetched_at=T0, failure_limit=3)
        assert state.due(SOURCE, 10) == []
    row = url_row(path, url(1))
    assert row is not None
    assert (row["status"], row["reason"], row["failures"]) == ("failed", "404", 0)


def test_success_forgets_earlier_failures(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    with CrawlState.open(path) as state:
        state.add_links(SOURCE, [(url(1), None)], now=T0)
        state.record_failure(url(1), code="503", transient=True, fetched_at=T0, failure_limit=3)
        state.record_failure(url(1), code="503", transient=True, fetched_at=T0, failure_limit=3)
        record(state, url(1), "fp1")
    row = url_row(path, url(1))
    assert row is not None
    assert (row["status"], row["failures"], row["reason"]) == ("done", 0, None)


def test_outcomes_for_unknown_urls_are_errors(tmp_path: Path) -> None:
    with CrawlState.open(tmp_path / "crawl.sqlite") as state:
        with pytest.raises(KeyError):
            state.record_skip(url(9), reason="too_old")
        with pytest.raises(KeyError):
            state.record_not_modified(url(9), fetched_at=T0)
        with pytest.raises(KeyError):
            state.record_failure(url(9), code="x", transient=True, fetched_at=T0, failure_limit=3)
        assert state.counts() == {**state.counts(), "pending": 0}


# -- runs and robots.txt -----------------------------------------------------------------------


def test_runs_record_start_end_and_stats(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    with CrawlState.open(path) as state:
        first = state.begin_run(now=T0)
        state.end_run(first, {"fetched": 3, "errors": {"timeout": 1}}, now=T0 + HOUR)
        second = state.begin_run(now=T0 + 2 * HOUR)
    assert second > first
    with raw(path) as conn:
        rows = conn.execute("SELECT id, started_at, ended_at, stats FROM runs ORDER BY id")
        (id1, start1, end1, stats1), (id2, _, end2, stats2) = rows.fetchall()
    assert id1 == first
    assert datetime.fromisoformat(start1) == T0
    assert datetime.fromisoformat(end1) == T0 + HOUR
    assert json.loads(stats1) == {"fetched": 3, "errors": {"timeout": 1}}
    assert (id2, end2, stats2) == (second, None, None)  # a run killed before end_run


def test_robots_cache_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    origin = "https://news.test"
    with CrawlState.open(path) as state:
        assert state.load_robots(origin) is None
        state.save_robots(origin, "rules", "User-agent: *\nDisallow: /private\n", T0)
        state.save_robots("http://other.test:8080", "unreachable", "", T0)
    with CrawlState.open(path) as state:
        assert state.load_robots(origin) == ("rules", "User-agent: *\nDisallow: /private\n", T0)
        state.save_robots(origin, "allow_all", "", T0 + HOUR)
        assert state.load_robots(origin) == ("allow_all", "", T0 + HOUR)
        assert state.load_robots("http://other.test:8080") == ("unreachable", "", T0)
