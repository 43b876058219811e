"""robots.txt (RFC 9309): fetch it once per origin, keep the outcome as a record, answer from it.

What each outcome of ``GET origin/robots.txt`` means (never an exception; always a verdict):

    2xx                               "rules": the first ``robots_max_bytes`` parsed by protego.
                                      Empty, binary or HTML bodies parse to no rules, i.e. allow.
    4xx except 429 (401/403 too)      "allow_all": the file is unavailable (§2.3.1.3). 401/403 are
                                      plain 4xx here, as in the RFC, Nutch and StormCrawler.
    429, 5xx, timeout, reset,         "disallow_all": the file is unreachable (§2.3.1.4), so we
    refused, corrupt body             must assume complete disallow; cached for only
                                      ``robots_error_cache_hours`` so a later run asks again.
    more than 5 redirects, or a       "allow_all": §2.3.1.2 lets a crawler call the file
    redirect to an unusable URL       unavailable, which is the 4xx case.

Only "disallow_all" comes from an error, so the verdict alone says which cache lifetime applies
and a record survives the state store as (origin, verdict, body, fetched_at).

Redirects are followed by hand, up to 5 (RFC 9309 asks for at least 5), with the fetch stage's
checks at every hop. A redirect to another host is followed and its answer is applied to the
origin we asked about (§2.3.1.2: "even across authorities"; Nutch does the same, StormCrawler
refuses cross-origin hops by default); credentials are dropped once the chain leaves the
origin, exactly as for pages. Nothing is retried within a run: an unreachable robots.txt
already means "ask again later".

Crawls keep records in their state (crawl/robots_book.py). A one-off fetch (``scrape URL``)
asks through ``RobotsChecker``, which is stricter about nothing and laxer about one thing: an
unreachable robots.txt does not block a page a person asked for by name.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import httpx
from protego import Protego

from scraper.config import CrawlSettings, FetchSettings
from scraper.errors import FetchError, PermanentFetchError
from scraper.fetch.body import read_prefix
from scraper.fetch.hops import follow, within_deadline

log = logging.getLogger(__name__)

RULES = "rules"
ALLOW_ALL = "allow_all"
DISALLOW_ALL = "disallow_all"
VERDICTS = frozenset({RULES, ALLOW_ALL, DISALLOW_ALL})

MAX_REDIRECTS = 5  # RFC 9309 §2.3.1.2; fixed so a low page setting cannot go under the RFC
ACCEPT = "text/plain,*/*;q=0.1"
_UNAVAILABLE_CODES = frozenset({"too_many_redirects", "unsupported_scheme", "invalid_url"})


@dataclass(frozen=True, slots=True)
class RobotsRecord:
    """The outcome of one robots.txt fetch, as kept in the crawl state between runs."""

    origin: str  # scheme://host[:port]
    verdict: str  # RULES | ALLOW_ALL | DISALLOW_ALL
    body: str  # the text that was parsed; "" unless verdict == RULES
    fetched_at: datetime  # tz-aware UTC

    def __post_init__(self) -> None:
        # Records also come back from the state store, so a bad one is refused here.
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown robots verdict {self.verdict!r}")
        if self.body and self.verdict != RULES:
            raise ValueError(f"a {self.verdict} record carries no body")
        if self.fetched_at.tzinfo is None:
            raise ValueError("fetched_at must be timezone-aware")

    @property
    def from_error(self) -> bool:
        """An unreachable robots.txt: kept robots_error_cache_hours, not robots_cache_hours."""
        return self.verdict == DISALLOW_ALL

    def expired(self, now: datetime, settings: CrawlSettings) -> bool:
        """True once the record is too old to trust (RFC 9309 §2.4), or dated in the future."""
        hours = (
            settings.robots_error_cache_hours if self.from_error else settings.robots_cache_hours
        )
        age = now - self.fetched_at
        # A record from the future means a clock went wrong somewhere; fetching again is cheap.
        return age < timedelta(0) or age >= timedelta(hours=hours)


def user_agent_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against: "scraper" for "scraper/0.1 (…)"."""
    first = user_agent.strip().split(maxsplit=1)[0] if user_agent.strip() else ""
    return first.split("/", 1)[0].lower()


# A crawl asks for each URL's origin several times (before the fetch, at each redirect, when
# marking robots.txt read), and httpx's URL parsing is the costly part.
@lru_cache(maxsize=1024)
def robots_origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, default port left out: the key records are kept by.
    Raises ValueError for a URL that is not absolute http(s)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"invalid URL {url!r}: {exc}") from exc
    if parsed.scheme not in {"http", "https"} or not parsed.host:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    port = f":{parsed.port}" if parsed.port is not None else ""  # httpx drops default ports
    return f"{parsed.scheme}://{host}{port}"


class RobotsDisallowed(PermanentFetchError):
    """robots.txt does not allow this URL for our user agent."""

    default_code = "robots_disallowed"


class RobotsPolicy:
    """Answers for one origin and one crawler, built from a RobotsRecord."""

    __slots__ = ("_parser", "_token", "_verdict")

    def __init__(self, verdict: str, parser: Protego | None, token: str) -> None:
        self._verdict = verdict
        self._parser = parser
        self._token = token

    @classmethod
    def from_record(cls, record: RobotsRecord, user_agent: str) -> RobotsPolicy:
        """``user_agent`` may be the whole User-Agent header; only its product token is used."""
        parser = Protego.parse(record.body) if record.verdict == RULES else None
        return cls(record.verdict, parser, user_agent_token(user_agent))

    @property
    def verdict(self) -> str:
        return self._verdict

    def allowed(self, url: str) -> bool:
        """May ``url`` (on this policy's origin) be fetched? Only its path and query matter."""
        if self._parser is None:
            return self._verdict == ALLOW_ALL
        return self._parser.can_fetch(url, self._token)

    @property
    def crawl_delay(self) -> float | None:
        """The Crawl-delay of the group that applies to us, in seconds, if it gives one."""
        return self._parser.crawl_delay(self._token) if self._parser is not None else None


@dataclass(frozen=True, slots=True)
class _Outcome:
    verdict: str
    why: str
    body: str = ""


async def fetch_robots(
    origin: str,
    client: httpx.AsyncClient,
    fetch_settings: FetchSettings,
    crawl_settings: CrawlSettings,
) -> RobotsRecord:
    """Fetch and judge ``origin``/robots.txt. Never raises for network or server trouble."""
    origin = origin.rstrip("/")
    url = f"{origin}/robots.txt"
    cap = crawl_settings.robots_max_bytes

    async def judge(response: httpx.Response) -> _Outcome:
        return await _judge(response, url, cap)

    work = follow(
        url, client, fetch_settings, judge, headers={"Accept": ACCEPT}, max_redirects=MAX_REDIRECTS
    )
    try:
        outcome = await within_deadline(url, fetch_settings.total_timeout, work)
    except PermanentFetchError as exc:
        # A redirect chain we will not follow leaves robots.txt "unavailable" (RFC 9309
        # §2.3.1.2), which allows everything; any other failure makes it unreachable.
        unavailable = exc.code in _UNAVAILABLE_CODES
        outcome = _Outcome(ALLOW_ALL, exc.message) if unavailable else _unreachable(exc.message)
    except FetchError as exc:
        outcome = _unreachable(f"{exc.code}: {exc.message}")
    log.info("robots.txt of %s: %s (%s)", origin, outcome.verdict, outcome.why)
    return RobotsRecord(
        origin=origin,
        verdict=outcome.verdict,
        body=outcome.body,
        fetched_at=datetime.now(UTC),
    )


def _unreachable(why: str) -> _Outcome:
    return _Outcome(DISALLOW_ALL, why)


async def _judge(response: httpx.Response, url: str, cap: int) -> _Outcome:
    status = response.status_code
    if 200 <= status < 300:
        raw, truncated = await read_prefix(response, url, cap)
        why = f"HTTP {status}, {len(raw)} bytes" + (" (truncated)" if truncated else "")
        return _Outcome(RULES, why, body=_text(raw, truncated=truncated))
    if status == 429 or status >= 500:
        return _unreachable(f"HTTP {status}")
    if 400 <= status < 500:
        return _Outcome(ALLOW_ALL, f"HTTP {status}")
    # 1xx or a 3xx without a Location: the RFC has no word for these; treat as unavailable.
    return _Outcome(ALLOW_ALL, f"HTTP {status} with nothing to follow")


def _text(raw: bytes, *, truncated: bool) -> str:
    if truncated:
        # The last line was cut mid-way; "Disallow: /private" cut to "Disallow: /pri" would be
        # a different rule, so it is dropped rather than guessed at.
        end = max(raw.rfind(b"\n"), raw.rfind(b"\r"))
        if end >= 0:
            raw = raw[: end + 1]
    # utf-8-sig: a BOM left in place would hide the first line's directive from protego.
    return raw.decode("utf-8-sig", errors="replace")


class RobotsChecker:
    """robots.txt for fetches a person asked for (``scrape URL``, ``scraper.scrape``): fetched
    once per origin per command, kept in memory only.

    Rules are obeyed exactly as in a crawl. An unreachable robots.txt (5xx, 429, network error)
    is logged and does not block: RFC 9309's "assume complete disallow" governs crawlers, and
    this is one page asked for by name, not a crawl (user-triggered fetchers such as Google's
    skip robots.txt altogether). ``scraper crawl`` stays strict.
    """

    def __init__(
        self, client: httpx.AsyncClient, fetch_settings: FetchSettings, crawl: CrawlSettings
    ) -> None:
        self._client = client
        self._fetch_settings = fetch_settings
        self._crawl = crawl
        self._policies: dict[str, asyncio.Task[RobotsPolicy]] = {}

    async def require_allowed(self, url: str) -> None:
        """Raise RobotsDisallowed if the rules of ``url``'s robots.txt forbid it."""
        try:
            origin = robots_origin(url)
        except ValueError:
            return  # not http(s): the fetch refuses it with its own error
        task = self._policies.get(origin)
        if task is None:  # one fetch per origin, however many URLs of it wait at once
            task = asyncio.ensure_future(self._policy(origin))
            self._policies[origin] = task
        policy = await task
        if policy.verdict != DISALLOW_ALL and not policy.allowed(url):
            raise RobotsDisallowed(f"disallowed by {origin}/robots.txt", url=url)

    async def _policy(self, origin: str) -> RobotsPolicy:
        record = await fetch_robots(origin, self._client, self._fetch_settings, self._crawl)
        if record.verdict == DISALLOW_ALL:
            log.warning("robots.txt of %s is unreachable; fetching what was asked for", origin)
        return RobotsPolicy.from_record(record, self._fetch_settings.user_agent)
