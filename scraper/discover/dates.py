"""Dates from feeds and sitemaps, all turned into tz-aware UTC datetimes."""

from __future__ import annotations

import calendar
import re
import time
from datetime import UTC, datetime

# W3C Datetime (sitemaps) allows a bare year or year-month, which fromisoformat does not.
_YEAR_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def from_struct_time(value: object) -> datetime | None:
    """feedparser's ``*_parsed`` values are struct_time already in UTC."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def parse_iso(text: object) -> datetime | None:
    """An ISO 8601 / RFC 3339 / W3C Datetime string as UTC; naive times are taken as UTC."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if match := _YEAR_MONTH.match(text):
        text = f"{match.group(1)}-{match.group(2) or '01'}-01"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset falls before datetime.min
        return None
