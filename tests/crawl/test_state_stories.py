"""Story linking: new, duplicate (exact, or a near copy its text confirms), updated, unchanged."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from scraper.config import CrawlSettings
from scraper.crawl.shingles import shingle_hashes, sketch
from scraper.crawl.state import CrawlState, StoryResult
from scraper.crawl.state_schema import to_unsigned
from scraper.crawl.state_stories import (
    MAX_CANDIDATES,
    SKETCH_SIZE,
    LeadShingles,
    candidate_query,
    lead_text,
    link_story,
    near_candidates,
    near_copy,
    sketch_keys,
)
from tests.crawl.state_support import HOUR, T0, raw, record, scalar, url, url_row
from tests.crawl.test_shingles import FLOOD_COPY, FLOOD_OTHER, FLOOD_WIRE, WIRE, seed_pair

OVERLAP = CrawlSettings().near_duplicate_overlap


@pytest.fixture
def state(tmp_path: Path) -> Iterator[CrawlState]:
    with CrawlState.open(tmp_path / "crawl.sqlite") as opened:
        yield opened


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "crawl.sqlite"


def test_first_article_makes_a_new_story(state: CrawlState) -> None:
    assert record(state, url(1), "fp1") == StoryResult("new", 1, None)
    assert record(state, url(2), "fp2") == StoryResult("new", 2, None)


def test_same_fingerprint_under_another_url_is_a_duplicate(state: CrawlState) -> None:
    lead = record(state, url(1), "fp1", text=WIRE)
    # The exact match wins whatever the text (and without min_overlap).
    assert record(state, url(2), "fp1") == StoryResult("duplicate", lead.story_id, url(1))
    # A copy of the copy still points at the story's lead.
    assert record(state, url(3), "fp1") == StoryResult("duplicate", lead.story_id, url(1))


def test_a_near_copy_links_only_with_min_overlap(state: CrawlState) -> None:
    lead = record(state, url(1), "fp1", text=FLOOD_WIRE)
    # Without min_overlap only the fingerprint links; the lead's sketch was stored regardless.
    assert record(state, url(2), "fp2", text=FLOOD_COPY).kind == "new"
    # With it, the copy joins the story its text overlaps most (the wire, not the copy).
    copy = record(state, url(3), "fp3", text=FLOOD_WIRE + " Corrected.", min_overlap=OVERLAP)
    assert copy == StoryResult("duplicate", lead.story_id, url(1))
    assert record(state, url(4), "fp4", text=FLOOD_OTHER, min_overlap=OVERLAP).kind == "new"


def test_same_url_same_content_is_unchanged(state: CrawlState) -> None:
    lead = record(state, url(1), "fp1")
    record(state, url(2), "fp1")
    assert record(state, url(1), "fp1", at=T0 + HOUR) == StoryResult("unchanged", 1, None)
    assert record(state, url(2), "fp1", at=T0 + HOUR) == StoryResult("unchanged", 1, url(1))
    assert lead.story_id == 1


def test_same_url_new_content_is_updated_and_keeps_its_story(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    with CrawlState.open(path) as state:
        record(state, url(1), "fp1", text=WIRE)
        record(state, url(2), "fp2", text=WIRE + " Updated.", min_overlap=OVERLAP)
        assert record(state, url(1), "fp1b", text=FLOOD_WIRE) == StoryResult("updated", 1, None)
        assert record(state, url(2), "fp2b", text=OTHER_TEXT) == StoryResult("updated", 1, url(1))
        # The story now goes by its lead's corrected text: its copies join it, the old text not.
        assert record(state, url(3), "fp3", text=FLOOD_COPY, min_overlap=OVERLAP).kind == (
            "duplicate"
        )
        assert record(state, url(4), "fp4", text=WIRE, min_overlap=OVERLAP).kind == "new"
    row = url_row(path, url(1))
    assert row is not None
    assert row["fingerprint"] == "fp1b"
    assert _stored_keys(path, 1) == sorted(sketch_keys(shingle_hashes(FLOOD_WIRE)))


OTHER_TEXT = "A different text under the copy's URL: it changes nothing of the story."


def test_stories_table_holds_one_row_per_story(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    with CrawlState.open(path) as state:
        record(state, url(1), "fp1", text=WIRE)
        record(state, url(2), "fp1", text=WIRE)
        record(state, url(3), "fp3", text="Three words only")
    assert scalar(path, "SELECT count(*) FROM stories") == 2
    with raw(path) as conn:
        linked = dict(conn.execute("SELECT url, story_id FROM articles").fetchall())
    assert linked == {url(1): 1, url(2): 1, url(3): 2}
    # One sketch per story: SKETCH_SIZE values, or one per shingle for a shorter text.
    assert (len(_stored_keys(path, 1)), len(_stored_keys(path, 2))) == (SKETCH_SIZE, 1)


def test_high_bit_values_round_trip_through_signed_storage(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    with CrawlState.open(path) as state:
        record(state, url(1), "fp1", text="Breaking")
    # A one-shingle text whose hash has the top bit set: a long text's smallest values do not.
    values = sketch(shingle_hashes("Breaking"), SKETCH_SIZE)
    assert len(values) == 1 and values[0] >= 1 << 63
    assert [to_unsigned(key) for key in _stored_keys(path, 1)] == values


def _stored_keys(path: Path, story_id: int) -> list[int]:
    with raw(path) as conn:
        rows = conn.execute("SELECT key FROM story_sketch WHERE story_id = ?", (story_id,))
        return sorted(int(key) for (key,) in rows)


# -- the candidate index --------------------------------------------------------------------------


def test_the_candidate_query_reads_only_the_key_index(path: Path) -> None:
    CrawlState.open(path).close()
    with raw(path) as conn:
        plan = _plan(conn, candidate_query(SKETCH_SIZE), [*range(SKETCH_SIZE), MAX_CANDIDATES])
    assert not [step for step in plan if step.startswith("SCAN")]
    assert [step for step in plan if step.startswith("SEARCH")] == [
        "SEARCH story_sketch USING COVERING INDEX story_sketch_key (key=?)"
    ]


def _plan(conn: sqlite3.Connection, sql: str, params: list[object]) -> list[str]:
    return [str(row[3]) for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]


def _synthetic(rng: random.Random, vocabulary: list[str], length: int) -> str:
    return " ".join(rng.choice(vocabulary) for _ in range(length))


def test_the_lookup_stays_small_as_the_stories_grow(path: Path) -> None:
    """2,000 distinct stories over a small vocabulary (so shingles do recur between them): an
    unrelated text matches a handful of sketch rows, not a share of the 32,000."""
    rng = random.Random(20240501)
    vocabulary = [f"w{n}" for n in range(400)]
    with CrawlState.open(path) as state:
        for n in range(2000):
            text = _synthetic(rng, vocabulary, 120)
            assert record(state, url(n), f"fp{n}", text=text, min_overlap=OVERLAP).kind == "new"
    query = sketch_keys(shingle_hashes(_synthetic(rng, vocabulary, 120)))
    placeholders = ", ".join("?" * len(query))
    with raw(path) as conn:
        assert scalar(path, "SELECT count(*) FROM story_sketch") == 2000 * SKETCH_SIZE
        matched = conn.execute(
            f"SELECT count(*) FROM story_sketch WHERE key IN ({placeholders})", query
        ).fetchone()[0]
        assert matched <= 5
        assert len(near_candidates(conn, query)) <= matched
        # A copy of one of them still finds it first, among as few rows.
        copy = _synthetic(random.Random(20240501), vocabulary, 120)
        assert near_candidates(conn, sketch_keys(shingle_hashes(copy)))[0] == (1, SKETCH_SIZE)


# -- near copies confirmed by their text ----------------------------------------------------------


def _lead(state: CrawlState, n: int, text: str) -> StoryResult:
    """Record ``text`` as a story of its own (no min_overlap: never near-linked)."""
    return record(state, url(n), f"fp-{n}", text=text)


def _link(path: Path, text: str, *, overlap: float = OVERLAP) -> StoryResult:
    """What link_story decides for a new URL with ``text``, rolled back afterwards."""
    with raw(path) as conn:
        conn.execute("BEGIN")
        try:
            return link_story(
                conn,
                url=url("new"),
                fingerprint="fp-new",
                now="2024-05-01T12:00:00.000000+00:00",
                shingles=shingle_hashes(text),
                leads=LeadShingles(),
                min_overlap=overlap,
            )
        finally:
            conn.rollback()


def _forge_sketch(path: Path, story_id: int, keys: list[int]) -> None:
    """Give a story these sketch values, as a chance match would."""
    with raw(path) as conn:
        conn.execute("DELETE FROM story_sketch WHERE story_id = ?", (story_id,))
        conn.executemany(
            "INSERT INTO story_sketch (story_id, key) VALUES (?, ?)",
            [(story_id, key) for key in keys],
        )
        conn.commit()


def test_a_reworded_copy_joins_its_story(path: Path) -> None:
    with CrawlState.open(path) as state:
        lead = _lead(state, 1, FLOOD_WIRE)
        _lead(state, 2, WIRE)
    assert _link(path, FLOOD_COPY) == StoryResult("duplicate", lead.story_id, url(1))


def test_a_different_story_on_the_same_topic_stays_apart(path: Path) -> None:
    with CrawlState.open(path) as state:
        _lead(state, 1, FLOOD_WIRE)
    with raw(path) as conn:
        # A candidate (they share a stock phrase's sketch value), which the text check refuses.
        assert [
            story for story, _ in near_candidates(conn, sketch_keys(shingle_hashes(FLOOD_OTHER)))
        ] == [1]
    assert _link(path, FLOOD_OTHER).kind == "new"
    assert _link(path, FLOOD_OTHER, overlap=0.05).kind == "duplicate"


def test_the_seed_renderings_link_once_the_chrome_is_gone(path: Path) -> None:
    chrome_free, clean = seed_pair()
    with CrawlState.open(path) as state:
        lead = _lead(state, 1, clean)
    assert _link(path, chrome_free) == StoryResult("duplicate", lead.story_id, url(1))


def test_the_best_overlap_wins_over_the_most_shared_values(path: Path) -> None:
    with CrawlState.open(path) as state:
        # Its first four paragraphs with another story: 0.56 overlap, sharing every value.
        opening = "\n\n".join(FLOOD_WIRE.split("\n\n")[:4])
        _lead(state, 1, opening + "\n\n" + FLOOD_OTHER)
        best = _lead(state, 2, FLOOD_WIRE)
    _forge_sketch(path, 1, sketch_keys(shingle_hashes(FLOOD_COPY)))
    with raw(path) as conn:
        assert [
            story for story, _ in near_candidates(conn, sketch_keys(shingle_hashes(FLOOD_COPY)))
        ] == [
            1,
            2,
        ]
    assert _link(path, FLOOD_COPY, overlap=0.9).kind == "new"
    assert _link(path, FLOOD_COPY, overlap=0.7) == StoryResult("duplicate", best.story_id, url(2))
    assert _link(path, FLOOD_COPY) == StoryResult("duplicate", best.story_id, url(2))


def test_only_the_best_candidates_texts_are_read(path: Path) -> None:
    keys = sketch_keys(shingle_hashes(FLOOD_WIRE))
    with CrawlState.open(path) as state:
        for n in range(MAX_CANDIDATES + 4):
            _lead(state, n, f"unrelated story number {n}")
    for n in range(MAX_CANDIDATES + 4):
        _forge_sketch(path, n + 1, keys[: n % 8 + 1])  # shares 1..8 of the values
    reads: list[str] = []
    with raw(path) as conn:
        shared = [count for _, count in near_candidates(conn, keys)]
        conn.set_trace_callback(reads.append)
        assert (
            near_copy(conn, shingle_hashes(FLOOD_WIRE), keys, OVERLAP, leads=LeadShingles()) is None
        )
        conn.set_trace_callback(None)
        plan = _plan(conn, "SELECT json_extract(json, '$.text') FROM articles WHERE url = ?", ["x"])
    assert shared == [8, 7, 6, 5, 4, 4, 3, 3]  # the stories sharing 1 or 2 are never read
    assert sum("FROM articles" in statement for statement in reads) == MAX_CANDIDATES
    assert plan == ["SEARCH articles USING INDEX sqlite_autoindex_articles_1 (url=?)"]


def test_a_lead_without_stored_text_confirms_nothing(path: Path) -> None:
    with CrawlState.open(path) as state:
        _lead(state, 1, FLOOD_WIRE)
    with raw(path) as conn:
        conn.execute("UPDATE articles SET json = json_remove(json, '$.text')")
        conn.commit()
        assert lead_text(conn, url(1)) == ""
    assert _link(path, FLOOD_WIRE + " more").kind == "new"


def test_near_copies_on_one_site_stay_apart(state: CrawlState) -> None:
    """Two articles of one site share its chrome; that alone must not make them one story."""
    lead = record(state, url(1, "one.test"), "fp1", text=FLOOD_WIRE)
    copy = record(state, url(2, "one.test"), "fp2", text=FLOOD_WIRE + " Corrected.",
                  min_overlap=OVERLAP)  # fmt: skip
    assert copy.kind == "new"
    assert copy.story_id != lead.story_id
    # The same text on another site is a syndicated copy of one of them.
    elsewhere = record(state, url(3), "fp3", text=FLOOD_WIRE + " Corrected.", min_overlap=OVERLAP)
    assert elsewhere.kind == "duplicate"
    assert elsewhere.story_id in {lead.story_id, copy.story_id}


def test_lead_cache_stays_bounded_and_reads_a_forgotten_lead_from_its_text(path: Path) -> None:
    with CrawlState.open(path) as state:
        _lead(state, 1, FLOOD_WIRE)
        _lead(state, 2, WIRE)
    leads = LeadShingles(capacity=1)
    leads.put(1, shingle_hashes(FLOOD_WIRE))
    leads.put(2, shingle_hashes(WIRE))  # story 1 falls out
    with raw(path) as conn:
        conn.execute("UPDATE articles SET json = json_set(json, '$.text', ?) WHERE url = ?",
                     (FLOOD_OTHER, url(1)))  # fmt: skip
        # Story 2 comes from the cache (its stored text is not read), story 1 from its text.
        assert set(leads.get(conn, 2, url(2))) == shingle_hashes(WIRE)
        assert set(leads.get(conn, 1, url(1))) == shingle_hashes(FLOOD_OTHER)
        conn.execute("UPDATE articles SET json = json_set(json, '$.text', '') WHERE url = ?",
                     (url(1),))  # fmt: skip
        assert set(leads.get(conn, 1, url(1))) == shingle_hashes(FLOOD_OTHER)  # now cached
