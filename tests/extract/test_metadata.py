"""extract_metadata: JSON-LD, then <meta>, then markup, then htmldate; exact values throughout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from scraper.extract.authors import clean_authors
from scraper.extract.dates import normalise_date
from scraper.extract.jsonld import decode_block
from scraper.extract.metadata import (
    Metadata,
    extract_metadata,
    normalise_language,
    strip_site_affix,
)

URL = "https://news.example.com/world/story-123"
PAGES = Path(__file__).parent / "metadata_pages"


def meta_of(html: str, url: str = URL) -> Metadata:
    return extract_metadata(LexborHTMLParser(html), url)


def page(head: str = "", body: str = "", lang: str = "") -> str:
    lang_attr = f' lang="{lang}"' if lang else ""
    return f"<!DOCTYPE html><html{lang_attr}><head>{head}</head><body>{body}</body></html>"


def ld(*objects: object) -> str:
    return "".join(
        f'<script type="application/ld+json">{json.dumps(obj)}</script>' for obj in objects
    )


def read_page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


# --- whole pages -------------------------------------------------------------------------


def test_jsonld_only_page() -> None:
    html = page(
        ld(
            {
                "@context": "https://schema.org",
                "@type": "NewsArticle",
                "headline": "Harbour  bridge reopens after\n repairs",
                "url": "https://news.example.com/world/story-123",
                "datePublished": "2024-05-01T10:00:00Z",
                "dateModified": "2024-05-02T08:30:00+02:00",
                "inLanguage": "en-US",
                "author": [
                    {"@type": "Person", "name": "Jane Doe"},
                    {"@type": "Person", "name": "John Smith"},
                ],
                "publisher": {"@type": "NewsMediaOrganization", "name": "Example News"},
                "description": "The bridge carried traffic again on Wednesday.",
                "image": ["/images/bridge-1200.jpg", "/images/bridge-600.jpg"],
                "keywords": "bridges, transport, Transport ,",
            }
        ),
        body="<p>Nothing else on this page.</p>",
    )
    assert meta_of(html) == Metadata(
        title="Harbour bridge reopens after repairs",
        canonical_url="https://news.example.com/world/story-123",
        authors=("Jane Doe", "John Smith"),
        published="2024-05-01T10:00:00+00:00",
        modified="2024-05-02T08:30:00+02:00",
        language="en",
        site_name="Example News",
        description="The bridge carried traffic again on Wednesday.",
        image="https://news.example.com/images/bridge-1200.jpg",
        tags=("bridges", "transport"),
        declares_article=True,
    )


def test_opengraph_only_page() -> None:
    assert meta_of(read_page("opengraph_only.html")) == Metadata(
        title="Council approves new cycle lanes",
        canonical_url="https://news.example.com/local/cycle-lanes",
        authors=("Priya Patel",),
        published="2024-03-12T07:15:00+00:00",
        modified="2024-03-12T09:00:00+00:00",
        language="en",
        site_name="Example Gazette",
        description="Three routes get protected lanes by next spring.",
        image="https://cdn.example.com/img/lanes.jpg",
        tags=("Cycling", "Local politics", "Transport"),
        declares_article=True,
    )


def test_graph_with_webpage_article_and_person_nodes() -> None:
    assert meta_of(read_page("yoast_graph.html"), "https://blog.example.org/2023/garden/") == (
        Metadata(
            title="How to start a vegetable garden",
            canonical_url="https://blog.example.org/2023/garden/",
            authors=("Maria García",),
            published="2023-04-18T06:00:00+00:00",
            modified="2023-04-20T12:45:10+00:00",
            language="es",
            site_name="Green Thumb Blog",
            description="Soil, sun and patience: a first season, step by step.",
            image="https://blog.example.org/wp-content/uploads/garden.jpg",
            tags=("gardening", "vegetables"),
            expected_words=1234,
            declares_article=True,
        )
    )


def test_page_with_nothing_gives_empty_metadata() -> None:
    assert meta_of(page(body="<div><p>Hello.</p></div>")) == Metadata()
    assert meta_of("") == Metadata()
    assert meta_of("<html>", url="") == Metadata()


# --- JSON-LD structure -------------------------------------------------------------------


def test_broken_jsonld_block_is_skipped_and_the_next_one_used() -> None:
    broken = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
    good = ld({"@type": "NewsArticle", "headline": "Working block", "author": "Jane Doe"})
    meta = meta_of(page(broken + good))
    assert (meta.title, meta.authors) == ("Working block", ("Jane Doe",))


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ('{"a": 1,}', [{"a": 1}]),
        ('{"a": [1, 2,], }', [{"a": [1, 2]}]),
        ('<!-- {"a": 1} -->', [{"a": 1}]),
        ('//<![CDATA[\n{"a": 1}\n//]]>', [{"a": 1}]),
        ('{"a": "line\nbreak\ttab"}', [{"a": "line\nbreak\ttab"}]),
        ('{"a":\x0b 1}', [{"a": 1}]),
        ('{"a": "it\\\'s"}', [{"a": "it's"}]),
        ('{"a": 1}{"b": 2}', [{"a": 1}, {"b": 2}]),
        ('[{"a": 1}, {"b": 2}]', [[{"a": 1}, {"b": 2}]]),
        ('{"a": 1} {"b": ', [{"a": 1}]),
        ("{not json at all", []),
        ("[" * 100_000, []),
        ("", []),
    ],
)
def test_decode_block_tolerates_common_breakage(block: str, expected: list[object]) -> None:
    assert decode_block(block) == expected


def test_article_nested_in_main_entity_and_type_lists() -> None:
    html = page(
        ld(
            {
                "@context": "https://schema.org",
                "@type": "WebPage",
                "name": "Example Times - Page",
                "mainEntity": {
                    "@type": ["https://schema.org/ReportageNewsArticle", "Article"],
                    "headline": "Floods close the valley road",
                    "author": {"@type": "Person", "givenName": "Ana", "familyName": "Silva"},
                    "datePublished": "2022-11-03",
                },
            }
        )
    )
    meta = meta_of(html)
    assert (meta.title, meta.authors, meta.published) == (
        "Floods close the valley road",
        ("Ana Silva",),
        "2022-11-03",
    )


def test_top_level_list_prefers_the_article_with_most_fields() -> None:
    html = page(
        ld(
            [
                {"@type": "BreadcrumbList", "itemListElement": []},
                {"@type": "Article", "name": "Teaser"},
                {
                    "@type": "OpinionNewsArticle",
                    "headline": "Why the tram matters",
                    "datePublished": "2021-06-30T18:00:00-04:00",
                },
            ]
        )
    )
    meta = meta_of(html)
    assert (meta.title, meta.published) == ("Why the tram matters", "2021-06-30T18:00:00-04:00")


def test_jsonld_author_forms() -> None:
    html = page(
        ld(
            {
                "@type": "BlogPosting",
                "headline": "Notes",
                "author": [
                    "By Jane Doe",
                    {"@type": "Person", "name": "John Smith", "url": "https://x.example/js"},
                    {"@type": "Person", "url": "https://news.example.com/authors/kim-lee"},
                    "https://news.example.com/authors/kim-lee",
                    {"@type": "Person", "name": ["Li Wei", "李伟"]},
                    "jane DOE",
                ],
            }
        )
    )
    assert meta_of(html).authors == ("Jane Doe", "John Smith", "Li Wei")


# --- authors -----------------------------------------------------------------------------


def test_author_naming_the_site_yields_to_a_person() -> None:
    head = '<meta property="og:site_name" content="Example News">' + ld(
        {
            "@type": "NewsArticle",
            "headline": "Markets rally",
            "author": {"@type": "Organization", "name": "Example News"},
            "publisher": {"@type": "Organization", "name": "Example News Group"},
        }
    )
    assert meta_of(page(head, '<p class="byline">By Jane Doe</p>')).authors == ("Jane Doe",)
    # nobody else named: the page says the site wrote it (a company blog, a personal site)
    assert meta_of(page(head)).authors == ("Example News",)


def test_agency_author_is_kept_whoever_publishes() -> None:
    article = {"@type": "NewsArticle", "headline": "Talks resume", "author": "Reuters"}
    own = page(ld({**article, "publisher": {"@type": "Organization", "name": "Reuters"}}))
    other = page(ld({**article, "publisher": {"@type": "Organization", "name": "Example Post"}}))
    assert (meta_of(own).authors, meta_of(other).authors) == (("Reuters",), ("Reuters",))


def test_group_bylines_are_authors_and_roles_are_not() -> None:
    assert meta_of(page('<meta name="author" content="The Travel Team">')).authors == (
        "The Travel Team",
    )
    assert meta_of(page('<meta name="author" content="Staff Writer">')).authors == ()


def test_byline_by_a_and_b() -> None:
    body = '<h1>Roadworks</h1><p class="byline">By Jane Doe and John Smith</p><p>Text.</p>'
    assert meta_of(page(body=body)).authors == ("Jane Doe", "John Smith")


def test_byline_with_one_element_per_author_and_role() -> None:
    body = (
        '<div class="article-byline"><span>By</span> <a href="/a/jd">Jane Doe</a>'
        '<span class="role">Senior Correspondent</span> and <a href="/a/ks">Kai Sato</a>'
        "<time>Updated 2 hours ago</time></div>"
    )
    assert meta_of(page(body=body)).authors == ("Jane Doe", "Kai Sato")


def test_contributor_name_elements_win_over_the_byline_block_around_them() -> None:
    body = (
        '<div class="byline-block"><time>11 March 2025</time><button>Share</button>'
        '<div><span class="x-ContributorName">Ana Ruiz</span><div>Science editor</div></div>'
        '<div><span class="x-ContributorName">Li Wei</span><div>Northern bureau</div></div></div>'
    )
    assert meta_of(page(body=body)).authors == ("Ana Ruiz", "Li Wei")


def test_meta_author_url_is_skipped_for_the_next_key() -> None:
    head = (
        '<meta property="article:author" content="https://www.facebook.com/janedoe">'
        '<meta name="author" content="Jane Doe">'
    )
    assert meta_of(page(head)).authors == ("Jane Doe",)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("By Jane Doe and John Smith", ("Jane Doe", "John Smith")),
        ("Alice Brown, Bob Green & Carol White", ("Alice Brown", "Bob Green", "Carol White")),
        ("Alice Brown, Bob Green, and Carol White", ("Alice Brown", "Bob Green", "Carol White")),
        ("Written by Jane Doe | Example News", ("Jane Doe",)),
        ("BY: Jane Doe", ("Jane Doe",)),
        ("Jane Doe, Example News", ("Jane Doe",)),
        ("Jane Doe, Example News Business", ("Jane Doe",)),
        ("Jane Doe (AP)", ("Jane Doe",)),
        ("Jane Doe, MD, PhD", ("Jane Doe",)),
        ("Jane Doe, Editor-at-large", ("Jane Doe",)),
        ("By Jane Doe Updated 3 hours ago", ("Jane Doe",)),
        ("By Jane Doe on May 1, 2024", ("Jane Doe",)),
        ("Text: Ana Silva", ("Ana Silva",)),
        ("Ludwig van Beethoven", ("Ludwig van Beethoven",)),
        ("with additional reporting by Dan Roe", ("Dan Roe",)),
        ("jane@example.com", ()),
        ("Jane Doe jane@example.com", ("Jane Doe",)),
        ("@janedoe", ()),
        ("https://news.example.com/author/jane-doe", ()),
        ("Staff Writer", ()),
        ("The Example News", ()),
        ("Monday", ()),
        ("He also writes for the weekend edition", ()),
        ("", ()),
    ],
)
def test_clean_authors(raw: str, expected: tuple[str, ...]) -> None:
    assert clean_authors([raw], exclude=["Example News"]) == expected


def test_clean_authors_dedupes_case_insensitively_in_order() -> None:
    assert clean_authors(["Jane Doe", "JOHN SMITH", "jane doe", "John Smith"]) == (
        "Jane Doe",
        "JOHN SMITH",
    )


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-05-01", "2024-05-01"),
        ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00+00:00"),
        ("2024-05-01T10:00:00.123+0000", "2024-05-01T10:00:00+00:00"),
        ("2024-05-01T10:00:00-05:00", "2024-05-01T10:00:00-05:00"),
        ("2024-05-01T10:00+05:30", "2024-05-01T10:00:00+05:30"),
        ("2024-05-01 10:00:00", "2024-05-01T10:00:00"),
        ("2024/05/01", "2024-05-01"),
        ("Wed, 01 May 2024 10:00:00 GMT", "2024-05-01T10:00:00+00:00"),
        ("Wed, 01 May 2024 10:00:00 +0200", "2024-05-01T10:00:00+02:00"),
        ("May 1, 2024", "2024-05-01"),
        ("1st May 2024", "2024-05-01"),
        ("Sept. 3, 2023, 4:05 p.m.", "2023-09-03T16:05:00"),
        ("Wednesday, May 1, 2024 at 3:05 pm EDT", "2024-05-01"),
        ("1714557600", "2024-05-01T10:00:00+00:00"),
        ("1714557600000", "2024-05-01T10:00:00+00:00"),
        ("2024-02-30", None),
        ("2024-13-01", None),
        ("2024-05-01T25:00:00Z", "2024-05-01"),
        ("1970-01-01T00:00:00Z", None),
        ("0000-00-00 00:00:00", None),
        ("1850-01-01", None),
        ("2999-01-01", None),
        ("01/05/2024", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_normalise_date(raw: str, expected: str | None) -> None:
    assert normalise_date(raw) == expected


def test_junk_date_falls_through_to_the_next_source() -> None:
    head = (
        '<meta property="article:published_time" content="0000-00-00T00:00:00">'
        '<meta name="parsely-pub-date" content="2020-02-29T23:59:59Z">'
        '<meta name="sailthru.date" content="Tue, 03 Mar 2020 08:00:00 +0000">'
    )
    meta = meta_of(page(head))
    assert (meta.published, meta.modified) == ("2020-02-29T23:59:59+00:00", None)


def test_microdata_dates_on_time_elements() -> None:
    body = (
        '<time itemprop="datePublished" datetime="2019-08-07T09:10:11+01:00">7 Aug</time>'
        '<time itemprop="dateModified" datetime="2019-08-08">8 Aug</time>'
    )
    meta = meta_of(page(body=body))
    assert (meta.published, meta.modified) == ("2019-08-07T09:10:11+01:00", "2019-08-08")


def test_htmldate_fallback_reads_the_url_when_nothing_else_dates_the_page() -> None:
    meta = meta_of(page(body="<p>Hello.</p>"), url="https://news.example.com/2023/03/14/story")
    assert meta.published == "2023-03-14"


# --- URLs, language, titles, tags, text repair ---------------------------------------------


def test_relative_canonical_is_resolved_against_the_page_url() -> None:
    head = '<link rel="canonical" href="../world/story-123?ref=x#top">'
    assert meta_of(page(head)).canonical_url == "https://news.example.com/world/story-123?ref=x"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<link rel="canonical" href="/">', "https://news.example.com/world/story-123"),
        ('<link rel="canonical" href="javascript:void(0)">', "https://news.example.com/a"),
        (
            '<link rel="Canonical alternate" href="https://m.example.com/x">',
            "https://m.example.com/x",
        ),
    ],
)
def test_canonical_fallbacks(head: str, expected: str) -> None:
    fallbacks = (
        '<meta property="og:url" content="https://news.example.com/a">'
        if "javascript" in head
        else ld({"@type": "Article", "mainEntityOfPage": {"@id": URL}})
    )
    assert meta_of(page(head + fallbacks)).canonical_url == expected


def test_image_from_relative_og_image_and_imageobject_list() -> None:
    og = page('<meta property="og:image" content="//cdn.example.com/a.jpg">')
    ld_list = page(ld({"@type": "Article", "image": [{"@type": "ImageObject", "url": "/b.png"}]}))
    assert (meta_of(og).image, meta_of(ld_list).image) == (
        "https://cdn.example.com/a.jpg",
        "https://news.example.com/b.png",
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("en-GB", "en"),
        ("en_US", "en"),
        ("EN", "en"),
        ("pt-BR", "pt"),
        ("zh-Hant-TW", "zh"),
        ("de, en", "de"),
        ("und", None),
        ("x-default", None),
        ("english", None),
        ("", None),
    ],
)
def test_normalise_language(raw: str, expected: str | None) -> None:
    assert normalise_language(raw) == expected


def test_language_order_html_lang_then_og_locale() -> None:
    head = '<meta property="og:locale" content="fr_FR">'
    assert meta_of(page(head, lang="en-GB")).language == "en"
    assert meta_of(page(head)).language == "fr"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Storm hits coast | Example News", "Storm hits coast"),
        ("Storm hits coast - Example News", "Storm hits coast"),
        ("Storm hits coast – The Example News", "Storm hits coast"),
        ("Example News :: Storm hits coast", "Storm hits coast"),
        ("Storm hits coast | World | Example News", "Storm hits coast | World"),
        ("Storm hits coast - live updates", "Storm hits coast - live updates"),
        ("Example News", "Example News"),
    ],
)
def test_strip_site_affix(title: str, expected: str) -> None:
    assert strip_site_affix(title, {"examplenews"}) == expected


def test_title_from_head_title_with_site_suffix_stripped() -> None:
    head = "<title>Storm hits coast &amp; town | Example News</title>"
    head += '<meta property="og:site_name" content="Example News">'
    assert meta_of(page(head)).title == "Storm hits coast & town"


def test_title_suffix_matching_the_host_is_stripped_without_site_name() -> None:
    html = page("<title>Storm hits coast - Example-News</title>")
    assert meta_of(html, "https://www.example-news.co.uk/s/1").title == "Storm hits coast"


def test_title_prefers_the_visible_headline_when_it_is_the_declared_title() -> None:
    head = "<title>From the title tag | Example News</title>"
    head += '<meta name="application-name" content="Example News">'
    h1 = "<h1>  Council approves the <em>harbour</em> repairs\n</h1>"
    og = '<meta property="og:title" content="{}">'
    shown = page(head + og.format("Harbour repairs approved | Politics | Example News"), h1)
    assert meta_of(shown).title == "Council approves the harbour repairs"
    other = page(head + og.format("From og:title"), "<h1>Weather warning</h1>")
    assert meta_of(other).title == "From og:title"
    assert meta_of(page(head, h1)).title == "Council approves the harbour repairs"
    assert meta_of(page(head)).title == "From the title tag"


def test_og_title_that_is_only_the_site_name_is_skipped() -> None:
    head = (
        '<meta property="og:site_name" content="Example News">'
        '<meta property="og:title" content="Example News">'
    )
    assert meta_of(page(head, "<h1>Real headline</h1>")).title == "Real headline"


def test_tags_from_article_tag_deduped_and_capped() -> None:
    head = "".join(f'<meta property="article:tag" content="tag {i % 40}">' for i in range(80))
    head += '<meta name="keywords" content="ignored, because, article:tag, won">'
    tags = meta_of(page(head)).tags
    assert tags == tuple(f"tag {i}" for i in range(30))


def test_tags_from_jsonld_keyword_list_and_news_keywords() -> None:
    listed = page(ld({"@type": "Article", "keywords": ["Energy", "Wind power; Grid", "energy"]}))
    news = page('<meta name="news_keywords" content=" Energy ,Wind power,, Grid ">')
    assert meta_of(listed).tags == ("Energy", "Wind power", "Grid")
    assert meta_of(news).tags == ("Energy", "Wind power", "Grid")


def test_mojibake_and_entities_are_repaired() -> None:
    head = (
        '<meta property="og:title" content="CafÃ© owners â€œrelievedâ€\x9d">'
        '<meta property="og:description" content="Tom &amp;amp; Jerry&#39;s caf&eacute;">'
        '<meta property="og:site_name" content="Le Monde Ã  Paris">'
    )
    meta = meta_of(page(head))
    assert (meta.title, meta.description, meta.site_name) == (
        "Café owners “relieved”",
        "Tom & Jerry's café",
        "Le Monde à Paris",
    )


def test_other_meta_vocabularies() -> None:
    head = (
        '<meta name="parsely-title" content="Parsely title">'
        '<meta name="parsely-author" content="Jane Doe">'
        '<meta name="parsely-author" content="John Smith">'
        '<meta name="DC.date.issued" content="2018-01-02">'
        '<meta name="dcterms.modified" content="2018-01-03T04:05:06Z">'
        '<meta name="sailthru.tags" content="a, b">'
        '<meta name="application-name" content="Example App News">'
        '<meta http-equiv="Content-Language" content="nl-NL">'
        '<meta name="twitter:description" content="Short summary.">'
        '<meta name="twitter:image" content="https://news.example.com/t.jpg">'
    )
    assert meta_of(page(head)) == Metadata(
        title="Parsely title",
        authors=("Jane Doe", "John Smith"),
        published="2018-01-02",
        modified="2018-01-03T04:05:06+00:00",
        language="nl",
        site_name="Example App News",
        description="Short summary.",
        image="https://news.example.com/t.jpg",
        tags=("a", "b"),
    )
