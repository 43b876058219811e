"""normalise_url is the single definition of URL identity: each rule, one row."""

from __future__ import annotations

import pytest

from scraper.discover import is_tracking_param, normalise_url

BASE = "https://news.example/world/story?id=1#top"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # case, default ports, empty path, fragments
        ("HTTP://News.EXAMPLE:80", "http://news.example/"),
        ("https://news.example:443/a#comments", "https://news.example/a"),
        ("https://news.example:8443/a", "https://news.example:8443/a"),
        ("https://news.example./a", "https://news.example/a"),
        # tracking parameters dropped, the rest sorted, pieces kept as written
        (
            "https://news.example/a?utm_source=tw&b=2&UTM_Medium=x&a=1&fbclid=Z&gclid=Y",
            "https://news.example/a?a=1&b=2",
        ),
        (
            "https://news.example/a?mc_cid=1&mc_eid=2&ocid=3&cmpid=4&_ga=5&igshid=6",
            "https://news.example/a",
        ),
        ("https://news.example/a?ref_src=twsrc&id=7", "https://news.example/a?id=7"),
        ("https://news.example/a?flag&q=a+b", "https://news.example/a?flag&q=a+b"),
        ("https://news.example/a?", "https://news.example/a"),
        # percent-encoding: unreserved decoded, hex uppercased, raw spaces and non-ASCII escaped
        ("https://news.example/%7euser/%2f/%e2%82%ac", "https://news.example/~user/%2F/%E2%82%AC"),
        ("https://news.example/café au lait", "https://news.example/caf%C3%A9%20au%20lait"),
        ("https://news.example/100%", "https://news.example/100%25"),
        ("https://news.example/a?q=%7e%2b", "https://news.example/a?q=~%2B"),
        # dot segments, also when written as escapes
        ("https://news.example/a/./b/../c", "https://news.example/a/c"),
        ("https://news.example/a/%2E%2E/b", "https://news.example/b"),
        # IDNA
        ("https://Bücher.example/straße", "https://xn--bcher-kva.example/stra%C3%9Fe"),
        ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/"),
        ("https://news．example/a", "https://news.example/a"),
        ("https://my_host.news.example/a", "https://my_host.news.example/a"),
        ("https://[2001:DB8:0:0::1]:8080/a", "https://[2001:db8::1]:8080/a"),
        # what browsers do: trim, drop tabs/newlines, "\" as "/"
        ("  https://news.example/a\tb\n ", "https://news.example/ab"),
        ("https:\\\\news.example\\a\\b?q=\\", "https://news.example/a/b?q=%5C"),
        # crawler traps: repetition > 2 (single or blocks), depth > 20
        ("https://news.example/a/a/b", "https://news.example/a/a/b"),
        ("https://news.example/a/a/a/b", None),
        ("https://news.example/x/cal/y/cal/y/cal/y/cal", None),
        (
            "https://news.example" + "".join(f"/s{i}" for i in range(20)),
            "https://news.example" + "".join(f"/s{i}" for i in range(20)),
        ),
        ("https://news.example" + "".join(f"/s{i}" for i in range(21)), None),
        # not http(s), or unusable
        ("javascript:alert(1)", None),
        ("mailto:desk@news.example", None),
        ("data:text/html,<b>x</b>", None),
        ("ftp://news.example/file", None),
        ("file:///etc/passwd", None),
        ("https://user:secret@news.example/", None),
        ("https://news.example:99999/", None),
        ("https://exa mple.com/", None),
        ("https:///nohost", None),
        ("https://a..b/", None),
        ("", None),
    ],
)
def test_normalise(url: str, expected: str | None) -> None:
    assert normalise_url(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/politics/vote", "https://news.example/politics/vote"),
        ("next?id=2", "https://news.example/world/next?id=2"),
        ("../up", "https://news.example/up"),
        ("//cdn.news.example/x", "https://cdn.news.example/x"),
        ("#comments", "https://news.example/world/story?id=1"),
        ("", "https://news.example/world/story?id=1"),
        ("javascript:void(0)", None),
        ("mailto:x@news.example", None),
        ("tel:+441234", None),
        ("http://other.example/a", "http://other.example/a"),
    ],
)
def test_resolves_against_base(url: str, expected: str | None) -> None:
    assert normalise_url(url, BASE) == expected


def test_length_limit_is_2083_characters() -> None:
    head = "https://news.example/"
    assert normalise_url(head + "x" * (2083 - len(head))) is not None
    assert normalise_url(head + "x" * (2084 - len(head))) is None
    assert normalise_url(head + "x" * 100_000) is None  # refused before any parsing


def test_tracking_parameters_do_not_count_towards_the_limit() -> None:
    url = "https://news.example/a?utm_campaign=" + "x" * 2100
    assert normalise_url(url) == "https://news.example/a"


def test_same_page_written_differently_is_one_url() -> None:
    variants = [
        "https://NEWS.example:443/a/b?y=2&x=1#top",
        "https://news.example/a/./b?x=1&utm_medium=rss&y=2",
        "https://news.example/a/c/../b?x=1&y=2&fbclid=abc",
        "https://news.example/%61/b?x=1&y=2",
    ]
    assert {normalise_url(v) for v in variants} == {"https://news.example/a/b?x=1&y=2"}


def test_normalising_twice_changes_nothing() -> None:
    for url in ["https://Bücher.example/a b/%7e?z=1&a=%2f", "http://news.example:8080/x/../y?b&a"]:
        once = normalise_url(url)
        assert once is not None
        assert normalise_url(once) == once


@pytest.mark.parametrize(
    ("name", "expected"),
    [("utm_source", True), ("UTM_CONTENT", True), ("fbclid", True), ("id", False), ("page", False)],
)
def test_tracking_params(name: str, expected: bool) -> None:
    assert is_tracking_param(name) is expected
