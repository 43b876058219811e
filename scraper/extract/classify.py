"""Which parts of the pruned page are the article: the block scorer's verdict, and its fallbacks.

The page is cut into segments (``segment``) and each is scored (``scorer``); the segments at or
above the model's threshold are the article, in page order. Two cases fall back to trafilatura:
a site whose rules name its body element (the site's word outranks any guess), and a page where
the scorer keeps a short text (an unusual layout, or a very short story) and trafilatura finds
more (any more under an article's least words, twice as much above it). A page that declares
no article and reads as a list of headlines linking elsewhere is a section front, and is
refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from scraper.config import ExtractSettings
from scraper.errors import NoContentError
from scraper.extract import rules
from scraper.extract.body import Block, main_blocks
from scraper.extract.metadata import Metadata
from scraper.extract.names import CATEGORIES, categories_of
from scraper.extract.prune import Pruned
from scraper.extract.scorer import block_model
from scraper.extract.segment import Frame, Segment, Segmentation, segment
from scraper.extract.text import key

# A text this short gets a second opinion from trafilatura (measured out of fold on the pages
# the scorer was trained on: the scorer's worst misses are short texts beside a long body;
# 150 words gained 0.0015 more there than 100, for a trafilatura run on half again as many pages).
_SECOND_OPINION_WORDS = 100
_FRONT_MIN_HEADLINES = 5
_HEADLINE_LINK_SHARE = 0.8  # a heading this much link text is a teaser's headline
_CARD_LEVELS = 3  # a teaser's card is at most this many levels above its headline ...
_CARD_SEGMENTS = 6  # ... and holds at most this many segments
# Kept text outside the teasers of this many words could be a story of its own beside them (the
# default least words of an article, ExtractSettings.min_words).
_FRONT_MAX_BODY_WORDS = 25
_TEASER_WORDS = 50  # a teaser is a headline and a sentence or two
# A block of links under its heading: a few segments, a good share of them link text.
_LINK_BLOCK_SHARE = 0.3
_LINK_BLOCK_SEGMENTS = 12
# Boxes whose name is verdict enough (see _box).
_BOX_BITS = sum(1 << CATEGORIES.index(name) for name in ("newsletter", "cookie-banner"))
# Name categories that tell a reader why a block went, most telling first.
_REASONS = (
    "comments", "share", "newsletter", "cookie-banner", "advertisement", "recirculation",
    "navigation", "sidebar", "footer", "tags", "author", "article-header", "caption", "hidden",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Chosen:
    """The page's blocks in order, each with None (article text) or the rule that dropped it,
    and whether the scorer chose them (else trafilatura did: its blocks are all article text
    so far, and the text rules still have their say). The dropped blocks stay in the sequence
    so that the text rules see the page as it was: a "Latest Stories" heading the scorer
    dropped still opens the run of headlines under it."""

    blocks: list[Block]
    marks: list[str | None] = field(default_factory=list)
    scored: bool = False


def article_blocks(
    pruned: Pruned,
    settings: ExtractSettings,
    url: str,
    meta: Metadata,
    headlines: Sequence[str] = (),
) -> Chosen:
    """What of ``pruned`` is the article. ``headlines`` are the page's title and ``<h1>``s
    (see ``is_section_front``)."""
    if pruned.narrowed:  # the site's own body selector outranks any guess
        blocks = main_blocks(pruned.html, settings, url)
        return Chosen(blocks, [None] * len(blocks))
    root = pruned.root
    if root is None:
        return Chosen([])
    seg = segment(root)
    result, chosen = _verdicts(seg, settings)
    if not meta.declares_article and is_section_front(seg, chosen, headlines):
        raise NoContentError("a list of links to stories (section front), not an article", url=url)
    kept_words = sum(s.block.words for s in chosen)
    if kept_words < _SECOND_OPINION_WORDS:
        fallback = main_blocks(pruned.html, settings, url)
        # under the least words of an article, any more is better; above it, a short story
        # is believed unless trafilatura finds much more (the scorer missed the body's bulk)
        enough = kept_words if kept_words < settings.min_words else 2 * kept_words
        if sum(b.words for b in fallback) > enough:
            return Chosen(fallback, [None] * len(fallback))
    return result


def _verdicts(seg: Segmentation, settings: ExtractSettings) -> tuple[Chosen, list[Segment]]:
    """Every segment in order with its mark, and the segments kept."""
    model = block_model()
    link_blocks = _link_blocks(seg)
    reasons: dict[int, str] = {}  # by frame: the segments of an element share its reason
    result = Chosen([], [], scored=True)
    chosen: list[Segment] = []
    for item, score in zip(seg.segments, model.scores(seg), strict=True):
        if item.block.kind == "row" and not settings.include_tables:
            mark: str | None = "settings:tables"
        elif score >= model.threshold:
            mark = _box(item.frame, link_blocks, seg.chars)
        else:
            mark = reasons.get(item.frame.index) or reasons.setdefault(
                item.frame.index, _reason(item.frame)
            )
        if mark is None:
            chosen.append(item)
            lines = _lines(item.block)
            result.blocks.extend(lines)
            result.marks.extend([None] * len(lines))
        else:
            result.blocks.append(item.block)
            result.marks.append(mark)
    return result, chosen


def _link_blocks(seg: Segmentation) -> set[int]:
    """The small elements that open with a "Related links"-like heading and hold a good share
    of link text: the heading names the block, and whatever rides along in it (a disclaimer, a
    source line) goes with its links."""
    found = set()
    for i, item in enumerate(seg.segments):
        block, holder = item.block, item.frame.parent
        if block.kind != "head" or len(block.text) > rules.LABEL_MAX_CHARS or holder is None:
            continue
        opens = i == 0 or not _within(seg.segments[i - 1].frame, {holder.index})
        if (
            opens
            and holder.segments <= _LINK_BLOCK_SEGMENTS
            and holder.links >= _LINK_BLOCK_SHARE * holder.chars
            and rules.RECIRCULATION_HEADINGS.match(block.text)
        ):
            found.add(holder.index)
    return found


def is_section_front(
    seg: Segmentation, chosen: Sequence[Segment], headlines: Sequence[str] = ()
) -> bool:
    """Headlines that link to other stories, and what was kept is their teasers.

    A teaser is the small element around a linked headline (its card: headline, a sentence or
    two of blurb, a time). A story beside a rail of teasers keeps paragraphs of its own outside
    any card; a listicle whose paragraphs each sit in a component has no linked headlines in
    them; a post whose own headline links to itself is no teaser (``headlines``: the page's
    title and ``<h1>``s).
    """
    own = {key(h) for h in headlines if key(h)}
    teasers = [
        s
        for s in seg.segments
        if s.block.kind == "head" and _linked(s.block) and key(s.block.text) not in own
    ]
    if len(teasers) < _FRONT_MIN_HEADLINES:
        return False
    cards = {_card(s.frame).index for s in teasers}
    outside = sum(s.block.words for s in chosen if not _within(s.frame, cards))
    if outside >= _FRONT_MAX_BODY_WORDS:
        return False
    words = sum(s.block.words for s in chosen)
    return words <= _TEASER_WORDS * len(cards)


def _linked(block: Block) -> bool:
    return block.link_share >= _HEADLINE_LINK_SHARE


def _card(frame: Frame) -> Frame:
    """The largest element around a headline that is still one teaser (a few segments)."""
    card = frame
    for _ in range(_CARD_LEVELS):
        parent = card.parent
        if parent is None or parent.segments > _CARD_SEGMENTS:
            break
        card = parent
    return card


def _within(frame: Frame, ancestors: set[int]) -> bool:
    node: Frame | None = frame
    while node is not None:
        if node.index in ancestors:
            return True
        node = node.parent
    return False


def _lines(block: Block) -> list[Block]:
    """A segment broken by ``<br>`` is one paragraph per line, as a reader sees it."""
    if "\n" not in block.text:
        return [block]
    lines = block.text.split("\n")
    share = block.link_chars / len(block.text)
    return [replace(block, text=line, link_chars=round(share * len(line))) for line in lines]


def _box(frame: Frame, link_blocks: set[int], page_chars: int) -> str | None:
    """The rule for a kept block inside a box that is chrome by its name or its heading; only a
    small element counts (a wrapper holding much of the page merely has an unlucky name).
    Sign-up and consent boxes sit inside the article column and read like prose, so the scorer
    may keep them; measured on the benchmark pages, dropping them costs no article text."""
    node: Frame | None = frame
    while node is not None and node.chars <= rules.WRAPPER_SHARE * page_chars:
        if node.names & _BOX_BITS:
            return f"named:{categories_of(node.names & _BOX_BITS)[0]}"
        if node.index in link_blocks:
            return "chrome:recirculation"
        node = node.parent
    return None


def _reason(frame: Frame) -> str:
    """The rule name --explain shows: what the nearest named element above calls itself."""
    if frame.tag == "h1":
        return "scorer:headline"
    node: Frame | None = frame
    while node is not None:
        if node.names:
            found = set(categories_of(node.names))
            reason = next((r for r in _REASONS if r in found), None)
            if reason is not None:
                return f"scorer:{reason}"
        node = node.parent
    return "scorer:boilerplate"
