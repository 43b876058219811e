"""Linking an article to a story: the same text, or a copy of the same text, is one story.

A story's lead is the first URL recorded with it. A new article joins an existing story when some
recorded URL has exactly its content fingerprint, or else (given ``min_overlap``) when it is a
near copy of a story's lead: the two texts share sketch values (a candidate) and the word
3-shingle containment of the texts is at least ``min_overlap`` (a copy). Of the confirmed
candidates the highest containment wins, then the most shared sketch values, then the oldest.

Candidates come from a bottom-k sketch: the SKETCH_SIZE smallest shingle hashes of the lead's
text (shingles.sketch), stored in story_sketch and indexed by value. For shingle sets A and B, let
U be the k smallest hashes of A | B. A value of U that lies in A & B is among the k smallest of
A and of B alike, so it is in both sketches; and U is a uniform random k-subset of A | B, so the
texts share at least a hypergeometric count with mean k * J, J = |A & B| / |A | B|, and
P(no shared value) <= (1 - J) ** k. With containment c of the smaller text and length ratio
r <= 1, J = c * r / (1 + r - c * r). At the threshold c = 0.5 and equal lengths J = 1/3: with
k = 16 a copy is missed with p <= (2/3) ** 16 ~ 0.0015; the measured copies (c 0.79-0.90,
similar lengths, J ~ 0.65-0.8) with p < 1e-7; a copy of half the length wholly contained
(J = 0.5) with p ~ 1.5e-5, a quarter-length teaser (J = 0.25) with p ~ 0.01. k = 16 keeps the
misses at the threshold rare for 16 rows and 16 index probes per story; a copy much shorter than
its lead (a teaser) is found less reliably.

Unrelated texts share a sketch value only by sharing its shingle (a stock phrase), so the
candidate query reads the index entries of the new text's k values and little else: not a share
of the table. The most-shared stories come first, so a copy (several shared values) is not
crowded out by chance matches (one). Only the MAX_CANDIDATES best candidates' leads are
compared, their shingle hashes taken from LeadShingles, a bounded cache filled as stories are
made, or on a miss from the lead's text, read by its primary key: the check never scans the
articles table. Without ``min_overlap`` only
the exact fingerprint links; the sketch is stored either way, so later copies can find the story.

Every function here runs inside the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit

from scraper.crawl.shingles import containment, shingle_hashes, sketch
from scraper.crawl.state_schema import to_signed


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


# The near lookup reads at most this many candidates' texts, most shared sketch values first.
MAX_CANDIDATES = 8
# Sketch values per story (k): see the module docstring for the miss probabilities.
SKETCH_SIZE = 16
# Leads whose shingle hashes stay in memory: ~6 KB each for a 750-word story, ~12 MB in all.
LEAD_CACHE_SIZE = 2048


class LeadShingles:
    """The shingle hashes of story leads, by story id, most recently used kept (LRU).

    A near-copy check compares a new text with a few candidate leads. Hashing a lead's text
    again for every check would cost more than all the rest of recording an article; stories
    made in this run are cached as they are made, older ones on first use. Stored as arrays of
    unsigned 64-bit integers, a sixth of the memory of a set of Python ints."""

    def __init__(self, capacity: int = LEAD_CACHE_SIZE) -> None:
        self._capacity = capacity
        self._leads: OrderedDict[int, array[int]] = OrderedDict()

    def get(self, conn: sqlite3.Connection, story_id: int, lead_url: str) -> Collection[int]:
        cached = self._leads.get(story_id)
        if cached is not None:
            self._leads.move_to_end(story_id)
            return cached
        hashes = shingle_hashes(lead_text(conn, lead_url))
        self.put(story_id, hashes)
        return hashes

    def put(self, story_id: int, hashes: frozenset[int]) -> None:
        self._leads[story_id] = array("Q", hashes)
        self._leads.move_to_end(story_id)
        while len(self._leads) > self._capacity:
            self._leads.popitem(last=False)

    def forget(self, story_id: int) -> None:
        self._leads.pop(story_id, None)


# The key placeholders are the only interpolation: "?" repeated, every value a bound parameter.
_CANDIDATES = (
    "SELECT story_id, count(*) AS shared FROM story_sketch WHERE key IN ({keys}) "
    "GROUP BY story_id ORDER BY shared DESC, story_id LIMIT ?"
)


def candidate_query(count: int) -> str:
    """The candidate query for ``count`` sketch values (then the row limit) as parameters."""
    return _CANDIDATES.format(keys=", ".join("?" * count))


def link_story(
    conn: sqlite3.Connection,
    *,
    url: str,
    fingerprint: str,
    now: str,
    shingles: frozenset[int],
    leads: LeadShingles,
    min_overlap: float | None = None,
) -> StoryResult:
    """Find or make the story of ``url``'s new content (before the URL row is updated).

    ``shingles`` are the article text's shingle hashes: a new story's sketch is made from
    them. With ``min_overlap`` a story whose lead shares that much of its text takes it
    (near_copy); without it only an exact fingerprint match does. ``leads`` caches the leads'
    shingle hashes (and learns the new story's).
    """
    previous = conn.execute(
        "SELECT fingerprint, story_id FROM urls WHERE url = ?", (url,)
    ).fetchone()
    if previous is not None and previous[1] is not None:
        return _relink(
            conn,
            url=url,
            fingerprint=fingerprint,
            shingles=shingles,
            leads=leads,
            previous=previous,
        )
    match = _same_fingerprint(conn, url, fingerprint)
    if match is not None:
        return StoryResult("duplicate", match[0], match[1])
    keys = sketch_keys(shingles)
    if min_overlap is not None:
        match = near_copy(conn, shingles, keys, min_overlap, leads=leads, host=_host(url))
        if match is not None:
            return StoryResult("duplicate", match[0], match[1])
    (story_id,) = conn.execute(
        "INSERT INTO stories (lead_url, created_at) VALUES (?, ?) RETURNING id", (url, now)
    ).fetchone()
    store_sketch(conn, int(story_id), keys)
    leads.put(int(story_id), shingles)
    return StoryResult("new", int(story_id), None)


def _relink(
    conn: sqlite3.Connection,
    *,
    url: str,
    fingerprint: str,
    shingles: frozenset[int],
    leads: LeadShingles,
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
        conn.execute("DELETE FROM story_sketch WHERE story_id = ?", (story_id,))
        store_sketch(conn, story_id, sketch_keys(shingles))
        leads.put(story_id, shingles)
    return StoryResult("updated", story_id, of_url)


def store_sketch(conn: sqlite3.Connection, story_id: int, keys: list[int]) -> None:
    conn.executemany(
        "INSERT INTO story_sketch (story_id, key) VALUES (?, ?)", [(story_id, key) for key in keys]
    )


def sketch_keys(shingles: frozenset[int]) -> list[int]:
    """The text's sketch as stored: SKETCH_SIZE values, signed."""
    return [to_signed(value) for value in sketch(shingles, SKETCH_SIZE)]


def _same_fingerprint(
    conn: sqlite3.Connection, url: str, fingerprint: str
) -> tuple[int, str] | None:
    row = conn.execute(
        "SELECT s.id, s.lead_url FROM urls AS u JOIN stories AS s ON s.id = u.story_id "
        "WHERE u.fingerprint = ? AND u.url != ? ORDER BY s.id LIMIT 1",
        (fingerprint, url),
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def near_candidates(conn: sqlite3.Connection, keys: list[int]) -> list[tuple[int, int]]:
    """(story id, shared values) of the MAX_CANDIDATES stories sharing the most of ``keys``
    (ties: oldest story first)."""
    if not keys:
        return []
    rows = conn.execute(candidate_query(len(keys)), [*keys, MAX_CANDIDATES])
    return [(int(story_id), int(shared)) for story_id, shared in rows]


def near_copy(
    conn: sqlite3.Connection,
    mine: frozenset[int],
    keys: list[int],
    min_overlap: float,
    *,
    leads: LeadShingles,
    host: str | None = None,
) -> tuple[int, str] | None:
    """(story id, lead URL) of the story whose lead text shares at least ``min_overlap`` of the
    word 3-shingle hashes ``mine`` (best overlap, then most shared sketch values, wins).
    ``keys`` is the sketch of ``mine`` (sketch_keys), which picks the candidates.

    Stories led from ``host`` itself are not candidates: two articles of one site share its
    chrome, and on a site whose chrome leaks into the text (until its template is learned)
    that shared chrome alone can pass the overlap. A page a site serves twice is caught by
    its exact fingerprint instead; near copies are a matter between sites (syndication)."""
    best: tuple[float, int, int, str] | None = None
    for story_id, shared in near_candidates(conn, keys):
        (lead_url,) = conn.execute(
            "SELECT lead_url FROM stories WHERE id = ?", (story_id,)
        ).fetchone()
        if host is not None and _host(str(lead_url)) == host:
            continue
        overlap = containment(mine, leads.get(conn, story_id, str(lead_url)))
        # Negated so that min() prefers the higher overlap, then more shared values.
        key = (-overlap, -shared, story_id, str(lead_url))
        if overlap >= min_overlap and (best is None or key < best):
            best = key
    return None if best is None else (best[2], best[3])


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


def lead_text(conn: sqlite3.Connection, lead_url: str) -> str:
    """The stored article text of a story's lead ("" if it has none)."""
    row = conn.execute(
        "SELECT json_extract(json, '$.text') FROM articles WHERE url = ?", (lead_url,)
    ).fetchone()
    return str(row[0]) if row is not None and isinstance(row[0], str) else ""
