"""Where an article's files go: a key URL, its hash, a clean slug, and a sharded relative path.

Nothing from a URL is ever used as a path as-is. A file name is ``<slug>-<hash16>.<ext>``, where
the slug holds only ``[a-z0-9-]`` (at most 80 chars) and the hash is sha256 of the key URL. Files
are sharded by the first two bytes of that hash, two levels deep (``3f/a9/``): 65,536 leaf
directories, so a leaf holds ~1000 files (500 articles x .txt + .json) only past ~32 M articles.
Hash sharding is used rather than host sharding because one host can publish far more than 1000
articles and a crawl can reach far more than 1000 hosts.

The key URL is the page's declared canonical URL only when that names the same site: the same
host, or the same registrable domain (``www.example.com`` and ``news.example.com``; the public
suffix list, private suffixes included, so ``a.github.io`` and ``b.github.io`` differ). Any page
can declare any canonical URL, and keying by it blindly would let one site's page overwrite
another site's article (its files, its SQLite row). Otherwise the key is where the fetch landed.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from tld import get_fld

from scraper.models import Article

SLUG_MAX = 80
HASH_CHARS = 16  # 64 bits: a collision is expected only after ~4 billion articles
_UNSAFE = re.compile(r"[^a-z0-9]+")
_WEB_SUFFIX = re.compile(r"\.(?:s?html?|php\d?|aspx?|jsp|cgi)$", re.IGNORECASE)
FALLBACK_SLUG = "article"


def key_url(article: Article) -> str:
    """The URL an article is stored under: its canonical URL if that names the same site,
    else where the fetch landed."""
    return key_for(article.canonical_url, article.final_url or article.url)


def key_for(canonical: str | None, page_url: str) -> str:
    """``canonical`` if it is an http(s) URL of the same site as ``page_url``, else page_url."""
    if canonical and same_site(canonical, page_url):
        return canonical
    return page_url


def same_site(url: str, other: str) -> bool:
    """Both http(s), on one host or one registrable domain (ports and schemes aside)."""
    host, other_host = _web_host(url), _web_host(other)
    if not host or not other_host:
        return False
    if host == other_host:
        return True
    # An IP address, or a name under no public suffix (localhost, *.test), has no registrable
    # domain: only the very same host counts then.
    if _is_address(host) or _is_address(other_host):
        return False  # asked first: the public suffix list costs ~0.1 s to load
    domain = registrable_domain(host)
    return domain is not None and domain == registrable_domain(other_host)


# A crawl asks about the same few hosts for every article it stores.
@lru_cache(maxsize=1024)
def registrable_domain(host: str) -> str | None:
    """``news.example.co.uk`` -> ``example.co.uk``; None for an IP address or a name under no
    public suffix."""
    return get_fld(f"http://{host}/", fail_silently=True)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _web_host(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https"):
        return ""
    return (parts.hostname or "").rstrip(".")


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def slugify(text: str) -> str:
    """ASCII, lowercase, ``[a-z0-9-]`` only, at most SLUG_MAX chars; may be empty."""
    # NFKC first so fullwidth look-alikes (．．／) become plain ASCII and are then dropped as
    # punctuation; NFKD afterwards splits accents off letters so "café" keeps its "cafe".
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    ascii_only = folded.encode("ascii", "ignore").decode("ascii").lower()
    slug = _UNSAFE.sub("-", ascii_only).strip("-")
    return slug[:SLUG_MAX].rstrip("-")


def last_segment(url: str) -> str:
    """The URL's last non-empty path segment, percent-decoded, without a .html-like suffix."""
    path = urlsplit(url).path
    segments = [seg for seg in path.split("/") if seg]
    if not segments:
        return ""
    return _WEB_SUFFIX.sub("", unquote(segments[-1], errors="replace"))


def article_slug(article: Article) -> str:
    for source in (article.title or "", last_segment(key_url(article))):
        slug = slugify(source)
        if slug:
            return slug
    return FALLBACK_SLUG


@dataclass(frozen=True, slots=True)
class ArticleName:
    """The sharded location of one article's files, relative to the output directory."""

    shard: tuple[str, str]
    stem: str  # "<slug>-<hash16>"
    hash_suffix: str  # "-<hash16>", shared by every name this article ever had

    def file(self, ext: str) -> str:
        return f"{self.stem}.{ext}"


def article_name(article: Article) -> ArticleName:
    digest = url_hash(key_url(article))
    suffix = f"-{digest[:HASH_CHARS]}"
    return ArticleName(
        shard=(digest[0:2], digest[2:4]),
        stem=f"{article_slug(article)}{suffix}",
        hash_suffix=suffix,
    )
