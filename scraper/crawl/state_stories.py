"""Linking an article to a story: the same text, or a copy of the same text, is one story.

A story's lead is the first URL recorded with it; its simhash is the lead's. A new article joins
an existing story when some recorded URL has exactly its content fingerprint, or else when it is
a near copy of a story's lead: the story's simhash is within ``max_distance`` bits of its own (a
candidate), and the word 3-shingle containment of the two texts is at least ``min_overlap``
(a copy). Of the confirmed candidates the highest containment wins, then the closest simhash.

Why both: syndicated copies are reworded and re-punctuated, so they sit 10-13 bits apart
(measured in tests/crawl/test_state_stories.py), where unrelated stories are ~30-34 apart; a
threshold that reaches real copies (16 by default) also admits chance matches, which the text
check removes. Only the candidates' lead texts are read, each by its primary key, and only for
the MAX_CANDIDATES closest: the check never scans the articles table. Without a text (a caller
that has none) the simhash decides alone, as it did before the check existed; keep
``max_distance`` small (~3) for such callers.

The near lookup never scans the stories table. Each simhash is stored as four 16-bit bands, each
indexed. If two hashes differ in at most d bits, one band differs in at most d // 4 of them
(otherwise the four bands would add up to more than d), so searching every band for its own
value and each variant with up to d // 4 bits flipped finds every match. For d <= 3 that is an
exact lookup per band; d = 4..7 needs 17 values per band, and the config's maximum of 16 needs
2517 per band and matches a sizeable share of the table (~15% of the rows are fetched and their
distance computed): above ~8 bits the "index" buys little, as near-duplicate search at that
distance is inherently broad.

Every function here runs inside the caller's transaction.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from dataclasses import dataclass

from scraper.crawl.simhash import containment, hamming, shingles
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


# The near lookup reads at most this many candidates' texts, closest first. Chance matches sit
# at the far edge of the threshold, so a real copy (closer) is not crowded out by them.
MAX_CANDIDATES = 8

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
    text: str | None = None,
    min_overlap: float | None = None,
) -> StoryResult:
    """Find or make the story of ``url``'s new content (before the URL row is updated).

    ``text`` (the article's text) and ``min_overlap`` come together: with them a near story
    must also share that much of its lead's text; without them the simhash decides alone.
    """
    if (text is None) != (min_overlap is None):
        raise ValueError("text and min_overlap are given together or not at all")
    previous = conn.execute(
        "SELECT fingerprint, story_id FROM urls WHERE url = ?", (url,)
    ).fetchone()
    if previous is not None and previous[1] is not None:
        return _relink(conn, url, fingerprint, simhash, previous)
    match = _same_fingerprint(conn, url, fingerprint)
    if match is None and text is not None and min_overlap is not None:
        match = near_copy(conn, simhash, max_distance, text, min_overlap)
    elif match is None:
        match = near_story(conn, simhash, max_distance)
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


def near_stories(
    conn: sqlite3.Connection, simhash: int, max_distance: int
) -> list[tuple[int, int, str]]:
    """(distance, story id, lead URL) of every story within ``max_distance`` bits, closest
    first (ties: oldest story first)."""
    if max_distance < 0:
        return []
    flips = max_distance // BANDS
    params = [json.dumps(band_variants(value, flips)) for value in bands(simhash)]
    found = []
    for story_id, lead_url, stored in conn.execute(NEAR_QUERY, params):
        distance = hamming(simhash, to_unsigned(stored))
        if distance <= max_distance:
            found.append((distance, int(story_id), str(lead_url)))
    return sorted(found)


def near_story(conn: sqlite3.Connection, simhash: int, max_distance: int) -> tuple[int, str] | None:
    """The story whose simhash is closest to ``simhash``, if within ``max_distance`` bits."""
    found = near_stories(conn, simhash, max_distance)
    return None if not found else (found[0][1], found[0][2])


def near_copy(
    conn: sqlite3.Connection, simhash: int, max_distance: int, text: str, min_overlap: float
) -> tuple[int, str] | None:
    """The story ``text`` is a copy of: a simhash candidate whose lead text shares at least
    ``min_overlap`` of its word 3-shingles with ``text`` (best overlap, then closest, wins)."""
    candidates = near_stories(conn, simhash, max_distance)[:MAX_CANDIDATES]
    if not candidates:
        return None
    mine = shingles(text)
    best: tuple[float, int, int, str] | None = None
    for distance, story_id, lead_url in candidates:
        overlap = containment(mine, shingles(lead_text(conn, lead_url)))
        # Negated so that min() prefers the higher overlap, then the smaller distance.
        key = (-overlap, distance, story_id, lead_url)
        if overlap >= min_overlap and (best is None or key < best):
            best = key
    return None if best is None else (best[2], best[3])


def lead_text(conn: sqlite3.Connection, lead_url: str) -> str:
    """The stored article text of a story's lead ("" if it has none)."""
    row = conn.execute(
        "SELECT json_extract(json, '$.text') FROM articles WHERE url = ?", (lead_url,)
    ).fetchone()
    return str(row[0]) if row is not None and isinstance(row[0], str) else ""


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
