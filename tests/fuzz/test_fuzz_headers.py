"""Fuzzing the header and robots.txt parsers we own: Content-Type charset, the charset
decision, Content-Type sniffing, Retry-After and robots.txt through the protego wrapper. None
may raise anything but a ScraperError, and each answers in the type it promises."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from hypothesis import example, given
from hypothesis import strategies as st
from protego import Protego

from scraper.errors import ScraperError
from scraper.fetch.charset import decode_html, header_charset, meta_charset
from scraper.fetch.retry import parse_retry_after
from scraper.fetch.robots import RULES, RobotsPolicy, RobotsRecord, user_agent_token
from scraper.fetch.sniff import check_content_type, sniff_binary
from tests.fuzz.strategies import HTML, mutated, typed_outcome

# Header values as httpx hands them over: str decoded from latin-1, so any of 0-255.
HEADER_VALUES = st.one_of(
    st.text(alphabet=st.characters(max_codepoint=255), max_size=80),
    st.sampled_from(
        [
            "text/html; charset=", 'text/html; charset="utf-8', "text/html;charset=x-mac-roman",
            "text/html; charset=utf-8; charset=latin-1", "TEXT/HTML;CHARSET=UTF-16",
            "text/html; charset*=UTF-8''utf-8", ";;;===", "Wed, 21 Oct 2015 07:28:00 GMT",
            "Wed, 21 Oct 99999 07:28:00 GMT", "0", "-1", "1e9", "²", "١٢", "9" * 400,
            "Mon, 30 Feb 2026 25:61:61 +9999",
        ]
    ),
)  # fmt: skip
ROBOTS = (
    b"User-agent: *\nDisallow: /private\nAllow: /private/ok$\nCrawl-delay: 2.5\n"
    b"Sitemap: https://news.example/sitemap.xml\n\nUser-agent: scraper\nDisallow: /*.pdf$\n"
)
PATHS = st.text(max_size=40).map(lambda path: "https://news.example/" + path)


@given(HEADER_VALUES)
def test_charset_and_content_type_parsers(value: str) -> None:
    charset, _ = typed_outcome(lambda: header_charset(value))
    assert charset is None or isinstance(charset, str)
    sniffed, _ = typed_outcome(lambda: check_content_type(value, "https://news.example/"))
    assert sniffed is None or isinstance(sniffed, ScraperError)


@given(mutated((HTML.encode(),), max_edits=6), HEADER_VALUES)
@example(b"<html><head><meta charset=\x00", "")  # found by fuzzing: ValueError from codecs
def test_decode_html_always_gives_text(content: bytes, content_type: str) -> None:
    decoded, seconds = typed_outcome(lambda: decode_html(content, content_type))
    assert not isinstance(decoded, ScraperError)  # decoding never fails: it falls back
    text, encoding, source = decoded
    assert isinstance(text, str) and encoding and source
    assert seconds < 2
    assert meta_charset(content) is None or isinstance(meta_charset(content), str)
    assert sniff_binary(content) is None or isinstance(sniff_binary(content), str)


@given(HEADER_VALUES)
@example("²")  # found by fuzzing: isdigit() but not a float
def test_retry_after_is_a_wait_or_none(value: str) -> None:
    now = datetime(2025, 3, 14, tzinfo=UTC)
    wait, _ = typed_outcome(lambda: parse_retry_after(value, now=now))
    assert wait is None or (isinstance(wait, float) and not math.isnan(wait) and wait >= 0)


@given(
    st.one_of(
        mutated((ROBOTS,), max_edits=10).map(lambda raw: raw.decode("utf-8", "replace")),
        st.text(max_size=500),
    ),
    st.lists(PATHS, max_size=5),
    st.text(max_size=20),
)
def test_robots_rules_answer_for_any_file(body: str, urls: list[str], agent: str) -> None:
    record = RobotsRecord("https://news.example", RULES, body, datetime.now(UTC))
    policy, seconds = typed_outcome(lambda: RobotsPolicy.from_record(record, agent or "scraper"))
    assert isinstance(policy, RobotsPolicy)
    # the policy answers as protego does for the same file and the agent's product token: it
    # must neither crash nor change a verdict on the way
    parser = Protego.parse(body)
    token = user_agent_token(agent or "scraper")
    for url in urls:
        assert policy.allowed(url) is parser.can_fetch(url, token)
    delay = policy.crawl_delay
    assert delay is None or delay >= 0
    assert seconds < 1


@given(st.lists(PATHS, min_size=1, max_size=5), st.text(max_size=20))
def test_a_file_that_disallows_everything_allows_nothing(urls: list[str], agent: str) -> None:
    body = "User-agent: *\nDisallow: /\n"
    record = RobotsRecord("https://news.example", RULES, body, datetime.now(UTC))
    policy = RobotsPolicy.from_record(record, agent or "scraper")
    assert not any(policy.allowed(url) for url in urls)
