"""Publication dates: many spellings in, ISO 8601 out, junk rejected.

Output is ``YYYY-MM-DD`` when only a day is known, ``YYYY-MM-DDTHH:MM:SS±HH:MM`` when a time and
its offset are known, and ``YYYY-MM-DDTHH:MM:SS`` (no offset) when the page gives a time but no
zone: inventing UTC would shift the day for half the world. A named zone other than UTC/GMT is not
guessed either; only the day is kept then. Numeric day/month orders such as ``01/05/2024`` are
ambiguous and rejected.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from email.utils import parsedate_to_datetime

logger = logging.getLogger(__name__)

_MIN_YEAR = 1900
# Pages and feeds carry clocks a little ahead (time zones, scheduled posts); beyond that it is junk.
_FUTURE_SLACK = timedelta(days=2)
_EPOCH_DAY = date(1970, 1, 1)  # a zero timestamp rendered as a date: a CMS default, not a date

_TIME = (
    r"(?:[T\s]+(?:at\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?\s*(?P<zone>Z|[+-]\d{2}(?::?\d{2})?|(?:UTC|GMT)(?:[+-]\d{2}(?::?\d{2})?)?"
    r"|[A-Z]{2,5})?)?"
)
_NUMERIC = re.compile(
    r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})" + _TIME + r"$", re.IGNORECASE
)
_MONTH_FIRST = re.compile(
    r"(?:[A-Za-z]+,?\s+)?(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+"
    r"(?P<year>\d{4}),?" + _TIME + r"$",
    re.IGNORECASE,
)
_DAY_FIRST = re.compile(
    r"(?:[A-Za-z]+,?\s+)?(?P<day>\d{1,2})(?:st|nd|rd|th)?\.?\s+(?P<mon>[A-Za-z]{3,9})\.?,?\s+"
    r"(?P<year>\d{4}),?" + _TIME + r"$",
    re.IGNORECASE,
)
_EPOCH = re.compile(r"\d{10}(?:\d{3})?")
_MONTH_NAME = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
# A full date written out in running text: "March 9, 2026", "9 March 2026", "2026-03-09".
_DATE_IN_TEXT = re.compile(
    rf"\b(?:{_MONTH_NAME} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}|\d{{1,2}} {_MONTH_NAME},? \d{{4}}"
    r"|\d{4}-\d{2}-\d{2})\b",
    re.IGNORECASE,
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}


def normalise_date(raw: object) -> str | None:
    """``raw`` as an ISO 8601 string, or None when it is not a plausible date."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > 80:
        return None
    if _EPOCH.fullmatch(text):
        seconds = int(text[:10])
        return _accept(datetime.fromtimestamp(seconds, tz=UTC), with_time=True)
    for pattern in (_NUMERIC, _MONTH_FIRST, _DAY_FIRST):
        found = pattern.match(text)
        if found:
            return _from_match(found)
    return _from_rfc2822(text)


def _from_match(found: re.Match[str]) -> str | None:
    parts = found.groupdict()
    month = _MONTHS.get(parts["mon"].lower()) if parts.get("mon") else int(parts["month"])
    if month is None:
        return None
    try:
        day = date(int(parts["year"]), month, int(parts["day"]))
    except ValueError:  # Feb 30 and friends
        return None
    if parts["hour"] is None:
        return _accept(day, with_time=False)
    clock = _clock(parts)
    zone = _zone(parts["zone"]) if parts["zone"] else None
    if clock is None or (parts["zone"] and zone is None):
        return _accept(day, with_time=False)  # the day is sure, the hour is not
    return _accept(datetime.combine(day, clock, tzinfo=zone), with_time=True)


def _clock(parts: dict[str, str | None]) -> time | None:
    hour, minute = int(parts["hour"] or 0), int(parts["minute"] or 0)
    second = int(parts["second"] or 0)
    ampm = (parts["ampm"] or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    try:
        return time(hour, minute, second)
    except ValueError:
        return None


def _zone(raw: str) -> timezone | None:
    """The offset ``raw`` names; None for names we will not guess ("EST" is three zones)."""
    text = raw.upper().removeprefix("UTC").removeprefix("GMT")
    if text in ("", "Z"):
        return UTC
    found = re.fullmatch(r"([+-])(\d{2}):?(\d{2})?", text)
    if not found:
        return None
    sign = -1 if found[1] == "-" else 1
    delta = timedelta(hours=int(found[2]), minutes=int(found[3] or 0))
    if delta > timedelta(hours=14):
        return None
    return timezone(sign * delta)


def _from_rfc2822(text: str) -> str | None:
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return _accept(parsed, with_time=True)


def _accept(value: date | datetime, *, with_time: bool) -> str | None:
    now = datetime.now(UTC)
    if isinstance(value, datetime):
        day = value.date()
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        too_late = aware > now + _FUTURE_SLACK
    else:
        day = value
        too_late = day > (now + _FUTURE_SLACK).date()
    if too_late or day.year < _MIN_YEAR or day == _EPOCH_DAY:
        return None
    if with_time and isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    return day.isoformat()


def date_in_text(text: str) -> str | None:
    """The first plausible full date written in ``text`` (ISO 8601), or None."""
    for found in _DATE_IN_TEXT.finditer(text):
        day = normalise_date(found.group(0))
        if day:
            return day
    return None


def guess_published(html: str | None, url: str) -> str | None:
    """Last resort for the publication date: htmldate's quick search (markup and URL). Its
    extensive search (dates anywhere in the text) gets under one point more of the WCXB dates
    right, at ~30 ms on each page that reaches it: a third of the extractor's time."""
    if not html:
        return None
    from htmldate import find_date  # heavy import, needed only for pages without date metadata

    try:
        found = find_date(
            html,
            url=url or None,
            extensive_search=False,
            original_date=True,
            outputformat="%Y-%m-%d",
        )
    except Exception:  # third-party heuristics: their failure must not cost the other fields
        logger.debug("htmldate failed on %s", url, exc_info=True)
        return None
    return normalise_date(found)
