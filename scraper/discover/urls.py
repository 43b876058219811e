"""URL identity: ``normalise_url`` is the one definition used for dedup everywhere.

Two URLs are the same page for scraper exactly when ``normalise_url`` maps them to the same
string: the crawl state, the frontier and every discoverer key on its output, so any rule
about "same URL" belongs here and nowhere else.

Written on the standard library plus ``idna`` rather than w3lib's ``canonicalize_url``: that
covers percent-encoding and query order, but not schemes, default ports, tracking
parameters, credentials or crawler traps, and it rewrites ``?flag`` as ``?flag=``; one
pass here keeps every rule in one readable place.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, unquote_plus, urljoin, urlsplit

import idna

MAX_URL_LENGTH = 2083  # Scrapy's URLLENGTH_LIMIT, the old IE limit most servers honour
MAX_PATH_DEPTH = 20  # Heritrix TooManyPathSegmentsDecideRule
MAX_REPETITIONS = 2  # Heritrix PathologicalPathDecideRule: /a/a is fine, /a/a/a is a trap
# Inputs this long cannot shrink to MAX_URL_LENGTH by dropping tracking parameters in any
# realistic case; refusing them early keeps a hostile 100 KB href from costing real work.
_MAX_INPUT_LENGTH = 8 * MAX_URL_LENGTH
_MAX_REPEATED_BLOCK = 3  # /a/b/a/b/a/b is the same trap as /a/a/a

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Parameters that only say how a reader arrived; matched case-insensitively on the name.
TRACKING_PARAMS: tuple[str, ...] = (
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
    "ttclid", "li_fat_id", "igshid", "igsh", "mc_cid", "mc_eid", "ocid", "cmpid", "cmp",
    "_ga", "_gl", "_hsenc", "_hsmi", "hsctatracking", "mkt_tok", "vero_id", "vero_conv",
    "wickedid", "oly_anon_id", "oly_enc_id", "rb_clickid", "s_cid", "ref_src", "ref_url",
    "smid", "ncid", "sr_share", "xtor", "at_medium", "at_campaign", "at_custom1",
    "guccounter", "guce_referrer", "guce_referrer_sig", "wt.mc_id", "__twitter_impression",
)  # fmt: skip
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "ns_", "pk_", "mtm_", "piwik_", "hsa_")
# Session IDs put in URLs by servers (Java, PHP, ASP, ColdFusion, osCommerce, Zen Cart): every
# visit mints new ones, so without this one page becomes endless URLs (a crawler trap). "sid"
# is left alone: some sites number their stories with it.
SESSION_PARAMS: tuple[str, ...] = (
    "jsessionid", "phpsessid", "sessionid", "session_id", "sessid", "cfid", "cftoken", "oscsid",
    "zenid",
)  # fmt: skip

_TRACKING = frozenset((*TRACKING_PARAMS, *SESSION_PARAMS))
_PREFIXES = (*TRACKING_PREFIXES, "aspsessionid")  # IIS appends letters: ASPSESSIONIDQABCDRST
# ";jsessionid=..." (any case) ends a path segment; servlet containers put it there.
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sessionid)=[^/;?#]*", re.IGNORECASE)
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
# Characters that never need escaping in a path or query piece (RFC 3986 pchar, "/", "?").
_ALREADY_CLEAN = re.compile(r"^[A-Za-z0-9\-._~/?:@!$'()*+,;=]*$")
_ABSOLUTE_HTTP = re.compile(r"^https?://", re.IGNORECASE)
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = "/:@!$&'()*+,;="
_QUERY_SAFE = "/:@!$'()*+,;=?"  # "&" separates pieces, so inside one it must stay escaped
_ASCII_HOST = re.compile(r"^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$")


def normalise_url(url: str, base: str | None = None) -> str | None:
    """The canonical form of ``url`` (resolved against ``base``), or None if it is unusable.

    None means: not http(s), malformed, carrying credentials, longer than 2083 characters,
    or shaped like a crawler trap (a path segment repeated more than twice in a row, or more
    than 20 segments). Otherwise the scheme and host are lowercased, the host IDNA-encoded,
    the default port, fragment, tracking parameters and session IDs (query or ";jsessionid=")
    dropped, the remaining query pieces sorted, dot segments removed, an empty path made "/"
    and percent-encoding normalised.
    """
    if len(url) > _MAX_INPUT_LENGTH or (base is not None and len(base) > _MAX_INPUT_LENGTH):
        return None
    url = _clean(url)
    try:
        if base is not None and not _ABSOLUTE_HTTP.match(url):  # urljoin is the costly step
            url = urljoin(_clean(base), url)  # splits too: "ftp://[::1/" raises (fuzzing)
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a bad port or a malformed IPv6 literal
        return None
    scheme = parts.scheme.lower()
    # Credentials in a link are never needed for news and would be sent to a host a page chose.
    if scheme not in _DEFAULT_PORTS or "@" in parts.netloc:
        return None
    host = _normalise_host(parts.hostname or "")
    path = _normalise_path(parts.path)
    if host is None or path is None:
        return None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = _normalise_query(parts.query)
    result = f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")
    return result if len(result) <= MAX_URL_LENGTH else None


def is_tracking_param(name: str) -> bool:
    """True for a query parameter that only records how the reader arrived, or a session ID."""
    name = name.lower()
    return name in _TRACKING or name.startswith(_PREFIXES)


def _clean(url: str) -> str:
    # What browsers do before parsing (WHATWG URL): trim controls and spaces, drop tabs and
    # newlines anywhere, and read "\" as "/" before the query, so we fetch what a reader would.
    url = _TAB_NEWLINE.sub("", url.strip(_C0_AND_SPACE))
    cut = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=len(url))
    return url[:cut].replace("\\", "/") + url[cut:]


def _normalise_host(host: str) -> str | None:
    if ":" in host:  # urlsplit strips the brackets of an IPv6 literal
        try:
            return f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            return None
    host = host.rstrip(".")  # "example.com." names the same host
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError:
            return None
    # Underscores are not valid IDNA but do occur in real DNS names, so ASCII hosts are
    # checked with this looser pattern rather than passed through idna.
    return host if _ASCII_HOST.match(host) and len(host) <= 253 else None


def _normalise_escapes(text: str, safe: str) -> str:
    """RFC 3986 §6.2.2: decode escaped unreserved characters, uppercase the other escapes,
    and escape what may not appear raw (spaces, non-ASCII as UTF-8, a stray "%")."""
    if _ALREADY_CLEAN.match(text):
        return text  # the common case, and normalising is most of the cost of a URL
    out: list[str] = []
    pos = 0
    for match in _ESCAPE.finditer(text):
        out.append(quote(text[pos : match.start()], safe=safe))
        char = chr(int(match.group(1), 16))
        out.append(char if char in _UNRESERVED else f"%{match.group(1).upper()}")
        pos = match.end()
    out.append(quote(text[pos:], safe=safe))
    return "".join(out)


def _normalise_path(path: str) -> str | None:
    if ";" in path:
        path = _PATH_SESSION.sub("", path)
    path = _remove_dot_segments(_normalise_escapes(path, _PATH_SAFE)) or "/"
    if not path.startswith("/"):
        path = "/" + path
    segments = [segment for segment in path.split("/") if segment]
    if len(segments) > MAX_PATH_DEPTH or _has_repetition(segments):
        return None
    return path


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4; urljoin does this only for relative references, not absolute URLs."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for segment in segments[1:]:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    if segments[-1] in (".", ".."):
        output.append("")  # "/a/b/.." names the directory "/a/"
    return "/" + "/".join(output)


def _has_repetition(segments: list[str]) -> bool:
    """True if a block of 1-3 segments occurs more than MAX_REPETITIONS times in a row."""
    if len(set(segments)) == len(segments):
        return False  # nothing occurs twice, the usual case
    runs = MAX_REPETITIONS + 1
    for size in range(1, _MAX_REPEATED_BLOCK + 1):
        for start in range(len(segments) - size * runs + 1):
            block = segments[start : start + size]
            repeats = (segments[start + k * size : start + (k + 1) * size] for k in range(runs))
            if all(repeat == block for repeat in repeats):
                return True
    return False


def _normalise_query(query: str) -> str:
    # Pieces are kept as written (so "?flag" stays "?flag", "+" stays "+") and only their
    # escapes normalised; sorting them makes parameter order irrelevant to identity.
    pieces: list[str] = []
    for piece in query.split("&"):
        if not piece:
            continue
        name = unquote_plus(piece.partition("=")[0])
        if not is_tracking_param(name):
            pieces.append(_normalise_escapes(piece, _QUERY_SAFE))
    return "&".join(sorted(pieces))
