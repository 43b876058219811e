"""Word 3-shingles of an article's text, hashed: what story linking compares.

Words are taken after NFKC folding and casefolding, and only runs of word characters count, so
punctuation, curly vs straight quotes, dashes and whitespace never change a shingle. Each
shingle is hashed to 64 bits with blake2b, not ``hash()``: the values are stored across runs
and processes, and ``hash()`` of a str is salted per process. A text is then its set of shingle
hashes. Two different shingles collide with p ~ 2**-64 per pair: with a thousand shingles a text,
never in practice, so comparing hashes is comparing shingles.

The hashes are made once, in the extraction worker that produced the text (pool.py), so the
crawl's event loop only compares sets of integers.

``containment`` compares two texts: |A & B| / min(|A|, |B|). Dividing by the smaller set makes a
shortened copy (a teaser, a copy without the last paragraphs) or a copy with a line added still
score high, where Jaccard would be pulled down by the difference in length. Measured on the
project's seeds, two renderings of one wire story share 0.79-0.90; different stories on one
topic 0.10 or less.

``sketch`` keeps the k smallest hashes of a text (a bottom-k MinHash sketch): two texts share a
sketch value only by sharing that shingle, so an index on the values finds the texts that may
share many shingles with a new one (state_stories.py explains the choice of k).
"""

from __future__ import annotations

import hashlib
import heapq
import re
import struct
import unicodedata
from collections.abc import Collection, Iterable

SHINGLE_WORDS = 3
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The text's words, folded: "Mali’s" and "MALI'S" both give ["mali", "s"]."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def _shingles(tokens: list[str]) -> set[bytes]:
    """The distinct shingles of ``tokens``, UTF-8 encoded (surrogates passed through)."""
    if not tokens:
        return set()
    # Words hold no spaces, so one encoding of the joined words, split at the spaces, gives
    # each word's bytes for a fraction of the cost of encoding every shingle on its own.
    encoded = " ".join(tokens).encode("utf-8", "surrogatepass").split(b" ")
    if len(encoded) < SHINGLE_WORDS:
        # A text shorter than one shingle is still something to compare.
        return {b" ".join(encoded)}
    return set(map(b" ".join, zip(*(encoded[i:] for i in range(SHINGLE_WORDS)), strict=False)))


def shingle_hashes(text: str) -> frozenset[int]:
    """The 64-bit hashes of the text's word 3-shingles (empty for a text without words).
    Stable across processes and runs."""
    shingles = _shingles(words(text))
    digests = b"".join([hashlib.blake2b(s, digest_size=8).digest() for s in shingles])
    # Each digest read as a big-endian integer, all in one call.
    return frozenset(struct.unpack(f">{len(shingles)}Q", digests))


def sketch(hashes: Iterable[int], size: int) -> list[int]:
    """The ``size`` smallest of ``hashes`` (fewer for a shorter text), ascending."""
    return heapq.nsmallest(size, hashes)


def containment(first: frozenset[int], second: Collection[int]) -> float:
    """Share of the smaller text's shingles found in the other: 0.0 (none, or an empty text)
    to 1.0 (one text's shingles all occur in the other)."""
    smaller = min(len(first), len(second))
    if not smaller:
        return 0.0
    return sum(1 for value in second if value in first) / smaller
