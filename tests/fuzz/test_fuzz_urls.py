"""Fuzzing normalise_url with text and with URLs assembled from hostile parts (unicode and
IDNA hosts, brackets, huge ports, escapes): it returns a normalised http(s) URL or None, never
raises, and normalising its output again changes nothing."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from scraper.discover import normalise_url
from scraper.discover.urls import MAX_URL_LENGTH
from tests.fuzz.strategies import BASE_URL, typed_outcome

SCHEMES = st.sampled_from(["http", "https", "HTTP", "hTTps", "ftp", "javascript", "data", ""])
HOSTS = st.one_of(
    st.sampled_from(
        [
            "news.example", "NEWS.Example.", "xn--nxasmq6b.example", "bücher.example",
            "ＮＥＷＳ.example", "127.1", "2130706433", "0x7f.1", "[::1]", "[::ffff:127.0.0.1]",
            "[fe80::1%25eth0]", "[::1", "::1]", "a..b", "-a-.example", "a_b.example", "",
            "user:pass@news.example", "news.example:80@evil.example", "ß.example", "xn--.example",
        ]
    ),
    st.text(max_size=30),
)  # fmt: skip
PORTS = st.one_of(
    st.just(""),
    st.integers(-5, 10**12).map(lambda n: f":{n}"),
    st.text(max_size=6).map(lambda text: ":" + text),
)
PIECES = st.lists(
    st.one_of(
        st.sampled_from([*"/?#&=%.;@:+ \\\t\n", "..", "%2e", "%2F", "%zz", "%00", "%C3%A9"]),
        st.characters(),
    ),
    max_size=30,
).map("".join)


@st.composite
def assembled_urls(draw: st.DrawFn) -> str:
    scheme, host, port = draw(SCHEMES), draw(HOSTS), draw(PORTS)
    path, query, fragment = draw(PIECES), draw(PIECES), draw(PIECES)
    separator = draw(st.sampled_from(["://", ":/", ":", "//", ":\\\\"]))
    return f"{scheme}{separator}{host}{port}/{path}?{query}#{fragment}"


BASES = st.one_of(st.none(), st.just(BASE_URL), st.just("https://bücher.example/a/b/"))


@given(st.one_of(assembled_urls(), st.text(max_size=300)), BASES)
@example("ftp://[::1/?#", BASE_URL)  # found by fuzzing: urljoin raised ValueError
def test_normalise_url_returns_a_stable_url_or_none(url: str, base: str | None) -> None:
    once, seconds = typed_outcome(lambda: normalise_url(url, base))
    assert seconds < 0.5
    if once is None or not isinstance(once, str):
        return  # None: documented "unusable"; a ScraperError would be typed too
    assert once.startswith(("http://", "https://")) and len(once) <= MAX_URL_LENGTH
    assert once.isascii() and not any(char in once for char in " \t\r\n#")
    assert normalise_url(once) == once
    assert normalise_url(once, base) == once
