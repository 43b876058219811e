"""Page -> Article: the article body and metadata of one fetched page.

The page is parsed once with selectolax. Metadata is read from the intact tree; then chrome is
pruned, the rest is cut into segments and a learned block scorer keeps the article's
(``classify``), and the text rules of ``rules`` drop the widgets, asks and story lists that
ride along inside the article column. Every dropped block is kept on the Article with the name
of the rule that dropped it (``--explain``).

A site's learned template (``templates``) drops the blocks that site repeats on every page,
right after pruning. Pages that yield little text are checked for being no article at all
(error pages, JavaScript shells, consent walls), and every article is scored (``quality``).
"""

from __future__ import annotations

import re
from dataclasses import replace

from selectolax.lexbor import LexborHTMLParser

from scraper.config import ExtractSettings, SiteRules
from scraper.discover.shape import check_html_shape
from scraper.errors import ExtractError, NoContentError
from scraper.extract.body import Block
from scraper.extract.chrome import strip_chrome
from scraper.extract.classify import Chosen, article_blocks
from scraper.extract.metadata import Metadata, extract_metadata
from scraper.extract.prune import Pruned, prune
from scraper.extract.quality import (
    SUSPECT_WORDS,
    TEASER_MAX_WORDS,
    Signals,
    non_article,
    score,
)
from scraper.extract.signatures import drop_matched, walk
from scraper.extract.templates import SiteTemplate
from scraper.extract.text import repair_mojibake
from scraper.models import Article, DroppedBlock, Page

__all__ = ["EXTRACTOR_VERSION", "extract_page"]

# Bump when a rule changes what is extracted, so stored articles can be told apart.
EXTRACTOR_VERSION = "3"

_MAX_HEADLINES = 3  # a page repeats its headline in a few <h1>s at most


def extract_page(
    page: Page,
    settings: ExtractSettings,
    site: SiteRules | None = None,
    template: SiteTemplate | None = None,
    *,
    signatures: bool = False,
) -> Article:
    """Extract the article of ``page``; raise NoContentError when the page has none.

    ``template`` is what was learned about the page's site (``TemplateStore.template``): the
    blocks it names are dropped. With ``signatures``, the page's block signatures come back on
    ``Article.signatures`` for ``TemplateStore.learn`` (one more pass over the tree).
    """
    tree = _parse(page)
    meta = extract_metadata(tree, page.final_url)
    h1s = (" ".join(h.text(separator=" ").split()) for h in tree.css("h1")[:_MAX_HEADLINES])
    headlines = [meta.title or "", *h1s]
    pruned = prune(tree, site, page.url)
    learned, template_dropped = _apply_template(pruned, template, want_signatures=signatures)
    chosen = article_blocks(pruned, settings, page.url, meta, headlines)
    kept, chrome_dropped = _text_blocks(chosen, settings, headlines, site, page.url)
    text = "\n\n".join(b.text for b in kept)
    dropped = (*pruned.dropped, *template_dropped, *chrome_dropped)
    article = _article(page, meta, text, dropped)
    words = article.word_count
    _refuse_non_article(page, tree, headlines, text, words=words, limit=settings.min_words)
    value, reasons = score(
        Signals(
            text=text,
            words=words,
            link_chars=sum(b.link_chars for b in kept),
            title=meta.title,
            published=meta.published,
            expected_words=meta.expected_words,
            dropped=dropped,
            page_text=_page_text(tree) if words < TEASER_MAX_WORDS else "",
        )
    )
    return replace(article, quality=value, quality_reasons=reasons, signatures=learned)


def _text_blocks(
    chosen: Chosen,
    settings: ExtractSettings,
    headlines: list[str],
    site: SiteRules | None,
    url: str,
) -> tuple[list[Block], list[DroppedBlock]]:
    """The chosen blocks repaired and past the text rules: (kept, dropped with their rules)."""
    blocks = chosen.blocks
    if settings.fix_mojibake:
        blocks = [
            _repaired(b) if m is None else b for b, m in zip(blocks, chosen.marks, strict=True)
        ]
    patterns = _site_patterns(site, url)
    return strip_chrome(blocks, headlines, patterns, scored=chosen.scored, marks=chosen.marks)


def _parse(page: Page) -> LexborHTMLParser:
    if not page.html.strip():
        raise NoContentError("empty page", url=page.url, code="empty_body")
    check_html_shape(page.html, page.url)  # before any parser meets a quadratic page
    try:
        return LexborHTMLParser(page.html)
    except Exception as exc:  # selectolax signals parser trouble with assorted errors
        raise ExtractError(f"HTML could not be parsed: {exc!r}", url=page.url) from exc


def _apply_template(
    pruned: Pruned, template: SiteTemplate | None, *, want_signatures: bool
) -> tuple[frozenset[str], list[DroppedBlock]]:
    """Drop the blocks of the site's template; (the page's signatures if wanted, what went)."""
    apply = template is not None and bool(template.signatures)
    root = pruned.tree.body if pruned.tree is not None else None
    if root is None or not (apply or want_signatures):
        return frozenset(), []
    walked = walk(root, template.signatures if template is not None else ())
    dropped = drop_matched(walked, template.rule, keep=pruned.body) if template else []
    return (walked.signatures if want_signatures else frozenset()), dropped


def _refuse_non_article(
    page: Page, tree: LexborHTMLParser, headlines: list[str], text: str, *, words: int, limit: int
) -> None:
    """Raise NoContentError for a page that is no article, or whose body is too short."""
    if words < SUSPECT_WORDS:
        title = tree.css_first("title")
        head_title = " ".join(title.text().split()) if title is not None else ""
        reason = non_article(page.html, [*headlines, head_title], text)
        if reason is not None:
            raise NoContentError(reason, url=page.url)
    if words < limit:
        reason = "no article text" if not text else f"only {words} words of text"
        raise NoContentError(f"{reason} (fewer than {limit})", url=page.url)


def _page_text(tree: LexborHTMLParser) -> str:
    return tree.body.text(separator=" ") if tree.body is not None else ""


def _site_patterns(site: SiteRules | None, url: str) -> list[re.Pattern[str]]:
    try:
        return [re.compile(pattern) for pattern in site.drop_text] if site else []
    except re.error as exc:
        message = f"site rules hold a drop_text pattern that does not compile: {exc}"
        raise ExtractError(message, url=url) from exc


def _repaired(block: Block) -> Block:
    text = repair_mojibake(block.text)
    return block if text is block.text else replace(block, text=text)


def _article(page: Page, meta: Metadata, text: str, dropped: tuple[DroppedBlock, ...]) -> Article:
    return Article(
        url=page.url,
        final_url=page.final_url,
        text=text,
        title=meta.title,
        canonical_url=meta.canonical_url,
        authors=meta.authors,
        published=meta.published,
        modified=meta.modified,
        language=meta.language,
        site_name=meta.site_name,
        description=meta.description,
        image=meta.image,
        tags=meta.tags,
        fetched_at=page.fetched_at,
        extractor_version=EXTRACTOR_VERSION,
        encoding=page.encoding or None,
        encoding_source=page.encoding_source or None,
        dropped=dropped,
    )
