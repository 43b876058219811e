"""Site templates: blocks a site repeats across its pages are learned per host, kept in SQLite,
and dropped from that host's pages; text that merely repeats a phrase stays."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from scraper.config import ExtractSettings, Settings
from scraper.errors import ConfigError
from scraper.extract import extract_page
from scraper.extract.signatures import drop_matched, walk
from scraper.extract.templates import SiteTemplate, TemplateStore, host_key
from scraper.learn import format_learn_report, learn_from_files, template_for
from scraper.models import Article
from tests.extract import template_site as site
from tests.extract.support import make_page

RULE = "template:riverside-ledger.example"


def run(i: int, template: SiteTemplate | None = None, html: str | None = None) -> Article:
    page = make_page(html or site.page_html(i), site.url(i))
    return extract_page(page, ExtractSettings(), template=template, signatures=True)


def learn_site(store: TemplateStore, pages: range = range(site.PAGES)) -> SiteTemplate:
    for i in pages:
        store.learn(site.HOST, site.url(i), run(i).signatures)
    return store.template(site.HOST)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TemplateStore]:
    with TemplateStore(tmp_path / "templates.sqlite") as opened:
        yield opened


def test_generic_rules_miss_this_sites_chrome() -> None:
    """The premise: without a template, the site's own chrome comes out as text (the notice
    pasted into the article's container, the story list under an unusual heading)."""
    text = run(0).text
    assert site.NOTICE in text
    assert site.RAIL_HEADING in text
    assert "council delays vote on" in text


def test_learned_template_leaves_only_the_story_on_every_page(store: TemplateStore) -> None:
    template = learn_site(store)
    assert template.pages == site.PAGES
    for i in range(site.PAGES):
        article = run(i, template)
        assert article.text == "\n\n".join(site.story(i)), i


def test_template_drops_are_explained_with_the_host(store: TemplateStore) -> None:
    dropped = run(4, learn_site(store)).dropped
    by_rule = [d.text for d in dropped if d.rule == RULE]
    assert site.NOTICE in by_rule
    assert site.RAIL_HEADING in by_rule
    assert any(text.startswith(site.PARTNERS_HEADING) for text in by_rule)
    # the list goes whole, though its headlines differ from page to page
    assert any(text.startswith("Fenwick council delays vote") for text in by_rule)


def test_text_repeating_a_template_phrase_is_kept(store: TemplateStore) -> None:
    template = learn_site(store)
    quoting = (
        f"Asked whether the paper would cover the vote, its editor said {site.NOTICE.lower()[:-1]}"
        f", and that it would report from the meeting {site.PARTNERS_HEADING.lower()} and others."
    )
    paragraphs = [*site.story(5), quoting, site.RAIL_HEADING + " the rain kept falling all day."]
    article = run(5, template, site.page_html(5, paragraphs))
    assert article.text == "\n\n".join(paragraphs)


def test_a_sentence_on_two_of_ten_pages_is_kept(store: TemplateStore) -> None:
    template = learn_site(store)
    for i in site.STOCK_PAGES:
        assert run(i, template).text.endswith("\n\n" + site.STOCK_SENTENCE)


def test_two_pages_teach_nothing(store: TemplateStore) -> None:
    assert learn_site(store, range(2)).signatures == frozenset()
    assert learn_site(store, range(3)).signatures  # three pages, every one with the chrome


def test_learning_persists_across_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state" / "templates.sqlite"
    with TemplateStore(path) as store:
        learned = learn_site(store)
    with TemplateStore(path) as store:
        assert store.template(site.HOST) == learned
        assert store.hosts() == {"riverside-ledger.example": site.PAGES}
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_page_learned_twice_counts_once(store: TemplateStore) -> None:
    signatures = run(0).signatures
    assert store.learn(site.HOST, site.url(0), signatures)
    assert not store.learn(site.HOST, site.url(0), signatures)
    assert store.template(site.HOST).pages == 1


def test_hosts_are_kept_apart_and_spelled_one_way(store: TemplateStore) -> None:
    learn_site(store)
    assert store.template("other.example").signatures == frozenset()
    assert store.template("RIVERSIDE-LEDGER.example.").signatures
    assert host_key("www.News.Example:8080") == "news.example"
    assert host_key("[::1]:8080") == "[::1]"
    store.forget(site.HOST)
    assert store.template(site.HOST) == SiteTemplate("riverside-ledger.example")


def test_a_block_that_arrives_with_a_redesign_is_learned(store: TemplateStore) -> None:
    for n in range(40):
        store.learn("news.example", f"https://news.example/{n}", {"tOld", f"tStory{n}"})
    for n in range(40, 49):
        store.learn("news.example", f"https://news.example/{n}", {"tOld", "tNew", f"tStory{n}"})
    # nine pages in a row could still be one story republished: not yet
    assert store.template("news.example").signatures == {"tOld"}
    store.learn("news.example", "https://news.example/49", {"tOld", "tNew", "tStory49"})
    assert store.template("news.example").signatures == {"tOld", "tNew"}


def test_signatures_seen_once_are_swept(store: TemplateStore) -> None:
    for n in range(200):
        store.learn("news.example", f"https://news.example/{n}", {"tChrome", f"tStory{n}"})
    with sqlite3.connect(store.path) as conn:
        (rows,) = conn.execute("SELECT count(*) FROM blocks").fetchone()
    assert rows < 100
    assert store.template("news.example").signatures == {"tChrome"}


def test_a_template_never_takes_the_sites_body_or_a_wrapper() -> None:
    story = "<p>Repairs to the harbour wall will not be finished before the winter storms.</p>"
    rail = "<p>" + "A long column of other text that is no part of the story at all. " * 12 + "</p>"
    html = (
        f'<html><body><div class="story">{story}</div><div class="rail">{rail}</div></body></html>'
    )
    body = LexborHTMLParser(html).body
    assert body is not None
    everything = walk(body).signatures
    walked = walk(body, everything)
    # the rail holds most of the page's text: a wrapper, not a block, whatever its signature
    assert [text[:7] for _, text in walked.matched] == ["Repairs"]
    story_node = body.css_first("div.story")
    assert drop_matched(walked, RULE, keep=story_node) == []
    assert "Repairs to the harbour wall" in (body.text() or "")
    assert [d.rule for d in drop_matched(walk(body, everything), RULE)] == [RULE]
    assert "Repairs" not in body.text()


def test_a_file_that_is_not_a_store_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "templates.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(ConfigError, match="not a template store"):
        TemplateStore(path)


def test_learn_from_files_reports_and_fills_the_store(tmp_path: Path) -> None:
    files = []
    for i in range(site.PAGES):
        files.append(tmp_path / f"page{i}.html")
        files[-1].write_text(site.page_html(i), encoding="utf-8")
    (tmp_path / "front.html").write_text("<html><body><p>Hi</p></body></html>", encoding="utf-8")
    extract = ExtractSettings(templates_path=tmp_path / "t.sqlite")
    settings = Settings(extract=extract)
    (tmp_path / "front.html").rename(tmp_path / "zz-front.html")
    report = learn_from_files([tmp_path, "missing.html"], settings)
    assert report.learned == site.PAGES
    assert [p.status for p in report.pages[-2:]] == ["skipped", "skipped"]
    assert report.skipped == 2
    assert report.templates["riverside-ledger.example"].signatures
    assert "10 page(s) learned" in format_learn_report(report)
    again = learn_from_files(files[:3], settings)
    assert {p.status for p in again.pages} == {"known"}
    template = template_for(settings, site.url(3))
    assert template is not None
    assert run(3, template).text == "\n\n".join(site.story(3))


def test_template_for_needs_a_store_and_never_creates_one(tmp_path: Path) -> None:
    settings = Settings(extract=ExtractSettings(templates_path=tmp_path / "none.sqlite"))
    assert template_for(settings, site.url(0)) is None
    assert not (tmp_path / "none.sqlite").exists()


def test_signatures_only_when_asked_and_never_saved() -> None:
    page = make_page(site.page_html(0), site.url(0))
    assert extract_page(page, ExtractSettings()).signatures == frozenset()
    article = run(0)
    assert article.signatures
    assert "signatures" not in article.to_dict()
    assert "signatures" not in repr(article)


def test_learn_fetches_urls_politely_and_learns_their_host(tmp_path: Path) -> None:
    from scraper.config import CrawlSettings
    from tests.cassette import Cassette, ReplayServer

    html_type = (("Content-Type", "text/html; charset=utf-8"),)
    cassettes = [
        Cassette(f"p{i}", site.url(i), "2025-03-20T00:00:00+00:00", f"/news/{i}", 200, html_type,
                 site.page_html(i).encode("utf-8"))
        for i in range(4)
    ]  # fmt: skip
    settings = Settings(
        extract=ExtractSettings(templates_path=tmp_path / "t.sqlite"),
        crawl=CrawlSettings(delay=0),
    )
    with ReplayServer(cassettes) as server:
        urls = [server.url_for(c.name) for c in cassettes]
        report = learn_from_files([*urls, server.base_url + "/gone"], settings)
    assert report.learned == 4
    assert {p.host for p in report.pages if p.status == "learned"} == {"127.0.0.1"}
    assert report.pages[-1].status == "skipped"
    assert report.templates["127.0.0.1"].signatures
