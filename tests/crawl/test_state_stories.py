"""Story linking: new, duplicate (exact, or a near copy its text confirms), updated, unchanged."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from scraper.config import CrawlSettings
from scraper.crawl.simhash import hamming, simhash
from scraper.crawl.state import CrawlState, StoryResult
from scraper.crawl.state_schema import to_unsigned
from scraper.crawl.state_stories import (
    MAX_CANDIDATES,
    NEAR_QUERY,
    band_variants,
    lead_text,
    link_story,
    near_copy,
    near_story,
)
from tests.crawl.state_support import BASE_HASH, HOUR, T0, raw, record, scalar, url, url_row
from tests.crawl.test_simhash import FLOOD_COPY, FLOOD_OTHER, FLOOD_WIRE, WIRE, seed_pair

FAR_HASH = ~BASE_HASH & (1 << 64) - 1  # differs in all 64 bits


def _flip(value: int, *bits: int) -> int:
    for bit in bits:
        value ^= 1 << bit
    return value


@pytest.fixture
def state(tmp_path: Path) -> Iterator[CrawlState]:
    with CrawlState.open(tmp_path / "crawl.sqlite") as opened:
        yield opened


def test_first_article_makes_a_new_story(state: CrawlState) -> None:
    assert record(state, url(1), "fp1") == StoryResult("new", 1, None)
    assert record(state, url(2), "fp2", FAR_HASH) == StoryResult("new", 2, None)


def test_same_fingerprint_under_another_url_is_a_duplicate(state: CrawlState) -> None:
    lead = record(state, url(1), "fp1")
    # The exact match wins even though the simhash (computed by the caller) is far away.
    assert record(state, url(2), "fp1", FAR_HASH) == StoryResult("duplicate", lead.story_id, url(1))
    # A copy of the copy still points at the story's lead.
    assert record(state, url(3), "fp1", FAR_HASH) == StoryResult("duplicate", lead.story_id, url(1))


def test_simhash_within_max_distance_is_a_duplicate(state: CrawlState) -> None:
    lead = record(state, url(1), "fp1")
    near = _flip(BASE_HASH, 0, 17, 63)  # 3 bits, in three different bands
    assert record(state, url(2), "fp2", near) == StoryResult("duplicate", lead.story_id, url(1))
    four_off = _flip(BASE_HASH, 1, 18, 40, 62)
    assert record(state, url(3), "fp3", four_off).kind == "new"
    assert record(state, url(4), "fp4", four_off, max_distance=4).kind == "duplicate"


def test_max_distance_zero_links_only_equal_hashes(state: CrawlState) -> None:
    record(state, url(1), "fp1")
    assert record(state, url(2), "fp2", _flip(BASE_HASH, 5), max_distance=0).kind == "new"
    assert record(state, url(3), "fp3", BASE_HASH, max_distance=0).kind == "duplicate"


def test_closest_story_wins(state: CrawlState) -> None:
    first = record(state, url(1), "fp1")
    second = record(state, url(2), "fp2", _flip(BASE_HASH, 0, 1, 2, 3, 4, 5), max_distance=0)
    query = _flip(BASE_HASH, 0, 1, 2, 3, 4)  # 5 bits from the first, 1 from the second
    result = record(state, url(3), "fp3", query, max_distance=8)
    assert (first.story_id, result) == (1, StoryResult("duplicate", second.story_id, url(2)))


def test_same_url_same_content_is_unchanged(state: CrawlState) -> None:
    lead = record(state, url(1), "fp1")
    record(state, url(2), "fp1")
    assert record(state, url(1), "fp1", at=T0 + HOUR) == StoryResult("unchanged", 1, None)
    assert record(state, url(2), "fp1", at=T0 + HOUR) == StoryResult("unchanged", 1, url(1))
    assert lead.story_id == 1


def test_same_url_new_content_is_updated_and_keeps_its_story(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    corrected = _flip(FAR_HASH, 3)
    with CrawlState.open(path) as state:
        record(state, url(1), "fp1")
        record(state, url(2), "fp2", _flip(BASE_HASH, 9))
        assert record(state, url(1), "fp1b", corrected) == StoryResult("updated", 1, None)
        assert record(state, url(2), "fp2b", FAR_HASH) == StoryResult("updated", 1, url(1))
        # The story now goes by its lead's corrected text: its copies join it, the old text not.
        assert record(state, url(3), "fp3", _flip(corrected, 60)).kind == "duplicate"
        assert record(state, url(4), "fp4", BASE_HASH).kind == "new"
    row = url_row(path, url(1))
    assert row is not None
    assert (row["fingerprint"], to_unsigned(row["simhash"])) == ("fp1b", corrected)


def test_stories_table_holds_one_row_per_story(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    with CrawlState.open(path) as state:
        record(state, url(1), "fp1")
        record(state, url(2), "fp1")
        record(state, url(3), "fp3", FAR_HASH)
    assert scalar(path, "SELECT count(*) FROM stories") == 2
    with raw(path) as conn:
        linked = dict(conn.execute("SELECT url, story_id FROM articles").fetchall())
    assert linked == {url(1): 1, url(2): 1, url(3): 2}


def test_high_bit_hashes_round_trip_through_signed_storage(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite"
    top = (1 << 64) - 1
    with CrawlState.open(path) as state:
        record(state, url(1), "fp1", top)
        assert record(state, url(2), "fp2", _flip(top, 63)).kind == "duplicate"
    assert to_unsigned(scalar(path, "SELECT simhash FROM stories")) == top


def test_band_variants_flip_up_to_the_given_bits() -> None:
    assert band_variants(0b1010, 0) == [0b1010]
    one = band_variants(0, 1)
    assert sorted(one) == [0] + [1 << bit for bit in range(16)]
    assert len(band_variants(0xFFFF, 4)) == 1 + 16 + 120 + 560 + 1820
    assert all(hamming(0xBEEF, value) <= 2 for value in band_variants(0xBEEF, 2))


def test_near_lookup_finds_exactly_what_a_full_scan_finds(tmp_path: Path) -> None:
    """The band index must miss nothing at any distance the config allows (0-16)."""
    rng = random.Random(20240501)
    stored = [rng.getrandbits(64) for _ in range(150)]
    path = tmp_path / "crawl.sqlite"
    with CrawlState.open(path) as state:
        for n, value in enumerate(stored):
            record(state, url(n), f"fp{n}", value, max_distance=0)
    queries = [
        _flip(rng.choice(stored), *rng.sample(range(64), rng.randint(0, 18))) for _ in range(40)
    ]
    with raw(path) as conn:
        for query in queries:
            for distance in (0, 1, 3, 4, 7, 8, 12, 16):
                assert near_story(conn, query, distance) == _scan(stored, query, distance)


def _scan(stored: list[int], query: int, distance: int) -> tuple[int, str] | None:
    # Story ids follow insertion order: the n-th stored hash is story n + 1, led by url(n).
    best = min((hamming(query, value), n + 1) for n, value in enumerate(stored))
    return (best[1], url(best[1] - 1)) if best[0] <= distance else None


def test_near_lookup_uses_the_band_indexes(tmp_path: Path) -> None:
    CrawlState.open(tmp_path / "crawl.sqlite").close()
    with raw(tmp_path / "crawl.sqlite") as conn:
        plan = _plan(conn, NEAR_QUERY, [json.dumps([1, 2, 3])] * 4)
    assert not [step for step in plan if step.startswith("SCAN stories")]
    assert sorted(step for step in plan if step.startswith("SEARCH stories")) == [
        f"SEARCH stories USING INDEX stories_band{band} (band{band}=?)" for band in range(4)
    ]


def _plan(conn: sqlite3.Connection, sql: str, params: list[str]) -> list[str]:
    return [str(row[3]) for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]


# -- near copies confirmed by their text ----------------------------------------------------------

BITS = CrawlSettings().near_duplicate_bits
OVERLAP = CrawlSettings().near_duplicate_overlap


def _lead(state: CrawlState, n: int, text: str, simhash_value: int | None = None) -> StoryResult:
    """Record ``text`` as a story of its own (max_distance -1: never near-linked)."""
    value = simhash(text) if simhash_value is None else simhash_value
    return record(state, url(n), f"fp-{n}", value, max_distance=-1, text=text)


def _link(
    path: Path, text: str, simhash_value: int | None = None, *, overlap: float = OVERLAP
) -> StoryResult:
    """What link_story decides for a new URL with ``text``, rolled back afterwards."""
    value = simhash(text) if simhash_value is None else simhash_value
    with raw(path) as conn:
        conn.execute("BEGIN")
        try:
            return link_story(
                conn,
                url=url("new"),
                fingerprint="fp-new",
                simhash=value,
                max_distance=BITS,
                now="2024-05-01T12:00:00.000000+00:00",
                text=text,
                min_overlap=overlap,
            )
        finally:
            conn.rollback()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "crawl.sqlite"


def test_a_reworded_copy_joins_its_story(path: Path) -> None:
    with CrawlState.open(path) as state:
        lead = _lead(state, 1, FLOOD_WIRE)
        _lead(state, 2, WIRE)
    assert _link(path, FLOOD_COPY) == StoryResult("duplicate", lead.story_id, url(1))


def test_a_different_story_on_the_same_topic_stays_apart(path: Path) -> None:
    with CrawlState.open(path) as state:
        _lead(state, 1, FLOOD_WIRE)
    assert _link(path, FLOOD_OTHER).kind == "new"
    # Even as a simhash candidate (a chance match at distance 0), the text check refuses it.
    assert _link(path, FLOOD_OTHER, simhash(FLOOD_WIRE)).kind == "new"
    assert _link(path, FLOOD_OTHER, simhash(FLOOD_WIRE), overlap=0.05).kind == "duplicate"


def test_the_seed_renderings_link_once_the_chrome_is_gone(path: Path) -> None:
    chrome_free, clean = seed_pair()
    with CrawlState.open(path) as state:
        lead = _lead(state, 1, clean)
    assert _link(path, chrome_free) == StoryResult("duplicate", lead.story_id, url(1))


def test_the_best_overlap_wins_over_the_closest_hash(path: Path) -> None:
    with CrawlState.open(path) as state:
        # Its first four paragraphs with another story: 0.56 overlap, at distance 0.
        opening = "\n\n".join(FLOOD_WIRE.split("\n\n")[:4])
        _lead(state, 1, opening + "\n\n" + FLOOD_OTHER, simhash(FLOOD_COPY))
        best = _lead(state, 2, FLOOD_WIRE, _flip(simhash(FLOOD_COPY), 1, 2, 3, 4, 5, 6))
    assert _link(path, FLOOD_COPY, overlap=0.9).kind == "new"
    assert _link(path, FLOOD_COPY, overlap=0.7) == StoryResult("duplicate", best.story_id, url(2))
    assert _link(path, FLOOD_COPY) == StoryResult("duplicate", best.story_id, url(2))


def test_only_the_closest_candidates_texts_are_read(path: Path) -> None:
    base = simhash(FLOOD_WIRE)
    with CrawlState.open(path) as state:
        for n in range(MAX_CANDIDATES + 4):
            _lead(state, n, f"unrelated story number {n}", _flip(base, *range(n % 8, 8)))
    reads: list[str] = []
    with raw(path) as conn:
        conn.set_trace_callback(reads.append)
        assert near_copy(conn, base, BITS, FLOOD_WIRE, OVERLAP) is None
        conn.set_trace_callback(None)
        plan = _plan(conn, "SELECT json_extract(json, '$.text') FROM articles WHERE url = ?", ["x"])
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


def test_text_and_overlap_come_together(path: Path) -> None:
    CrawlState.open(path).close()
    with raw(path) as conn, pytest.raises(ValueError, match="together"):
        link_story(conn, url=url(1), fingerprint="fp", simhash=0, max_distance=3, now="t", text="x")
