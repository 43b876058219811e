"""Small text helpers: mojibake repair and comparison keys."""

from __future__ import annotations

import re

import ftfy

# Only what mis-decoding breaks is repaired; quotes, dashes and widths are the author's choice.
_FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    uncurl_quotes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    fix_line_breaks=False,
    fix_surrogates=False,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)
# UTF-8 read as Latin-1/cp1252 leaves a lead character (Â..ï) followed by a continuation
# character (U+0080..U+00BF or its cp1252 stand-in). Text without that pair is never sent to
# ftfy, which is slow by comparison.
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00ef][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6"
    "\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]|\u00c2 "
)
_NON_WORD = re.compile(r"\W+")
# ``key`` of ASCII text, a byte at a time: letters lowercased, every non-word character a space
# (a translation table has 256 entries; ASCII text reads only the first 128).
_ASCII_KEY = bytes(
    ord(char.lower()) if not _NON_WORD.match(char) else ord(" ") for char in map(chr, range(256))
)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded with the wrong charset (``cafÃ©`` -> ``café``)."""
    if text.isascii() or not _MOJIBAKE_HINT.search(text):
        return text
    fixed = str(ftfy.fix_text(text, _FTFY_CONFIG))
    # a repaired no-break space is still a space: collapse it like any other
    return "\n".join(" ".join(line.split()) for line in fixed.split("\n"))


def key(text: str) -> str:
    """A comparison key blind to case, punctuation and spacing."""
    if text.isascii():  # most keys; bytes.translate is several times faster than the regex
        return b" ".join(text.encode("ascii").translate(_ASCII_KEY).split()).decode("ascii")
    return _NON_WORD.sub(" ", text.lower()).strip()
