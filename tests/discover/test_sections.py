"""section_links and is_article_url: story links from a section front, chrome left out."""

from __future__ import annotations

import pytest

from scraper.discover import Link, is_article_url, section_links

PAGE_URL = "https://news.example/world/"

SECTION_FRONT = """<!doctype html>
<html><head><title>World | The Example</title></head><body>
<header><nav>
  <a href="/">Home</a> <a href="/world/">World</a> <a href="/politics">Politics</a>
  <a href="/sport/football/">Football</a> <a href="/login?next=/world">Sign in</a>
  <a href="/subscribe">Subscribe</a> <a href="https://social.example/theexample">Follow</a>
</nav></header>
<main>
  <article class="card">
    <a href="/world/2025/03/14/leaders-meet-in-geneva?utm_source=home"><img src="/i.jpg"></a>
    <h2><a href="/world/2025/03/14/leaders-meet-in-geneva#comments">Leaders meet in Geneva</a></h2>
    <p>By <a href="/author/jane-doe-smith-jones">Jane Doe</a>
       in <a href="/tag/geneva-talks-world-leaders">Geneva talks</a></p>
  </article>
  <h3><a href="/news/articles/c4g2d5x0y7jo">A story with an opaque id</a></h3>
  <a href="/news/articles/c4g2d5x0y7jz">Opaque id outside any headline</a>
  <ul>
    <li><a href="https://www.news.example/world/europe-floods-leave-thousands-homeless">Floods</a></li>
    <li><a href="/world/story-93847261" title="Numeric id story"><img src="/t.jpg"></a></li>
    <li><a href="/world/2025/03/10/">Day archive</a></li>
    <li><a href="/world/2025/03/">Month archive</a></li>
    <li><a href="/category/world-news-from-all-over">Category</a></li>
    <li><a href="/world/page/2">More</a></li>
    <li><a href="/world/?page=2">More again</a></li>
    <li><a href="/video/">Videos</a></li>
    <li><a href="/files/annual-report-2025-final-version.pdf">Report</a></li>
    <li><a href="/img/leaders-meet-in-geneva-large.jpg">Photo</a></li>
    <li><a href="https://other.example/world/2025/03/14/someone-elses-story">Elsewhere</a></li>
    <li><a href="https://sport.news.example/2025/03/14/a-subdomain-story">Subdomain</a></li>
    <li><a href="mailto:desk@news.example">Mail us</a></li>
    <li><a href="javascript:void(0)">Load more</a></li>
    <li><a>No href</a></li>
  </ul>
</main>
<footer>
  <a href="/about-us">About</a> <a href="/privacy-policy">Privacy</a> <a href="/terms">Terms</a>
  <a href="/contact">Contact</a> <a href="/rss">RSS</a> <a href="/search?q=geneva">Search</a>
</footer>
</body></html>"""


def test_article_links_kept_in_page_order_and_chrome_dropped() -> None:
    assert section_links(SECTION_FRONT, PAGE_URL) == [
        Link(
            "https://news.example/world/2025/03/14/leaders-meet-in-geneva",
            title="Leaders meet in Geneva",
        ),
        Link("https://news.example/news/articles/c4g2d5x0y7jo", title="A story with an opaque id"),
        Link(
            "https://www.news.example/world/europe-floods-leave-thousands-homeless",
            title="Floods",
        ),
        Link("https://news.example/world/story-93847261", title="Numeric id story"),
    ]


def test_cap_keeps_headline_links_first() -> None:
    links = section_links(SECTION_FRONT, PAGE_URL, max_links=2)
    assert [link.url for link in links] == [
        "https://news.example/world/2025/03/14/leaders-meet-in-geneva",
        "https://news.example/news/articles/c4g2d5x0y7jo",
    ]
    many = "".join(f'<p><a href="/world/story-{n:06d}">x</a></p>' for n in range(50))
    headline = '<h2><a href="/world/2025/03/14/the-one-headline-story">H</a></h2>'
    links = section_links(f"<body>{many}{headline}</body>", PAGE_URL, max_links=3)
    assert [link.url.rsplit("/", 1)[1] for link in links] == [
        "story-000000",
        "story-000001",
        "the-one-headline-story",
    ]
    assert section_links(SECTION_FRONT, PAGE_URL, max_links=0) == []


def test_base_href_is_honoured_but_the_site_is_the_page_host() -> None:
    page = """<head><base href="https://news.example/archive/"></head><body>
      <a href="2025/03/14/based-relative-story-link">a</a>
      <a href="https://other.example/2025/03/14/off-site-story-link">b</a></body>"""
    assert [link.url for link in section_links(page, "https://www.news.example/")] == [
        "https://news.example/archive/2025/03/14/based-relative-story-link"
    ]


def test_unusable_page_url_and_empty_page() -> None:
    assert section_links(SECTION_FRONT, "javascript:void(0)") == []
    assert section_links("", PAGE_URL) == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example/world/2025/03/14/leaders-meet", True),
        ("https://news.example/2025/03/leaders-meet", True),
        ("https://news.example/2025/3/14/x", True),
        ("https://news.example/world/floods-leave-thousands-homeless", True),
        ("https://news.example/world/story-93847261", True),
        ("https://news.example/article/12345.html", True),
        ("https://news.example/world/floods-leave-thousands-homeless.html", True),
        ("https://news.example/", False),
        ("https://news.example/world/", False),
        ("https://news.example/sport/football", False),
        ("https://news.example/2025/03/", False),
        ("https://news.example/2025/03/14/", False),
        ("https://news.example/tag/floods-leave-thousands-homeless", False),
        ("https://news.example/category/world-news-from-all-over", False),
        ("https://news.example/author/jane-doe-smith-jones", False),
        ("https://news.example/topics/climate-change-and-the-world", False),
        ("https://news.example/page/123456", False),
        ("https://news.example/search/floods-leave-thousands-homeless", False),
        ("https://news.example/world/story-93847261?page=2", False),
        ("https://news.example/?s=floods-leave-thousands-homeless", False),
        ("https://news.example/login/2025/03/14/x", False),
        ("https://news.example/subscribe/special-offer-this-week-only", False),
        ("https://news.example/feed/2025/03/14/x", False),
        ("https://news.example/privacy-and-cookie-policy", False),
        ("https://news.example/about-us/our-history-since-1850", False),
        ("https://news.example/videos", False),
        ("https://news.example/video/12345678", True),
        ("https://news.example/img/leaders-meet-in-geneva-large.jpg", False),
        ("https://news.example/docs/annual-report-2025-final.pdf", False),
        ("https://news.example/sitemap-2025-03-14.xml", False),
    ],
)
def test_is_article_url(url: str, expected: bool) -> None:
    assert is_article_url(url) is expected
