"""Simhash: a 64-bit fingerprint that moves only a few bits when a text changes a little.

Charikar's construction over word 3-shingles. Each shingle is hashed to 64 bits; bit i of the
result is set when more shingles have bit i set than not. Two texts sharing most shingles
therefore agree on most bits, and ``hamming`` counts the bits they disagree on.

Words are taken after NFKC folding and casefolding, and only runs of word characters count, so
punctuation, curly vs straight quotes, dashes and whitespace never change the hash. What moves
it is a change of words: the expected distance is about 64 * angle / pi, where the angle is
between the two texts' shingle-count vectors. Replacing ~1% of the shingles costs ~3 bits, ~5%
costs ~6-7 bits. Measured on a 209-word story (tests/crawl/test_simhash.py): one word changed
5 bits, a short line added 3, a sentence reworded 8; unrelated stories sit near 32. Real
syndicated copies are reworded in several places: two renderings of one wire story measured 10
and 13 bits apart. Linking at ~16 bits alone would not do: two random hashes are that close
with p ~ 4e-5, a few chance matches per article against 100,000 stories, and no index finds
hashes 16 bits apart without reading a large share of them. So story linking does not use the
simhash (it is kept per URL): ``sketch`` picks candidates, and ``containment`` of the texts decides.

``containment`` compares the sets of word 3-shingles: |A & B| / min(|A|, |B|). Dividing by the
smaller set makes a shortened copy (a teaser, a copy without the last paragraphs) or a copy with
a line added still score high, where Jaccard would be pulled down by the difference in length.

``sketch`` keeps the k smallest shingle hashes of a text (a bottom-k MinHash sketch): two texts
share a sketch value only by sharing that shingle, so an index on the values finds the texts
that may share many shingles with a new one (state_stories.py explains the choice of k).

The shingle hash is blake2b, not ``hash()``: the value is stored across runs and processes, and
``hash()`` of a str is salted per process.
"""

from __future__ import annotations

import hashlib
import heapq
import re
import unicodedata
from collections.abc import Iterator

BITS = 64
SHINGLE_WORDS = 3
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The text's words, folded: "Mali’s" and "MALI'S" both give ["mali", "s"]."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def _shingles(tokens: list[str]) -> Iterator[str]:
    if len(tokens) < SHINGLE_WORDS:
        # A text shorter than one shingle still deserves a non-zero, stable hash.
        if tokens:
            yield " ".join(tokens)
        return
    for start in range(len(tokens) - SHINGLE_WORDS + 1):
        yield " ".join(tokens[start : start + SHINGLE_WORDS])


def _feature_hash(shingle: str) -> int:
    digest = hashlib.blake2b(shingle.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def simhash(text: str) -> int:
    """64-bit simhash of ``text`` (0 for a text without words). Stable across processes."""
    hashes = [_feature_hash(shingle) for shingle in _shingles(words(text))]
    if not hashes:
        return 0
    # One binary string per hash, then count the '1's per column: zip and tuple.count run in C,
    # which is far faster than testing 64 bits of every hash in a Python loop.
    columns = zip(*(format(value, "064b") for value in hashes), strict=True)
    result = 0
    for column in columns:
        # A tie leaves the bit clear, so the result does not depend on shingle order.
        result = (result << 1) | (2 * column.count("1") > len(hashes))
    return result


def hamming(a: int, b: int) -> int:
    """How many of the 64 bits differ between two simhashes."""
    return (a ^ b).bit_count()


def shingles(text: str) -> frozenset[str]:
    """The set of the text's word 3-shingles, folded as for the simhash."""
    return frozenset(_shingles(words(text)))


def sketch(shingle_set: frozenset[str], size: int) -> list[int]:
    """The ``size`` smallest 64-bit hashes of the shingles (fewer for a shorter text), ascending.
    The hash is the simhash's own, so the values are stable across processes."""
    return heapq.nsmallest(size, {_feature_hash(shingle) for shingle in shingle_set})


def containment(first: frozenset[str], second: frozenset[str]) -> float:
    """Share of the smaller shingle set found in the larger one: 0.0 (none, or an empty set)
    to 1.0 (one text's shingles all occur in the other)."""
    smaller = min(len(first), len(second))
    return len(first & second) / smaller if smaller else 0.0
