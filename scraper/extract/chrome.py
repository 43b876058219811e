"""Apply the text rules of ``rules`` to extracted blocks; record every block that goes.

Each pass looks at the blocks from one angle (the top of the story, each block alone, lists,
recirculation runs) and marks the blocks it rejects with the name of its rule. A
block keeps the first mark it gets, so the most specific pass runs first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from scraper.extract import rules
from scraper.extract.body import Block
from scraper.extract.repeats import mark_repeats
from scraper.extract.text import key
from scraper.models import DroppedBlock

_TOP = 4  # the headline, kicker, byline and date line all come in the first few blocks
_NO_WORD = re.compile(r"^[\W_]*$")
# Every literal some ask pattern needs (ASK_LITERALS); None when a rule has no prefilter.
_ANY_ASK_LITERAL: tuple[str, ...] | None = (
    None
    if any(literals is None for literals in rules.ASK_LITERALS.values())
    else tuple({lit for literals in rules.ASK_LITERALS.values() if literals for lit in literals})
)


def strip_chrome(
    blocks: Sequence[Block],
    headlines: Sequence[str],
    site_patterns: Sequence[re.Pattern[str]] = (),
    *,
    scored: bool = False,
    marks: Sequence[str | None] = (),
) -> tuple[list[Block], list[DroppedBlock]]:
    """Split ``blocks`` into article blocks and dropped blocks (with the rule that dropped each).

    ``site_patterns`` are the site's own ``drop_text`` rules, compiled. ``scored`` blocks were
    chosen by the block scorer, which has already weighed what the text rules say of each block
    (they are among its features): of those only the headline furniture, widget labels
    ("Audio By ...", "Advertisement") and recirculation runs go here, as measured on the
    benchmark pages the rest cut more article text than chrome from what the scorer kept.
    ``marks`` are the rules that already dropped blocks (the scorer's), None for the others.
    """
    marks = list(marks) if marks else [None] * len(blocks)
    _mark_top_of_story(blocks, {key(h) for h in headlines if key(h)}, marks)
    for i, block in enumerate(blocks):
        if marks[i] is None:
            own = _label_only(block) if scored else block_rule(block)
            marks[i] = own or _site_rule(block, site_patterns)
    if not scored:
        _mark_link_lists(blocks, marks)
    _mark_recirculation(blocks, marks)
    if not scored:
        _mark_menu_runs(blocks, marks)
    mark_repeats(blocks, marks)
    kept = [b for b, mark in zip(blocks, marks, strict=True) if mark is None]
    dropped = [DroppedBlock(m, b.text) for b, m in zip(blocks, marks, strict=True) if m]
    return kept, dropped


def _mark_top_of_story(
    blocks: Sequence[Block], headline_keys: set[str], marks: list[str | None]
) -> None:
    """``_mark_top`` on the blocks still kept: the story's top is where its kept text starts."""
    kept = [i for i, mark in enumerate(marks) if mark is None]
    view_marks: list[str | None] = [None] * len(kept)
    _mark_top([blocks[i] for i in kept], headline_keys, view_marks)
    for i, mark in zip(kept, view_marks, strict=True):
        marks[i] = mark


def _mark_top(blocks: Sequence[Block], headline_keys: set[str], marks: list[str | None]) -> None:
    """The repeated headline, what sits above it (kicker, section), byline and date line."""
    headline = next(
        (i for i, b in enumerate(blocks) if _is_headline(b.text, headline_keys, top=i < _TOP)),
        None,
    )
    # the furniture lives before the first real paragraph and right under the headline
    first_long = next(
        (i for i, b in enumerate(blocks) if b.words > rules.DATELINE_MAX_WORDS), len(blocks)
    )
    zone = set(range(min(first_long, _TOP)))
    _mark_headline_copies(blocks, headline_keys, marks)
    if headline is not None:
        marks[headline] = "chrome:headline"
        zone |= {headline + 1, headline + 2}
        if headline < _TOP:
            for j in range(headline):  # section labels, never text that merely comes first
                if blocks[j].words <= rules.KICKER_MAX_WORDS:
                    marks[j] = marks[j] or "chrome:kicker"
    for i in sorted(zone):
        if i < len(blocks) and marks[i] is None and blocks[i].words <= rules.DATELINE_MAX_WORDS:
            if rules.BYLINE.match(blocks[i].text):
                marks[i] = "chrome:byline"
            elif rules.DATELINE.search(blocks[i].text):
                marks[i] = "chrome:dateline"


def _mark_headline_copies(
    blocks: Sequence[Block], headline_keys: set[str], marks: list[str | None]
) -> None:
    """Every block at the top that is the headline again, word for word (an <h1> and then a
    title <h2>, as themes print it)."""
    longest = max((k.count(" ") + 1 for k in headline_keys), default=0)
    for i, block in enumerate(blocks[:_TOP]):
        if marks[i] is None and block.words <= longest and key(block.text) in headline_keys:
            marks[i] = "chrome:headline"


def _is_headline(text: str, headline_keys: set[str], *, top: bool) -> bool:
    """Whether ``text`` repeats the headline: exactly anywhere, or at the top also as the part
    of a title that carries a site name before or after it."""
    if not headline_keys:
        return False
    # No key longer than every headline's can match one, and a text's key is never shorter than
    # its beginning's: keying the first words rules out most paragraphs.
    longest = max(map(len, headline_keys))
    k = key(text[: 2 * longest])
    if len(k) > longest:
        return False
    if len(text) > 2 * longest:
        k = key(text)
    if not k:
        return False
    for h in headline_keys:
        if k == h:
            return True
        if top and len(k) >= 20 and len(k) >= 0.5 * len(h) and (h.startswith(k) or h.endswith(k)):
            return True
    return False


def block_rule(block: Block) -> str | None:
    """The text rule that drops this block on its own merits, or None."""
    return _shape_rule(block) or _label_rule(block) or _ask_rule(block)


def _site_rule(block: Block, site_patterns: Sequence[re.Pattern[str]]) -> str | None:
    return next(("site:drop_text" for p in site_patterns if p.search(block.text)), None)


def _shape_rule(block: Block) -> str | None:
    """Blocks that are chrome by their make-up: no words, a row of links, a lone teaser link."""
    if _NO_WORD.match(block.text):
        return "chrome:separator"
    if block.kind != "row" and block.link_share >= 0.5 and rules.LINK_ROW.match(block.text):
        return "chrome:link-row"
    if _is_story_link(block):
        return "chrome:link-only"
    return None


def _label_only(block: Block) -> str | None:
    """A widget's label standing alone as a block ("Listen to this article", "Advertisement")."""
    if len(block.text) > rules.LABEL_MAX_CHARS:  # labels are short; long text never matches
        return None
    for rule, pattern in rules.WIDGET_LABELS:
        if pattern.match(block.text):
            return f"chrome:{rule}"
    return None


def _label_rule(block: Block) -> str | None:
    """Widget labels ("Advertisement", "Listen to this article") and "ALSO READ:" links."""
    if label := _label_only(block):
        return label
    if rules.LINK_LABEL.match(block.text) and (block.link_share >= 0.5 or block.words <= 25):
        return "chrome:link-label"
    return None


def _ask_rule(block: Block) -> str | None:
    """Newsletter, donation, cookie and comment asks, and similar notices, in short blocks."""
    if block.words > rules.ASK_MAX_WORDS or len(block.text) > rules.ASK_MAX_CHARS:
        return None
    text = block.text.lower()
    if _ANY_ASK_LITERAL is not None and not any(map(text.__contains__, _ANY_ASK_LITERAL)):
        return None  # most blocks: one test rules every ask out
    for rule, pattern in rules.ASK_PATTERNS:
        if block.words > rules.ASK_SHORTER.get(rule, rules.ASK_MAX_WORDS):
            continue
        literals = rules.ASK_LITERALS[rule]
        # map, not a generator: this runs for every rule on every short block
        if literals is not None and not any(map(text.__contains__, literals)):
            continue
        if pattern.search(text):
            return f"chrome:{rule}"
    return None


def _is_story_link(block: Block) -> bool:
    """A paragraph that is nothing but a link with a headline-like text: a teaser."""
    return (
        block.kind in ("p", "head")
        and block.link_share >= 0.9
        and 3 <= block.words <= 20
        and not block.text.endswith(".")
    )


def _mark_menu_runs(blocks: Sequence[Block], marks: list[str | None]) -> None:
    """Long runs of one- to few-word lines that open or close the text: a menu or category
    list flattened into text. (Inside the story such a run is more likely a list.)"""
    start = 0
    for end in range(len(blocks) + 1):
        if end < len(blocks) and _is_menu_entry(blocks[end]):
            continue
        at_edge = start == 0 or end == len(blocks)
        if at_edge and end - start >= rules.MENU_RUN:
            for i in range(start, end):
                marks[i] = marks[i] or "chrome:menu"
        start = end + 1


def _is_menu_entry(block: Block) -> bool:
    return (
        block.kind in ("p", "head")
        and block.words <= rules.MENU_ENTRY_WORDS
        and len(block.text) <= rules.MENU_ENTRY_CHARS  # words alone miss unspaced scripts
        and not block.text.endswith((".", "!", "?", ":", ",", "。", "！", "？", "、"))
    )


def _mark_link_lists(blocks: Sequence[Block], marks: list[str | None]) -> None:
    """Lists whose items all link to stories, or mostly do after the last paragraph of prose."""
    items: dict[int, list[int]] = {}
    for i, block in enumerate(blocks):
        if block.kind == "item":
            items.setdefault(block.group, []).append(i)
    last_prose = _last_prose(blocks)
    for members in items.values():
        if len(members) < 3 or any(blocks[i].words > 30 for i in members):
            continue
        shares = [blocks[i].link_share for i in members]
        at_end = members[0] > last_prose
        if min(shares) >= 0.8 or (at_end and sum(shares) / len(shares) >= 0.5):
            for i in members:
                marks[i] = marks[i] or "chrome:link-list"


def _last_prose(blocks: Sequence[Block]) -> int:
    """Index of the last paragraph of running prose (-1 if none)."""
    return max(
        (i for i, b in enumerate(blocks) if b.kind == "p" and b.words >= 30 and b.link_share < 0.5),
        default=-1,
    )


def _mark_recirculation(blocks: Sequence[Block], marks: list[str | None]) -> None:
    """A heading such as "Latest Stories" and the run of story links and times under it."""
    for i, block in enumerate(blocks):
        if not _opens_recirculation(block):
            continue
        end = _recirculation_end(blocks, i + 1, marks)
        if end > i + 1 or end == len(blocks):
            for j in range(i, end):
                marks[j] = marks[j] or "chrome:recirculation"


def _opens_recirculation(block: Block) -> bool:
    return (
        (block.kind == "head" or block.words <= 8)
        and len(block.text) <= rules.LABEL_MAX_CHARS
        and bool(rules.RECIRCULATION_HEADINGS.match(block.text))
    )


def _recirculation_end(blocks: Sequence[Block], start: int, marks: list[str | None]) -> int:
    """Index just past the run of story links (and their times) that follows a heading.

    Blocks already dropped by another rule do not end the run.
    """
    end = start
    first_group = blocks[start].group if start < len(blocks) else -1
    while end < len(blocks):
        if marks[end] is None and not _is_story_item(blocks, end, first_group):
            break
        end += 1
    return end


def _is_story_item(blocks: Sequence[Block], i: int, list_group: int) -> bool:
    """A link to a story, its time, an item of the list, or a headline followed by a time."""
    block = blocks[i]
    if block.link_share >= rules.LINK_BLOCK_SHARE or _relative_time(block):
        return True
    if block.kind == "item" and block.group == list_group and block.words <= 30:
        return True
    timed = i + 1 < len(blocks) and _relative_time(blocks[i + 1])
    return timed and block.words <= 25 and not block.text.endswith(".")


def _relative_time(block: Block) -> bool:
    return len(block.text) <= rules.LABEL_MAX_CHARS and bool(rules.RELATIVE_TIME.match(block.text))
