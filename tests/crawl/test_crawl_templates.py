"""A crawl learns each site's template from the articles it extracts, so the next crawl of the
site comes out cleaner: chrome the generic rules miss is dropped once learned."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from tests.crawl.crawl_support import T0, crawl, json_files, settings
from tests.crawl.sites import RSS, Route, Site, rss
from tests.extract import template_site as sample


def serve_stories(site: Site, count: int) -> list[str]:
    """The sample site's first ``count`` stories on ``site``, listed by its feed."""
    urls = []
    for i in range(count):
        path = urlsplit(sample.url(i)).path
        site.routes[path] = Route(sample.page_html(i).encode("utf-8"))
        urls.append(site.url(path))
    site.routes["/feed.xml"] = Route(rss([(url, T0) for url in urls]), content_type=RSS)
    return urls


def test_each_crawl_of_a_site_makes_the_next_cleaner(tmp_path: Path, site_a: Site) -> None:
    config = settings(tmp_path, [{"name": "ledger", "feeds": [site_a.url("/feed.xml")]}])
    first_urls = serve_stories(site_a, 6)
    first = crawl(config)
    assert first.stats["totals"]["new"] == 6, first.stats["totals"]
    first_texts = {url: record["text"] for url, record in json_files(tmp_path).items()}
    # Before anything was learned, the site's own chrome came out with the first story.
    assert sample.NOTICE in first_texts[first_urls[0]]

    later_url = serve_stories(site_a, 7)[-1]
    second = crawl(config)
    assert second.stats["totals"]["new"] == 1
    text = json_files(tmp_path)[later_url]["text"]
    assert sample.NOTICE not in text
    assert sample.RAIL_HEADING not in text
    assert sample.story(6)[0] in text  # the story itself stays whole
    assert sample.story(6)[-1] in text
    assert (tmp_path / "state" / "templates.sqlite").is_file()
