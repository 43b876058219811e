"""A source's allow/deny regexes (SourceSettings.allow / .deny) as one URL test."""

from __future__ import annotations

import re
from collections.abc import Sequence

from scraper.config import SourceSettings
from scraper.errors import ConfigError


class UrlFilter:
    """Deny wins: a URL matching any deny pattern is refused. If there are allow patterns, a
    URL must also match one of them. Patterns are applied with ``re.search`` to the URL as
    given (callers pass normalised URLs, so patterns should be written against that form).
    """

    __slots__ = ("_allow", "_deny")

    def __init__(self, allow: Sequence[str], deny: Sequence[str]) -> None:
        self._allow = _compile(allow)
        self._deny = _compile(deny)

    @classmethod
    def from_source(cls, source: SourceSettings) -> UrlFilter:
        return cls(source.allow, source.deny)

    def accepts(self, url: str) -> bool:
        if any(pattern.search(url) for pattern in self._deny):
            return False
        return not self._allow or any(pattern.search(url) for pattern in self._allow)


def _compile(patterns: Sequence[str]) -> tuple[re.Pattern[str], ...]:
    # Settings already validate these; the check repeats here for filters built by hand.
    compiled: list[re.Pattern[str]] = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise ConfigError(f"bad URL pattern {pattern!r}: {exc}") from exc
    return tuple(compiled)
