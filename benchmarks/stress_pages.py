"""Pages built to stress extraction: a 10 MB article page and a 100 KB author value.

Every pass of the extractor must be linear in its input, and every value capped before a
regular expression reads it. ``stress_rows`` times our extractor (and trafilatura, on the
pages it reads the same way) on a 1 MB and a 10 MB page of the same make, so the two times
show the growth, and on pages whose author fields hold 100 KB of the patterns that make
naive byline clean-up backtrack.
"""

from __future__ import annotations

import contextlib
import json
import random
import time
from collections.abc import Callable

_WORDS = [
    "council",
    "harbour",
    "repairs",
    "winter",
    "storms",
    "authority",
    "divers",
    "damage",
    "survey",
    "contractor",
    "weekend",
    "section",
    "boats",
    "basin",
    "fishermen",
    "delay",
    "landings",
    "fees",
    "budget",
    "engineers",
    "breakwater",
    "report",
    "residents",
    "meeting",
    "traders",
    "quay",
    "lifeboat",
    "station",
    "marina",
    "spring",
    "timetable",
    "crossing",
    "ferry",
]
_URL = "https://news.example/2025/05/20/stress"


def article_page(megabytes: float, seed: int = 7) -> str:
    """An article of sections (heading, paragraphs of varied sentences, a list of links),
    beside a rail and under a menu, grown to about ``megabytes`` of HTML."""
    rng = random.Random(seed)
    parts = ["<html><head><title>Harbour repairs | Valley Herald</title></head><body>",
             "<nav>" + " ".join(f"<a href='/s/{i}'>Section {i}</a>" for i in range(20)) + "</nav>",
             "<main><article><h1>Harbour repairs fall behind schedule</h1>"]  # fmt: skip
    size, section = sum(map(len, parts)), 0
    while size < megabytes * 1_000_000:
        section += 1
        paragraphs = "".join(f"<p>{_sentences(rng, 6)}</p>" for _ in range(8))
        links = "".join(
            f"<li><a href='/a/{section}/{i}'>{_sentences(rng, 1)}</a></li>" for i in range(4)
        )
        chunk = f"<h2>Part {section}</h2>{paragraphs}<ul>{links}</ul>"
        parts.append(chunk)
        size += len(chunk)
    parts.append("</article></main><aside>Most read</aside><footer>About us</footer></body></html>")
    return "".join(parts)


def _sentences(rng: random.Random, count: int) -> str:
    return " ".join(
        " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 20))).capitalize() + "."
        for _ in range(count)
    )


def author_page(value: str) -> str:
    """A short article whose meta author, JSON-LD author and byline all hold ``value``."""
    ld = json.dumps({"@type": "NewsArticle", "headline": "Stress", "author": {"name": value}})
    body = " ".join(["The harbour wall will be repaired before the winter storms."] * 20)
    return (
        f'<html><head><meta name="author" content="{value}"><script type="application/ld+json">'
        f'{ld}</script></head><body><article><h1>Stress</h1><p class="byline">{value}</p>'
        f"<p>{body}</p></article></body></html>"
    )


AUTHOR_VALUES = {
    "100 KB author, one token": "x" * 100_000,
    "100 KB author, repeated name": "Jane " * 20_000,
    "100 KB author, e-mail signs": "a@" * 50_000,
    "100 KB author, 'by' repeated": "by " * 33_333,
}


def stress_rows() -> list[str]:
    from scraper.config import ExtractSettings
    from scraper.errors import ScraperError
    from scraper.extract import extract_page
    from scraper.fetch import page_from_bytes

    settings = ExtractSettings()

    def ours(html: str) -> None:
        with contextlib.suppress(ScraperError):  # a refusal is an outcome too
            extract_page(page_from_bytes(html.encode(), _URL), settings)

    def theirs(html: str) -> None:
        import trafilatura

        trafilatura.extract(html)

    rows = [f"{'input':<34} {'size MB':>8} {'scraper s':>10} {'trafilatura s':>14}"]
    cases = [(f"article page, {mb} MB", article_page(mb)) for mb in (1, 10)]
    cases += [(name, author_page(value)) for name, value in AUTHOR_VALUES.items()]
    for name, html in cases:
        rows.append(
            f"{name:<34} {len(html) / 1e6:8.1f} {_seconds(ours, html):10.2f} "
            f"{_seconds(theirs, html):14.2f}"
        )
    return rows


def _seconds(run: Callable[[str], None], html: str) -> float:
    started = time.process_time()
    run(html)
    return time.process_time() - started


if __name__ == "__main__":
    print("\n".join(stress_rows()))
