"""Bytes -> text for HTML: BOM, then HTTP header, then <meta>, then detection, then UTF-8.

A declared charset is only trusted if the body decodes strictly with it; otherwise we move on to
the next source. Labels are mapped the way browsers (WHATWG Encoding) map them where Python
disagrees, because pages are written against browsers: "iso-8859-1" really means windows-1252.
"""

from __future__ import annotations

import codecs
import re
from email.message import Message

from charset_normalizer import from_bytes

PRESCAN_BYTES = 1024  # WHATWG prescans this much for <meta charset>
_CP1252_CHAOS_SLACK = 0.1
# A page with at least twice as many valid multi-byte UTF-8 characters as runs of bad bytes
# is UTF-8 with some damage (a truncated byte, a pasted cp1252 quote), not a legacy page: in
# legacy text a valid multi-byte sequence is rare (it takes e.g. "Ã" then "©").
_DAMAGED_UTF8_RATIO = 2
_REPLACEMENT = "\ufffd"
_REPLACEMENT_RUN = re.compile(f"{_REPLACEMENT}+")

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _labels(target: str, *labels: str) -> dict[str, str]:
    return dict.fromkeys(labels, target)


# Only where WHATWG and Python's codec registry disagree; other labels go through codecs.lookup.
_WHATWG_OVERRIDES: dict[str, str] = {
    **_labels(
        "cp1252",
        *("ascii", "us-ascii", "ansi_x3.4-1968", "iso-8859-1", "iso8859-1", "iso_8859-1"),
        *("iso88591", "iso_8859-1:1987", "latin1", "l1", "cp819", "ibm819", "csisolatin1"),
        *("iso-ir-100", "x-cp1252"),
    ),
    **_labels(
        "cp1254",
        *("iso-8859-9", "iso8859-9", "iso_8859-9", "iso88599", "latin5", "l5", "csisolatin5"),
        "iso-ir-148",
    ),
    **_labels("cp874", "tis-620", "iso-8859-11", "iso8859-11", "iso885911", "dos-874"),
    **_labels(
        "gb18030",
        *("gb2312", "gbk", "x-gbk", "chinese", "csgb2312", "csiso58gb231280", "iso-ir-58"),
        *("gb_2312", "gb_2312-80"),
    ),
    **_labels("big5hkscs", "big5", "cn-big5", "csbig5", "x-x-big5"),
    **_labels(
        "cp932",
        *("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "ms932", "windows-31j"),
        "csshiftjis",
    ),
    **_labels(
        "cp949",
        *("euc-kr", "cseuckr", "korean", "ks_c_5601-1987", "ks_c_5601-1989", "ksc5601"),
        *("ksc_5601", "csksc56011987", "iso-ir-149", "windows-949"),
    ),
    **_labels("iso8859-8", "iso-8859-8-i", "csiso88598i", "logical"),
    **_labels("koi8-u", "koi8-ru"),
    **_labels("mac-cyrillic", "x-mac-cyrillic", "x-mac-ukrainian"),
    **_labels("mac-roman", "x-mac-roman", "mac", "csmacintosh"),
    **_labels("utf-16-le", "utf-16", "utf-16le"),
}

# The encodings a browser knows. Anything else Python can decode (utf-7, unicode_escape, EBCDIC,
# rot13...) is either a security risk or a misdetection in HTML, so it is not accepted.
_ALLOWED = frozenset(
    codecs.lookup(name).name
    for name in (
        *("utf-8", "utf-16-le", "utf-16-be", "cp866", "koi8-r", "koi8-u", "mac-roman"),
        *("mac-cyrillic", "cp874", "gb18030", "big5hkscs", "euc_jp", "iso2022_jp", "cp932"),
        *("cp949", *(f"cp{n}" for n in range(1250, 1259))),
        *(f"iso8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)),
    )
)

_COMMENT = re.compile(rb"<!--.*?(?:-->|\Z)", re.DOTALL)
_META = re.compile(rb"<meta[\s/]([^>]*)", re.IGNORECASE)
_ATTR = re.compile(rb"""([^\s=/>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]*))?""")
_CHARSET_IN_CONTENT = re.compile(rb"""charset\s*=\s*["']?([^\s;"']+)""", re.IGNORECASE)


def resolve_label(label: str, *, from_meta: bool = False) -> str | None:
    """The Python codec for a charset label, or None if it is unknown or not allowed in HTML."""
    key = label.strip().strip("\"'").lower()
    try:
        name = codecs.lookup(_WHATWG_OVERRIDES.get(key, key)).name
    except (LookupError, ValueError):  # ValueError: a NUL in the label (found by fuzzing)
        if from_meta and key == "x-user-defined":
            return "cp1252"
        return None
    if from_meta and name.startswith("utf-16"):
        # A page whose <meta> we could read as ASCII cannot be UTF-16; browsers use UTF-8.
        return "utf-8"
    return name if name in _ALLOWED else None


def header_charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value, if any."""
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    charset = message.get_param("charset")
    return charset if isinstance(charset, str) and charset.strip() else None


def meta_charset(content: bytes) -> str | None:
    """The charset a <meta> tag declares in the first 1024 bytes.

    A small hand-written prescan: the HTML parsers we use decode first and ask questions later,
    and this must run on bytes before we know the encoding.
    """
    head = _COMMENT.sub(b"", content[:PRESCAN_BYTES])
    for tag in _META.finditer(head):
        attrs: dict[bytes, bytes] = {}
        for name, value in _ATTR.findall(tag.group(1)):
            attrs.setdefault(name.lower(), value.strip(b"\"'"))
        if attrs.get(b"charset"):
            return attrs[b"charset"].decode("ascii", "replace")
        if attrs.get(b"http-equiv", b"").lower() == b"content-type":
            found = _CHARSET_IN_CONTENT.search(attrs.get(b"content", b""))
            if found:
                return found.group(1).decode("ascii", "replace")
    return None


def _strict(content: bytes, encoding: str) -> str | None:
    try:
        return content.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _is_single_byte(encoding: str) -> bool:
    # Multi-byte codecs fold lead and trail bytes together, so they yield fewer characters.
    return encoding != "utf-8" and len(bytes(range(128, 256)).decode(encoding, "replace")) == 128


def _plainly_utf8(content: bytes) -> bool:
    """Valid UTF-8 with multi-byte sequences: almost never an accident in a legacy encoding."""
    return not content.isascii() and _strict(content, "utf-8") is not None


def _declared(content: bytes, label: str | None, source: str) -> tuple[str, str, str] | None:
    encoding = resolve_label(label, from_meta=source == "meta") if label else None
    if encoding is None:
        return None
    text = _strict(content, encoding)
    if text is None:
        return None
    if _is_single_byte(encoding) and _plainly_utf8(content):
        # The classic CMS lie: "iso-8859-1" declared, UTF-8 served. Any single-byte codec
        # "decodes" UTF-8 into mojibake, so strictness alone cannot catch it.
        return content.decode("utf-8"), "utf-8", "detected"
    return text, encoding, source


def _damaged_utf8(content: bytes) -> str | None:
    """The page read as UTF-8, broken sequences replaced (U+FFFD, as a browser does), if it
    is plainly UTF-8 with a few bad bytes; a detector would call it cp1250 and garble it all."""
    text = content.decode("utf-8", "replace")
    replaced = text.count(_REPLACEMENT) - content.count(_REPLACEMENT.encode())
    valid = len(text) - len(text.encode("ascii", "ignore")) - replaced
    # One bad run ("\xed\xa0\x80", an encoded surrogate, gives three U+FFFD) is one fault.
    runs = max(len(_REPLACEMENT_RUN.findall(text)) - content.count(_REPLACEMENT.encode()), 1)
    return text if valid >= _DAMAGED_UTF8_RATIO * runs else None


def _detected(content: bytes) -> tuple[str, str] | None:
    text = _strict(content, "utf-8")
    if text is not None:  # valid UTF-8 is UTF-8; no detector needed (and this is fast)
        return text, "utf-8"
    damaged = _damaged_utf8(content)
    if damaged is not None:
        return damaged, "utf-8"
    candidates = [match for match in from_bytes(content) if resolve_label(match.encoding)]
    if not candidates:
        return None
    best = candidates[0]
    encoding = resolve_label(best.encoding) or "utf-8"
    for match in candidates:
        # On short Western text charset-normalizer often ranks cp1257 or cp1250 first by a
        # hair; windows-1252 is by far the web's most common legacy encoding, so near-ties go
        # to it, unless language coherence clearly favours the leader (e.g. Turkish cp1254).
        if (
            "cp1252" in match.could_be_from_charset
            and match.chaos <= best.chaos + _CP1252_CHAOS_SLACK
            and match.coherence >= best.coherence
        ):
            encoding = "cp1252"
            break
    return content.decode(encoding, "replace"), encoding


def decode_html(content: bytes, content_type: str | None) -> tuple[str, str, str]:
    """Decode an HTML body. Returns (text, encoding, source); source is one of
    bom | header | meta | detected | default."""
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return content[len(bom) :].decode(encoding, "replace"), encoding, "bom"
    for source, label in (
        ("header", header_charset(content_type)),
        ("meta", meta_charset(content)),
    ):
        declared = _declared(content, label, source)
        if declared is not None:
            return declared
    detected = _detected(content) if content else None
    if detected is not None:
        return detected[0], detected[1], "detected"
    return content.decode("utf-8", "replace"), "utf-8", "default"
