"""Linking an article to a story: the same text, or nearly the same text, is one story.

A story's lead is the first URL recorded with it; its simhash is the lead's. A new article joins
an existing story when some recorded URL has exactly its content fingerprint, or else when a
story's simhash is within ``max_distance`` bits of its own (the closest such story wins).

The near lookup never scans the stories table. Each simhash is stored as four 16-bit bands, each
indexed. If two hashes differ in at most d bits, one band differs in at most d // 4 of them
(otherwise the four bands would add up to more than d), so searching every band for its own
value and each variant with up to d // 4 bits flipped finds every match. For d <= 3 that is an
exact lookup per band; d = 4..7 needs 17 values per band, and the config's maximum of 16 needs
2517 per band and matches a sizeable share of the table: above ~8 bits the "index" buys little,
as near-duplicate search at that distance is inherently broad.

Every function here runs inside the caller's transaction.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from dataclasses import dataclass

from scraper.crawl.simhash import hamming
from scraper.crawl.state_schema import BAND_BITS, BANDS, bands, to_signed, to_unsigned


@dataclass(frozen=True, slots=True)
class StoryResult:
    """How a recorded article relates to what was seen before.

    kind: "new" (first of its story), "duplicate" (joined an existing story), "updated" (the same
    URL again with different content), "unchanged" (the same URL, the same content).
    of_url: the story's lead URL when that is another URL (the record this one copies), else None.
    """

    kind: str
    story_id: int
    of_url: str | None


# Bands are interpolated from range(BANDS) only; every value is a bound parameter.
NEAR_QUERY = "SELECT id, lead_url, simhash FROM stories WHERE " + " OR ".join(
    f"band{band} IN (SELECT value FROM json_each(?))" for band in range(BANDS)
)


def link_story(
    conn: sqlite3.Connection,
    *,
    url: str,
    fingerprint: str,
    simhash: int,
    max_distance: int,
    now: str,
) -> StoryResult:
    """Find or make the story of ``url``'s new content (before the URL row is updated)."""
    previous = conn.execute(
        "SELECT fingerprint, story_id FROM urls WHERE url = ?", (url,)
    ).fetchone()
    if previous is not None and previous[1] is not None:
        return _relink(conn, url, fingerprint, simhash, previous)
    match = _same_fingerprint(conn, url, fingerprint) or near_story(conn, simhash, max_distance)
    if match is not None:
        story_id, lead_url = match
        return StoryResult("duplicate", story_id, lead_url)
    (story_id,) = conn.execute(
        "INSERT INTO stories (lead_url, simhash, band0, band1, band2, band3, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (url, to_signed(simhash), *bands(simhash), now),
    ).fetchone()
    return StoryResult("new", int(story_id), None)


def _relink(
    conn: sqlite3.Connection,
    url: str,
    fingerprint: str,
    simhash: int,
    previous: tuple[str | None, int],
) -> StoryResult:
    """A URL recorded before keeps its story, whatever its new content."""
    old_fingerprint, story_id = previous
    (lead_url,) = conn.execute("SELECT lead_url FROM stories WHERE id = ?", (story_id,)).fetchone()
    of_url = None if lead_url == url else str(lead_url)
    if old_fingerprint == fingerprint:
        return StoryResult("unchanged", story_id, of_url)
    if of_url is None:
        # The story is known by its lead's text: copies of the corrected text should join it.
        conn.execute(
            "UPDATE stories SET simhash = ?, band0 = ?, band1 = ?, band2 = ?, band3 = ? "
            "WHERE id = ?",
            (to_signed(simhash), *bands(simhash), story_id),
        )
    return StoryResult("updated", story_id, of_url)


def _same_fingerprint(
    conn: sqlite3.Connection, url: str, fingerprint: str
) -> tuple[int, str] | None:
    row = conn.execute(
        "SELECT s.id, s.lead_url FROM urls AS u JOIN stories AS s ON s.id = u.story_id "
        "WHERE u.fingerprint = ? AND u.url != ? ORDER BY s.id LIMIT 1",
        (fingerprint, url),
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def near_story(conn: sqlite3.Connection, simhash: int, max_distance: int) -> tuple[int, str] | None:
    """The story whose simhash is closest to ``simhash``, if within ``max_distance`` bits."""
    if max_distance < 0:
        return None
    flips = max_distance // BANDS
    params = [json.dumps(band_variants(value, flips)) for value in bands(simhash)]
    best: tuple[int, int, str] | None = None
    for story_id, lead_url, stored in conn.execute(NEAR_QUERY, params):
        distance = hamming(simhash, to_unsigned(stored))
        candidate = (distance, int(story_id), str(lead_url))
        if distance <= max_distance and (best is None or candidate < best):
            best = candidate
    return None if best is None else (best[1], best[2])


def band_variants(value: int, flips: int) -> list[int]:
    """``value`` and every value that differs from it in 1..flips of its BAND_BITS bits."""
    variants = [value]
    for count in range(1, flips + 1):
        for positions in itertools.combinations(range(BAND_BITS), count):
            flipped = value
            for position in positions:
                flipped ^= 1 << position
            variants.append(flipped)
    return variants
