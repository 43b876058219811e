"""Small builders for the pattern tables in ``rules``, and the prefilter that keeps them fast."""

from __future__ import annotations

import re


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def whole(*alternatives: str) -> re.Pattern[str]:
    """A case-insensitive pattern that must match a whole block (trailing punctuation allowed)."""
    body = "|".join(alternatives)
    return re.compile(rf"^\W*(?:{body})[\s:.!…|»›>-]*$", re.IGNORECASE)


def search(*alternatives: str) -> re.Pattern[str]:
    """A pattern searched for in lower-cased text."""
    return re.compile("|".join(alternatives))


def required_literals(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """One literal per alternative of ``pattern`` that any match of it must contain, or None
    when some alternative has none worth checking. Lets a cheap substring test rule most
    blocks out before the (much slower) regular expression runs."""
    found = []
    for alternative in _top_level(pattern.pattern):
        core = max(_literal_runs(alternative), key=len)
        if not core:
            return None
        found.append(core)
    return tuple(found)


def _top_level(source: str) -> list[str]:
    """The alternatives of ``source`` split at top-level "|"."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(source):
        if ch in "([" and source[i - 1 : i] != "\\":
            depth += 1
        elif ch in ")]" and source[i - 1 : i] != "\\":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(source[start:i])
            start = i + 1
    return [*parts, source[start:]]


def _literal_runs(alternative: str) -> list[str]:
    """Runs of plain characters outside groups, classes and escapes, minus quantified ends."""
    runs, run, depth, i = [""], "", 0, 0
    while i < len(alternative):
        ch = alternative[i]
        if ch == "\\" or ch in "([)].^$":
            runs.append(run.strip())
            run = ""
            depth += (ch == "(") - (ch == ")")
            i = alternative.index("]", i) if ch == "[" else i + (ch == "\\")
        elif ch in "?*+{":
            runs.append(run[:-1].strip())
            run = ""
            i = alternative.index("}", i) if ch == "{" else i
        elif depth == 0:
            run += ch
        i += 1
    return [*runs, run.strip()]
