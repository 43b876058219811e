"""Ten article pages of one made-up local news site, built from one page template.

The site's chrome is the kind the generic rules cannot know: a partner box and a story list
with neutral class names and unusual headings, and a notice about the newsroom pasted under
every story inside the article's own container. Each page has its own story text.
"""

from __future__ import annotations

HOST = "www.riverside-ledger.example"
PAGES = 10
PARTNERS_HEADING = "From our partners"
RAIL_HEADING = "Elsewhere in the valley"
NOTICE = (
    "The Riverside Ledger is an independent newsroom funded by readers across the valley. "
    "Our stories may be republished free of charge, with credit."
)
# A reporter's stock sentence, as its own paragraph on two of the ten stories only.
STOCK_SENTENCE = "The council will meet again next month to review progress on the scheme."
STOCK_PAGES = (2, 7)

_TOWNS = (
    "Ashford", "Bramley", "Carrow", "Dunmore", "Elsworth",
    "Fenwick", "Garstang", "Holloway", "Ilverton", "Jarrow",
)  # fmt: skip
_SUBJECTS = (
    ("the new footbridge", "engineers", "the river crossing"),
    ("the library extension", "architects", "the reading rooms"),
    ("a flood defence scheme", "hydrologists", "the lower meadows"),
    ("the bus timetable", "planners", "the evening routes"),
    ("a school merger", "governors", "the two campuses"),
    ("the market square", "traders", "the Saturday stalls"),
    ("a wind farm proposal", "surveyors", "the northern ridge"),
    ("the hospital car park", "managers", "the visitor spaces"),
    ("a housing estate", "builders", "the first phase"),
    ("the rowing club", "volunteers", "the boathouse roof"),
)
_OFFERS = (
    "Homeowners are switching to this simple boiler upgrade",
    "Why walkers swear by these waterproof boots this winter",
    "The savings account that beats every high street bank",
    "Local clinic offers free hearing checks this month",
    "Five garden jobs to finish before the first frost",
    "See the new electric estate cars in a showroom near you",
)


def headline(i: int) -> str:
    town, (thing, _, _) = _TOWNS[i], _SUBJECTS[i]
    return f"{town} approves plans for {thing}"


def url(i: int) -> str:
    return f"https://{HOST}/news/2025/03/{_TOWNS[i].lower()}-plans"


def story(i: int) -> list[str]:
    """The paragraphs of story ``i`` as a reader sees them."""
    town, (thing, people, part) = _TOWNS[i], _SUBJECTS[i]
    paragraphs = [
        f"Work on {thing} in {town} will start in the spring after the district council approved "
        "the final design on Tuesday evening, ending a consultation that ran for almost two years.",
        f"The {people} who drew up the plans said most of the money would go on {part}, which "
        "has been closed to the public since an inspection found serious faults last winter.",
        f"Residents of {town} told the meeting they welcomed the decision but feared months of "
        "disruption, and asked for the noisiest work to be done outside the school holidays.",
        f"A council spokesperson said the contract for {thing} would be signed within weeks, and "
        f"that the drawings would go on show at the {town} community hall in March.",
    ]
    if i in STOCK_PAGES:
        paragraphs.append(STOCK_SENTENCE)
    return paragraphs


def page_html(i: int, paragraphs: list[str] | None = None) -> str:
    """Page ``i`` of the site; ``paragraphs`` replace its story when given."""
    body = "\n".join(f"<p>{p}</p>" for p in (paragraphs or story(i)))
    offers = "".join(
        f'<div class="k7-row"><a href="https://offers.example/p/{i}{n}">'
        f"{_OFFERS[(i + n) % len(_OFFERS)]}</a> <span>Paid for by our partner</span></div>"
        for n in range(3)
    )
    others = [(i + n) % PAGES for n in range(1, 5)]
    items = "".join(
        f'<li class="q-item"><a href="{url(k)}">{_TOWNS[k]} council delays vote on '
        f"{_SUBJECTS[k][0]}</a> <span>Members in {_TOWNS[k]} asked officers for more time to study "
        "the costs before a final vote.</span></li>"
        for k in others
    )
    first, rest = body.split("\n", 2)[:2], body.split("\n", 2)[2:]
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{headline(i)} | The Riverside Ledger</title>
<meta property="og:site_name" content="The Riverside Ledger">
<link rel="canonical" href="{url(i)}">
<meta property="article:published_time" content="2025-03-{10 + i}T08:00:00+00:00">
</head><body>
<header class="top"><a href="/">The Riverside Ledger</a>
<nav><a href="/news">News</a> <a href="/sport">Sport</a> <a href="/whats-on">What's on</a></nav>
</header>
<div class="pg"><div class="pg-main">
<h1>{headline(i)}</h1>
<div class="by">By Local Democracy Desk</div>
<div class="story">
{"".join(first)}
<div class="k7-unit"><div class="k7-hd">{PARTNERS_HEADING}</div>{offers}</div>
{"".join(rest)}
<p class="note">{NOTICE}</p>
<div class="q-rail"><h3 class="q-hd">{RAIL_HEADING}</h3><ul class="q-list">{items}</ul></div>
</div>
</div></div>
<footer><p>© 2025 The Riverside Ledger</p></footer>
</body></html>"""
