"""Turning an Article into bytes: JSON that is always valid UTF-8, and the plain-text rendering."""

from __future__ import annotations

import json
import re
from typing import Any

from scraper.models import Article

# Lone surrogates (e.g. from surrogateescape decoding) cannot be encoded as UTF-8 at all.
_SURROGATE = re.compile("[\ud800-\udfff]")
# json.dumps escapes C0 controls itself but, with ensure_ascii=False, leaves DEL, C1 controls and
# U+2028/U+2029 raw; NEL (U+0085) and U+2028/9 also count as line breaks for str.splitlines(),
# which would split a JSONL record in two.
_JSON_RAW_CONTROL = re.compile("[\x7f-\x9f\u2028\u2029]")
# Control characters other than tab and newline have no business in a plain-text article.
_TEXT_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def scrub(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)


def _escape_control(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def to_json(value: Any, *, indent: int | None = None) -> str:
    """JSON text with no raw control characters that encodes to UTF-8 without error."""
    separators = (",", ": ") if indent else (",", ":")
    raw = json.dumps(value, ensure_ascii=False, indent=indent, separators=separators)
    # Safe on the whole document: outside strings JSON is plain ASCII, so every match is
    # inside a string literal.
    return scrub(_JSON_RAW_CONTROL.sub(_escape_control, raw))


def json_document(article: Article) -> bytes:
    return (to_json(article.to_dict(), indent=2) + "\n").encode("utf-8")


def jsonl_line(article: Article) -> bytes:
    return (to_json(article.to_dict()) + "\n").encode("utf-8")


def clean_text(text: str) -> str:
    return _TEXT_CONTROL.sub("", scrub(text))


def render_text(article: Article) -> bytes:
    """Title, a blank line, then the body; just the body when there is no title."""
    title = " ".join(clean_text(article.title or "").split())  # the title must stay one line
    body = clean_text(article.text).strip()
    return ("\n\n".join(part for part in (title, body) if part) + "\n").encode("utf-8")
