"""Chrome rules as data: what is never article text on a news page, and how to recognise it.

Two kinds of rule live here. Selectors prune the parsed page before trafilatura sees it (cheap,
and it shrinks the document). Text patterns judge the blocks trafilatura returns, where the
markup is gone but the words remain. Every rule has a name; the name is what ``--explain``
prints next to each dropped block, so a name should tell a reader why the block went.

Patterns are general news-page knowledge (labels of widgets, recirculation headings, asks).
Nothing here may name a site: per-site knowledge belongs in ``config.yaml`` (SiteRules).
"""

from __future__ import annotations

import re
from typing import Final

from scraper.extract.patterns import required_literals, search, whole, words

# --- DOM pruning -------------------------------------------------------------------------------


# Elements that never hold article text. Their text is not worth recording for --explain.
SILENT_TAGS: Final = sorted(
    words(
        "script style noscript template svg canvas iframe object embed audio video picture map "
        "button select textarea input label dialog link meta"
    )
)

# (rule name, selector): elements that are chrome by what they are, not by what they are called.
# Text inside these is recorded when pruned.
CHROME_SELECTORS: Final[tuple[tuple[str, str], ...]] = (
    ("nav", "nav, [role='navigation'], menu"),
    ("footer", "footer, [role='contentinfo']"),
    ("aside", "aside, [role='complementary']"),
)
# A chrome element is kept when it holds at least this share of the page's text: it is then a
# layout wrapper (a theme that puts the whole page in an <aside>), not chrome.
WRAPPER_SHARE: Final = 0.4

# Words of class and id values (matched whole, see ``names``) by what they name. The block
# scorer weighs, for each category, whether a block's own element is so named and how much of
# the page sits in the nearest element above it that is: a comment box holds little of the
# page, an article wrapper whose class merely mentions comments holds most of it.
CLASS_WORDS: Final[dict[str, frozenset[str]]] = {
    "share": words("share sharing sharebar sharethis social socials"),
    "newsletter": words("newsletter newsletters subscribe subscription signup abonnement abo"),
    "cookie-banner": words("cookie cookies consent gdpr"),
    "recirculation": words(
        "related recirc recirculation outbrain taboola trending popular mostread recommended "
        "recommendations more"
    ),
    "advertisement": words(
        "advert advertisement advertising ad ads adslot dfp sponsored promo promoted "
        "publicite publicidad pubblicita werbung anzeige"
    ),
    "paywall": words("paywall premium subscriber subscribers locked meter metered"),
    "comments": words("comment comments disqus reply replies commentaires kommentare comentarios"),
    "tags": words("tags tag keywords topics topic"),
    "navigation": words(
        "nav navbar navigation menu submenu dropdown megamenu masthead breadcrumb breadcrumbs "
        "skip pagination pager toolbar"
    ),
    "sidebar": words("sidebar rail aside widget widgets"),
    # the furniture around the headline: standfirst, kicker, byline, date line
    "article-header": words(
        "dek deck subline standfirst subtitle subheadline strapline kicker byline bylines dateline"
    ),
    "author": words("author authors bio contributor writer"),
    "meta": words("meta date time timestamp published updated info"),
    "title": words("title headline heading hed"),
    "caption": words("caption credit figcaption photo image img media gallery figure"),
    "content": words("content article body post entry story text prose main rich copy richtext"),
    "footer": words("footer foot bottom copyright legal"),
    "header": words("header top banner hero"),
    "hidden": words("hidden hide visually sr only invisible collapsed"),
    "card": words("card teaser tile item list listing grid feed module"),
    "button": words("btn button icon cta link links"),
    "modal": words("modal popup overlay dialog"),
    "player": words("video player audio podcast embed listen"),
    "accordion": words("faq accordion toggle"),
}

# --- text rules over extracted blocks ----------------------------------------------------------
# The pattern tables below are laid out by hand, one thought per line.
# fmt: off

_SOCIAL = (
    r"facebook|twitter|linkedin|whatsapp|email|e-mail|print|pinterest|reddit|tweet|share|"
    r"copy link|messenger|sms|flipboard|telegram|comments?|x|\d+"
)
_SHARE_ITEM = rf"(?:share (?:on|via|to) )?(?:{_SOCIAL})"

# Whole-block labels left behind by players, ad slots and toolbars.
WIDGET_LABELS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    ("audio-player", whole(
        r"audio by \w+", r"listen to (?:this|the) (?:article|story)(?: \W? ?\d+ min(?:ute)?s?)?",
        r"listen(?: now)?", r"play(?:ing)? (?:audio|video)", r"\d+:\d\d(?: / \d+:\d\d)?",
        r"(?:your browser|this browser) does not support the \w+ element",
    )),
    ("advertisement", whole(
        r"advertisements?", r"ad", r"sponsored(?: content| stories)?", r"paid (?:content|post)",
        r"publicité|publicidad|pubblicità|publicidade|anzeige|werbung|reklama|advertentie",
        r"(?:story|article|content) continues (?:below|after)(?: (?:this )?(?:ad|advertisement))?",
        r"skip (?:this )?ad", r"ad feedback",
        r"scroll (?:down )?to continue(?: with content)?", r"promoted(?: stories)?",
    )),
    ("share-bar", whole(
        r"share(?: this)?(?: (?:article|story|post|page))?(?: on \w+)?",
        rf"(?=.*[a-z]){_SHARE_ITEM}(?:\W+{_SHARE_ITEM})*",  # a bare count is not a share bar
        r"like this:?", r"click to share on \w+.*",
        r"copied!?",
    )),
    ("toolbar", whole(
        r"print(?: this)?(?: article| story| page)?",
        r"e-?mail(?: this)? (?:article|story)", r"save (?:this )?(?:article|story)",
        r"(?:gift|share) (?:this )?article", r"text size",
    )),
    ("paywall", whole(
        r"(?:subscribe|sign in|log in|register|sign up)\b.{0,30}\bto (?:continue|keep) reading",
        r"(?:continue|keep) reading with a subscription",
    )),
    ("shortcode", re.compile(r"^\s*\[(\w+)\b[^\]]*\].*\[/\1\]\s*$")),
    ("reading-time", whole(
        r"\d+ min(?:ute)?s? read", r"(?:estimated )?reading time:? \d+ min(?:ute)?s?",
    )),
    ("tags", re.compile(
        r"^\W*(?:tags?|filed under|topics?|categories|category|keywords)\s*:.{0,200}$",
        re.IGNORECASE,
    )),
)

# A row of short links such as "Terms | Privacy | Contact": at least three short segments.
LINK_ROW: Final = re.compile(r"^[^|•·]{1,40}(?:\s[|•·]\s[^|•·]{1,40}){2,}$")

# Headings that open a recirculation block (lists of other stories).
RECIRCULATION_HEADINGS: Final = whole(
    r"latest(?: (?:stories|news|articles|posts|headlines|videos))?",
    r"related(?: [\w-]+){0,3}",
    r"more (?:from|on|in|about) .{1,40}", r"more (?:stories|news|articles|headlines|videos)",
    r"most (?:read|popular|viewed|shared|emailed|commented)(?: (?:stories|articles|news))?",
    r"trending(?: (?:now|stories|news|articles|topics))?", r"top (?:stories|news|headlines)",
    r"recommended(?: (?:for you|stories|reading|articles))?", r"(?:editor'?s'?|our) picks?",
    r"you (?:may|might) (?:also )?(?:like|enjoy|be interested in)", r"don'?t miss(?: this)?",
    r"(?:what to )?read (?:this )?next", r"up next", r"also read", r"read more", r"see also",
    r"in case you missed it", r"popular (?:now|stories|articles|on .{1,30})", r"must read",
    r"(?:from|around) the web", r"other (?:stories|news)", r"(?:watch|read) more",
    r"(?:more )?(?:stories|news) you may have missed", r"recent (?:posts|stories|articles)",
    r"(?:à |a )?lire aussi|lesen sie auch|leia também|veja também|lee también",
    r"les plus (?:lus|partagés|commentés)|sur le même sujet|dans la même rubrique",
    r"meistgelesen|lo más leído|más leídas|mais lidas|i più letti",
)

# A label that introduces a link to another story, as in "ALSO READ: <headline>".
LINK_LABEL: Final = re.compile(
    r"^\W*(?:also read|read more|read also|related|see also|see more|more|watch|recommended|"
    r"also on [\w.]+|read next|don'?t miss|click here|trending|must read|also see|"
    r"(?:related|recommended|more) (?:posts?|articles?|stor(?:y|ies)|reading|coverage|content|"
    r"links?)|lire aussi|lesen sie auch|leia também|veja também|lee también)"
    r"\s*[:|>»\-–—]",
    re.IGNORECASE,
)

# Relative times and "N comments" counters that accompany headline lists.
RELATIVE_TIME: Final = whole(
    r"(?:\d+|an?|one) (?:sec(?:ond)?s?|min(?:ute)?s?|h(?:ou)?rs?|days?|weeks?|months?)"
    r"(?: ago)?(?:\s*[-–—|·•])?",
    r"just now", r"yesterday", r"\d+ comments?",
)

# Asks and notices that ride along with articles. Searched in the lower-cased text of blocks of
# at most
# ASK_MAX_WORDS words (fewer for the rules listed in ASK_SHORTER): a long paragraph that
# mentions a newsletter is reporting, not an ask.
ASK_PATTERNS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    ("newsletter", search(
        r"\bsign(?:ing)? up (?:for|to) (?:our|the|my) .{0,40}newsletters?",
        r"\bsubscribe to (?:our|the) .{0,40}(?:newsletters?|podcast|channel)",
        r"\b(?:delivered|straight|right) (?:to|in|into) your inbox",
        r"\bthanks? (?:you )?for (?:signing up|subscribing)", r"\benter your e-?mail(?: address)?",
        r"\bby signing up,? you agree", r"\bnewsletter sign-?up",
    )),
    ("donation", search(
        r"\bsupport (?:our|independent|quality|local) (?:\w+ )?journalism",
        r"\b(?:please )?consider (?:supporting|subscribing|donating|making a contribution)",
        r"\bbecome a (?:member|subscriber|supporter|patron)\b", r"\bdonate (?:now|today)\b",
        r"\bmake a (?:donation|contribution)\b", r"\bsubscribe (?:now|today) (?:for|to|and)\b",
        r"\balready a subscriber\b", r"\bsubscribers? only\b",
        r"\bif you (?:enjoyed|liked|value|appreciate) (?:this|our) (?:article|story|journalism)",
    )),
    ("cookie-banner", search(
        r"\b(?:we|this (?:web)?site) uses? cookies\b", r"\baccept (?:all )?cookies\b",
        r"\bby continuing to (?:use|browse) (?:this|our) (?:web)?site",
        r"\bcookie (?:policy|settings|preferences)\b",
    )),
    ("contact-line", search(
        r"\b(?:have|got) a (?:news )?tip\b", r"\bcontact (?:the )?(?:author|reporter|writer)\b",
        r"^\W*follow (?:\S+ ){0,6}on (?:twitter|facebook|instagram|youtube)\b",
        r"^\W*e-?mail (?:\S+ ){1,3}at \S+@\S+",
    )),
    ("affiliate-disclosure", search(
        r"\bif you (?:buy|purchase) (?:something|anything|a product) (?:through|via|from)",
        r"\bmay (?:earn|get|receive) (?:a )?(?:small )?(?:commission|share of the sale)",
        r"\baffiliate (?:links?|commissions?)\b",
    )),
    ("comments-prompt", search(
        r"\b(?:leave|post|add|write) a comment\b", r"\b(?:leave|post|add|write) a reply\b",
        r"\bcomments are closed\b",
        r"\b(?:you must|please) (?:be )?log(?:ged)? ?in to (?:post a |leave a )?comment",
        r"\bjoin the (?:conversation|discussion)\b",
        r"\bréagissez à cet article\b",
        r"\bvous devez être connecté", r"\blaisser un commentaire\b",
    )),
    ("subscription-ask", search(
        r"^\W*abonnez-vous\b", r"^\W*je m['’]abonne\b", r"^\W*s['’]abonner\b",
        r"^\W*suscríbete\b", r"^\W*jetzt abonnieren\b", r"^\W*assine\b",
    )),
    ("copyright", search(
        r"^\W*©", r"^\W*ⓒ", r"^\W*copyright\b",
        r"\ball rights reserved\b|\btous droits réservés\b|\btodos los derechos reservados\b",
    )),
    ("app-promo", search(
        r"\bclick here to (?:sign up|subscribe)\b",
        r"\b(?:get|download) (?:the|our) .{1,30} app\b",
    )),
)
ASK_MAX_WORDS: Final = 45
# Whole-block patterns backtrack over long runs of punctuation: labels, headings and times are
# short, asks are a sentence or two, so longer blocks are never tried (linear time).
LABEL_MAX_CHARS: Final = 120
ASK_MAX_CHARS: Final = 600
# A prompt to comment also closes many a reporter's own paragraph; only a bare prompt goes.
ASK_SHORTER: Final[dict[str, int]] = {"comments-prompt": 15, "subscription-ask": 25}
# Words each ask pattern needs, checked with a plain substring test before the regex runs.
ASK_LITERALS: Final = {rule: required_literals(pattern) for rule, pattern in ASK_PATTERNS}

# Lines around the headline: "By Jane Doe", "Updated 5:45 AM", "Published 18 November 2019".
BYLINE: Final = re.compile(r"^\W*(?:by|words by|written by|posted by)\s+\S", re.IGNORECASE)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
DATELINE: Final = re.compile(
    rf"^\W*(?:published|updated|posted|last (?:updated|modified)|modified|publié|mis à jour"
    rf"|publicado|actualizado|veröffentlicht|aktualisiert|pubblicato|aggiornato)\b"
    rf"|\b\d{{1,2}}:\d{{2}}\s*(?:[ap]\.?m\.?|[ap]mt?|utc|gmt|[a-z]{{2,3}}t)\b"
    rf"|\b{_MONTH} \d{{1,2}},? \d{{4}}\b|\b\d{{1,2}} {_MONTH},? \d{{4}}\b"
    rf"|\b\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}\b",
    re.IGNORECASE,
)
DATELINE_MAX_WORDS: Final = 12
KICKER_MAX_WORDS: Final = 6  # a section label above the headline ("TECH", "News > Nation")

# A run of this many short lines in a row (menus that trafilatura kept as text) is navigation.
MENU_RUN: Final = 8
MENU_ENTRY_WORDS: Final = 4
MENU_ENTRY_CHARS: Final = 25

# A block of this many words found again inside another block is a repeat (pull quote,
# standfirst); longer blocks are not searched for (a repeat of a whole long paragraph is rare).
REPEAT_MIN_WORDS: Final = 8
REPEAT_MAX_WORDS: Final = 80
REPEAT_WINDOW: Final = 12  # blocks on either side (and at the top of the story) searched

# A block is "link text" when at least this share of its characters sits inside links.
LINK_BLOCK_SHARE: Final = 0.6
# fmt: on
