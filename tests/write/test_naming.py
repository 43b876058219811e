"""Which URL an article is stored under: a canonical URL is trusted only from the same site."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from scraper.write import open_writers
from scraper.write.naming import key_for, registrable_domain, same_site
from tests.write.helpers import make_article, write_settings


@pytest.mark.parametrize(
    ("url", "other", "same"),
    [
        ("https://news.example.com/a", "http://www.example.com/b", True),  # one domain
        ("https://www.bbc.co.uk/a", "https://bbc.co.uk/b", True),
        ("https://EXAMPLE.com./a", "https://example.com/b", True),
        ("http://127.0.0.1:8000/a", "http://127.0.0.1:9000/b", True),  # one host
        ("https://a.github.io/x", "https://b.github.io/x", False),  # a private suffix
        ("https://example.co.uk/a", "https://other.co.uk/a", False),
        ("http://127.0.0.1/a", "http://127.0.0.2/a", False),
        ("http://localhost/a", "http://127.0.0.1/a", False),
        ("https://a.test/x", "https://b.a.test/x", False),  # no public suffix: host only
        ("file:///etc/passwd", "file:///etc/passwd", False),  # http(s) only
        ("javascript:alert(1)", "https://example.com/", False),
        ("https://[::1/x", "https://example.com/", False),  # unparsable
    ],
)
def test_same_site(url: str, other: str, same: bool) -> None:
    assert same_site(url, other) is same
    assert same_site(other, url) is same


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("news.bbc.co.uk", "bbc.co.uk"),
        ("192.168.1.1.nip.io", "nip.io"),  # an address inside a name is still a name
        ("127.0.0.2", None),
        ("::1", None),
        ("localhost", None),
    ],
)
def test_registrable_domain(host: str, domain: str | None) -> None:
    assert registrable_domain(host) == domain


def test_key_is_the_canonical_url_only_from_the_same_site() -> None:
    page = "https://m.example.com/story?amp=1"
    assert key_for("https://www.example.com/story", page) == "https://www.example.com/story"
    assert key_for("https://victim.example.org/story", page) == page
    assert key_for(None, page) == page


def test_a_page_claiming_another_sites_article_overwrites_nothing(tmp_path: Path) -> None:
    victim_url = "https://victim.example.org/news/story"
    victim = make_article(url=victim_url, final_url=victim_url, canonical_url=victim_url)
    impostor_url = "https://impostor.example.net/copy"
    impostor = make_article(
        url=impostor_url,
        final_url=impostor_url,
        canonical_url=victim_url,
        title="Impostor",
        text="Something else entirely.",
    )
    with open_writers(write_settings(tmp_path, "sqlite", "json", "jsonl")) as sink:
        sink.write(victim)
        sink.write(impostor)
    with closing(sqlite3.connect(tmp_path / "articles.sqlite")) as conn:
        rows = dict(conn.execute("SELECT key_url, title FROM articles"))
    assert rows == {victim_url: victim.title, impostor_url: "Impostor"}
    files = {json.loads(p.read_bytes())["title"] for p in tmp_path.rglob("*.json")}
    assert files == {victim.title, "Impostor"}
    lines = (tmp_path / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["title"] for line in lines] == [victim.title, "Impostor"]
