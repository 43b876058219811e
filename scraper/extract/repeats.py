"""Blocks that tell again what another block already told (pull quotes, duplicated
standfirsts, paragraphs printed twice): one of the text rules ``chrome`` applies."""

from __future__ import annotations

from collections.abc import Sequence

from scraper.extract import rules
from scraper.extract.body import Block
from scraper.extract.text import key


def mark_repeats(blocks: Sequence[Block], marks: list[str | None]) -> None:
    """A block whose words all stand in another block once more: a pull quote repeated from the
    body, a standfirst that is the first sentence again, a paragraph printed twice. The longer
    (or, for a copy, the first) telling stays; a repeat needs REPEAT_MIN_WORDS words to be told
    from a common phrase.

    Copies are found anywhere (one dictionary); a block held inside a longer one is looked for
    in the blocks near it and in the story's lead, where pull quotes and standfirsts repeat
    their source: linear in the page, where searching every block for every other is not."""
    keys = [f" {key(b.text)} " if marks[i] is None else "" for i, b in enumerate(blocks)]
    kept = [i for i, k in enumerate(keys) if k.strip()]
    lead = kept[: rules.REPEAT_WINDOW]
    first: dict[str, int] = {}
    for place, i in enumerate(kept):
        k = keys[i]
        if not rules.REPEAT_MIN_WORDS <= blocks[i].words <= rules.REPEAT_MAX_WORDS:
            first.setdefault(k, i)
            continue
        near = kept[max(0, place - rules.REPEAT_WINDOW) : place + rules.REPEAT_WINDOW + 1]
        # copies are the dictionary's business: here only the blocks that are not this one
        around = "".join(keys[j] for j in {*lead, *near} if keys[j] != k)
        if k in first or k in around:
            marks[i] = "chrome:repeated"
        else:
            first[k] = i
