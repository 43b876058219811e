"""Refuse HTML whose shape makes the parsers quadratic (or just huge), before any parser sees it.

lexbor (selectolax) and libxml2 (trafilatura's lxml) both do linear work per element in two
places: a start tag scans the stack of open elements ("has a p element in button scope"), and
each attribute is compared with the tag's earlier ones. Measured with lexbor on this machine:
100,000 nested ``<div>`` took 21 s to parse and one tag with 50,000 attributes 12 s, while a
million flat ``<a>`` tags took 1.4 s. Browsers cap the same thing (Chromium's parser stops
nesting at depth 512). Neither parser has a depth or attribute limit we could set, so this is
one linear pass of our own over the tags, estimating both figures (and the element count);
the limits are far above any real page (the 181 pages of the article-extraction benchmark
peak at depth 49, 64 attributes and 1,737 elements) and far below the sizes where the
parsers slow down.

Every regex here reads each byte a bounded number of times (no backtracking blow-up), so the
pass is linear in the page: ~1 ms for a typical 170 KB page.
"""

from __future__ import annotations

import operator
import re
from itertools import accumulate, compress

from scraper.errors import ExtractError

PATHOLOGICAL_HTML = "pathological_html"
MAX_DEPTH = 2_000  # lexbor's cost grows with depth squared: ~8 ms here
MAX_ATTRIBUTES = 1_000  # per tag; ~5 ms of duplicate checks
# Flat pages are parsed in linear time, but extraction's trees and passes still grow with them:
# 10^6 <a> tags took 700 MiB in 2 s and would take minutes. Real pages have a few thousand
# elements (the benchmark's largest: 1,737).
MAX_ELEMENTS = 100_000

# Script and style text is not markup ("a<b" in JavaScript is no tag), so the exact pass cuts
# it out first. An element left open runs to the end of the page, as in a browser; each match
# ends where the next search starts, so even a page of unclosed <script> tags costs one pass.
_RAW_TEXT = re.compile(
    r"<(script|style|textarea|title|xmp|noembed|noframes)\b(?:.*?</\1|.*)",
    re.IGNORECASE | re.DOTALL,
)
_TAG = re.compile(r"<(/?[A-Za-z][A-Za-z0-9:_-]*)")
_START_TAG = re.compile(r"<[A-Za-z]")
# Elements that never take an end tag, or whose end tag may be left out (the parser closes
# them itself): counting them would make ordinary pages look deep.
_NOT_NESTING = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr", "param", "keygen", "basefont", "bgsound", "frame", "image",
    "html", "head", "body", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th",
    "thead", "tbody", "tfoot", "colgroup", "caption", "rb", "rt", "rtc", "rp",
})  # fmt: skip
# Attributes take at least two characters each (a name and a space), so only a tag longer
# than this can hold too many.
_LONG_TAG = 2 * MAX_ATTRIBUTES
# A start tag at least that long (a superset of what _most_attributes measures: it also matches
# a run that holds a "<"), found in one C-level scan, each character read once per "<".
_LONG_TAG_START = re.compile(rf"<[A-Za-z][^>]{{{_LONG_TAG}}}")
# One attribute: a name, then maybe "=" and a value; quoted values are skipped whole, so a
# long JSON or class list inside one attribute counts once.
_ATTRIBUTE = re.compile(r"""[^\s"'=/<>]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>]*))?""")


class _Steps(dict[str, int]):
    """Depth change of a tag token ("div" +1, "/div" -1, "br" 0), lower-cased, memoised."""

    def __missing__(self, token: str) -> int:
        name = token.removeprefix("/")
        step = 0 if name in _NOT_NESTING else -1 if token.startswith("/") else 1
        self[token] = step
        return step


_STEPS = _Steps()


def check_html_shape(
    html: str, url: str | None = None, *, max_elements: int | None = MAX_ELEMENTS
) -> None:
    """Raise ExtractError(code="pathological_html") for more than ``max_elements`` elements,
    nesting deeper than MAX_DEPTH or a tag with more than MAX_ATTRIBUTES attributes.

    A quick pass over the whole page runs first (~1 ms for a typical page); only a page it
    finds suspect is measured again without its script and style text, which is slower."""
    element_cap = max_elements if max_elements is not None else len(html)
    elements = _elements(html)
    if (
        elements <= element_cap
        # Nesting needs a start tag per level, and many attributes need a long tag: most pages
        # are cleared by these two cheap bounds without measuring either.
        and (elements <= MAX_DEPTH or _deepest(html) <= MAX_DEPTH)
        and (_LONG_TAG_START.search(html) is None or _most_attributes(html) <= MAX_ATTRIBUTES)
    ):
        return
    elements, deepest, attributes = html_shape(html)
    if elements > element_cap:
        message = f"more than {element_cap} elements ({elements})"
    elif attributes > MAX_ATTRIBUTES:
        message = f"a tag has more than {MAX_ATTRIBUTES} attributes ({attributes})"
    elif deepest > MAX_DEPTH:
        message = f"elements are nested more than {MAX_DEPTH} deep ({deepest})"
    else:
        return  # script text made the page look worse than it is
    raise ExtractError(message, url=url, code=PATHOLOGICAL_HTML)


def html_shape(html: str) -> tuple[int, int, int]:
    """(elements, deepest nesting, most attributes on one long tag) of the page's markup,
    estimated."""
    markup = _RAW_TEXT.sub("", html)
    return _elements(markup), _deepest(markup), _most_attributes(markup)


def _elements(markup: str) -> int:
    return len(_START_TAG.findall(markup))


def _deepest(markup: str) -> int:
    # Depth after each tag is the running sum of steps minus its lowest point so far: a stray
    # end tag closes nothing, so a page opening with 10^5 "</div>" cannot hide 10^5 "<div>".
    steps = map(_STEPS.__getitem__, map(str.lower, _TAG.findall(markup)))
    depths = list(accumulate(steps, initial=0))
    return int(max(map(operator.sub, depths, accumulate(depths, min))))


def _most_attributes(markup: str) -> int:
    most = 0
    pieces = markup.split(">")
    # Only a piece longer than a long tag can end in one: picked out without a Python loop.
    for piece in compress(pieces, map(_LONG_TAG.__lt__, map(len, pieces))):
        start = piece.rfind("<")
        if len(piece) - start > _LONG_TAG and start >= 0:
            attributes = sum(1 for _ in _ATTRIBUTE.finditer(piece, start + 1))
            most = max(most, attributes - 1)  # the first "attribute" is the tag's name
    return most
