"""How good an extraction looks, and whether the page was an article at all.

``score`` turns what the extractor saw into a number in [0, 1] and the reasons that lowered it,
so a cron job can flag a bad record without a person reading it. Each reason costs a fixed
amount (see ``PENALTIES``); a clean article scores 1.0.

``non_article`` names the pages that are not articles however their text is cut: error pages
served with status 200, JavaScript-only shells and consent walls. It is asked only about pages
that yield little text, so it never costs a real article anything; the page is parsed again
then, because pruning has already thrown away what gives these pages away (``<noscript>``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

from scraper.models import DroppedBlock

__all__ = ["PENALTIES", "SUSPECT_WORDS", "TEASER_MAX_WORDS", "Signals", "non_article", "score"]

# What each reason takes off the score.
PENALTIES: dict[str, float] = {
    "too_short": 0.3,
    "link_dense": 0.3,
    "teaser_or_truncated": 0.4,
    "missing_title": 0.15,
    "missing_date": 0.1,
}
SUSPECT_WORDS = 150  # fewer words than this, and the page is checked for being no article
_SHORT_WORDS = 150
_LINK_DENSE = 0.25  # share of the body's characters that are link text
_TRUNCATED_SHARE = 0.6  # body shorter than this share of what the page says it holds
_TEASER_END_CHARS = 200
_TRUNCATED_MIN_GAP = 50  # ... and at least this many words short
TEASER_MAX_WORDS = 400  # a paywall notice beside a longer body is the site's markup, not a cut
_SHORT_JS_WORDS = 50  # a shell may still show a header and a footer

# The end of a teaser: an ask to pay or click for the rest, or an ellipsis.
_TEASER_END = re.compile(
    r"(?:\.\.\.|…|\[…\]|\[\.\.\.\])\W*$"
    r"|\b(?:subscribe|sign in|log in|register|sign up)\b.{0,30}\bto (?:continue|keep) reading\W*$"
    r"|\b(?:continue|keep) reading\W*$|\bread (?:more|the (?:full|rest of the|whole) \w+)\W*$",
    re.IGNORECASE,
)
# A paywall notice, wherever it was (it is usually dropped as chrome).
_PAYWALL = re.compile(
    r"\b(?:subscribe|sign in|log in|register)\b.{0,30}\bto (?:continue|keep) reading\b"
    r"|\bto (?:continue|keep) reading,? (?:subscribe|sign in|log in|register|become)\b"
    r"|\bunlock (?:this|the full) (?:article|story)\b"
    r"|\b(?:this|the rest of this) (?:article|story|content) is (?:only )?(?:for|available to|"
    r"reserved for|exclusive to) (?:paying )?(?:subscribers|members)\b",
    re.IGNORECASE,
)
# Words that every match of _PAYWALL holds, and every match of _TEASER_END without an ellipsis
# ("read"). Looking for them in the lowercased text spares most texts the regexes, which open
# on \b and so are tried at every position. Under re.IGNORECASE "i" also matches "ı" and "İ",
# and "s" matches "ſ", where lower() keeps them apart: a text holding one goes to the regex.
_PAYWALL_WORDS = ("reading", "unlock", "subscribers", "members")
_FOLDED_LETTERS = ("ı", "İ", "ſ")
_ERROR_TITLE = re.compile(
    r"^\W*(?:error\W*)?(?:404|410)\W*$|^\W*not found\W*$"
    r"|\b(?:error|page|not found)\b.{0,30}\b(?:404|410)\b"
    r"|\b(?:404|410)\b.{0,30}\b(?:error|page|not found)\b"
    r"|\b(?:page|article|story|content|file|url) (?:was |could |can )?not (?:be )?found\b"
    r"|\bpage (?:does not|doesn['’]t|no longer) exists?\b",
    re.IGNORECASE,
)
_ERROR_TEXT = re.compile(
    r"\b(?:the )?page you (?:are|were|'re|requested|tried)\b.{0,40}\b(?:not (?:be )?found|"
    r"(?:does not|doesn['’]t|no longer) exists?|(?:been )?(?:re)?moved|unavailable)\b"
    r"|\b(?:we )?(?:can['’]t|cannot|couldn['’]t|could not) find (?:the|that|this) page\b",
    re.IGNORECASE,
)
_JS_NOTICE = re.compile(
    r"\byou need to enable javascript\b|\bjavascript is (?:required|disabled|not enabled|"
    r"turned off)\b|\brequires? javascript\b|\bwithout javascript enabled\b"
    r"|\bjavascript (?:must|needs to) be (?:enabled|turned on)\b"
    r"|\b(?:enable|turn on|activate) javascript (?:to|in|and)\b(?! view (?:the )?comments)",
    re.IGNORECASE,
)
_CONSENT = re.compile(
    r"\bcookies?\b|\bconsent\b|\blegitimate interest|\bpersonali[sz]ed (?:ads|advertising|content)"
    r"|\b(?:accept|agree|reject|allow) all\b|\bprivacy (?:settings|preferences|choices|policy)\b"
    r"|\bmanage (?:your )?(?:privacy |cookie )?(?:choices|preferences|options|settings)\b"
    r"|\bour (?:\d+ )?(?:partners|vendors)\b",
    re.IGNORECASE,
)
_CONSENT_KINDS = 2  # a wall names cookies or consent in more than one way
_WALL_MAX_WORDS = 500  # a consent wall or a shell shows little else
_SILENT = ["script", "style", "template", "svg"]


@dataclass(frozen=True, slots=True)
class Signals:
    """What the extractor saw, as far as the score needs it."""

    text: str
    words: int
    link_chars: int = 0  # characters of the body that were link text
    title: str | None = None
    published: str | None = None
    expected_words: int | None = None  # JSON-LD wordCount, or the words of its articleBody
    dropped: Sequence[DroppedBlock] = ()
    # the text of the pruned page, for bodies under TEASER_MAX_WORDS (else not needed): a
    # paywall barrier is often left out by trafilatura rather than dropped by a rule
    page_text: str = ""


def score(signals: Signals) -> tuple[float, tuple[str, ...]]:
    """The quality score in [0, 1] and the reasons that lowered it, in PENALTIES order."""
    found = {
        "too_short": signals.words < _SHORT_WORDS,
        "link_dense": len(signals.text) > 0
        and signals.link_chars >= _LINK_DENSE * len(signals.text),
        "teaser_or_truncated": _truncated(signals),
        "missing_title": not signals.title,
        "missing_date": not signals.published,
    }
    reasons = tuple(reason for reason in PENALTIES if found[reason])
    value = max(0.0, 1.0 - sum(PENALTIES[reason] for reason in reasons))
    return round(value, 2), reasons


def _truncated(signals: Signals) -> bool:
    """Ends like a teaser, is much shorter than the page says, or sat beside a paywall."""
    last = signals.text.rstrip().rsplit("\n", 1)[-1]
    if _teaser_end(last):
        return True
    expected = signals.expected_words or 0
    if (
        signals.words < _TRUNCATED_SHARE * expected
        and expected - signals.words >= _TRUNCATED_MIN_GAP
    ):
        return True
    if signals.words >= TEASER_MAX_WORDS:
        return False
    return _paywall(signals.page_text) or any(_paywall(block.text) for block in signals.dropped)


def _teaser_end(last: str) -> bool:
    last = last[-_TEASER_END_CHARS:]  # an ending is read off the last words only (linear time)
    if "..." not in last and "…" not in last and "read" not in last.lower():
        return False
    return _TEASER_END.search(last) is not None


def _paywall(text: str) -> bool:
    lower = text.lower()
    if not any(map(lower.__contains__, _PAYWALL_WORDS)) and not any(
        map(text.__contains__, _FOLDED_LETTERS)
    ):
        return False
    return _PAYWALL.search(text) is not None


def non_article(page_html: str, headings: Sequence[str], text: str) -> str | None:
    """Why the page is not an article (for NoContentError), or None. ``headings`` are the
    page's title and ``<h1>``s; ``text`` is the body the extractor found, if any."""
    words = len(text.split())
    if any(_ERROR_TITLE.search(h) for h in headings if h):
        return "an error page (its title says the page was not found), not an article"
    visible, hidden = _page_text(page_html)
    if _ERROR_TEXT.search(visible) and words < SUSPECT_WORDS:
        return "an error page (it says the page was not found), not an article"
    if _JS_NOTICE.search(hidden) and (_JS_NOTICE.search(text) or words < _SHORT_JS_WORDS):
        return "a JavaScript-only page (it asks to enable JavaScript and shows no article)"
    if _is_consent_wall(visible, text):
        return "a consent wall (cookie and consent text, no article)"
    return None


def _is_consent_wall(visible: str, text: str) -> bool:
    if len(visible.split()) > _WALL_MAX_WORDS:  # the cheaper test first
        return False
    kinds = {m.group(0).lower().rstrip("s") for m in _CONSENT.finditer(visible)}
    if len(kinds) < _CONSENT_KINDS:
        return False
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    consent = sum(bool(_CONSENT.search(p)) for p in paragraphs)
    return consent * 2 >= len(paragraphs)


def _page_text(page_html: str) -> tuple[str, str]:
    """(the text a reader sees, that text plus what ``<noscript>`` holds), spaces collapsed."""
    tree = LexborHTMLParser(page_html)
    tree.strip_tags(_SILENT, recursive=True)
    root = tree.body or tree.root
    if root is None:
        return "", ""
    everything = " ".join(root.text(separator=" ").split())
    for node in root.css("noscript"):
        node.decompose()
    return " ".join(root.text(separator=" ").split()), everything
