"""Shingle hashes: stable across processes, blind to punctuation; containment and sketches
tell copies of a story from other stories."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scraper.crawl.shingles import containment, shingle_hashes, sketch, words

REPO = Path(__file__).resolve().parents[2]
SEEDS = Path("/work/shared/seeds")

# An invented wire story (209 words) and unrelated text, written for these tests.
WIRE = """The harbour authority in Port Elmsworth said on Tuesday that a cargo ship carrying 4,000 \
tonnes of grain had run aground near the northern breakwater during a storm overnight.

No one was injured, the authority said, and the ship's crew of 21 remained on board while tugs \
waited for the tide to turn. "We are confident the vessel can be refloated safely," a \
spokeswoman said.

The ship, the Marisol Grace, had been waiting to enter the port after a delay caused by high \
winds. Local fishermen reported seeing it drift towards the rocks shortly after 2 a.m.

Engineers will inspect the hull for damage once the ship is afloat. The authority said there \
was no sign of fuel leaking into the water, but an oil boom had been placed around the vessel \
as a precaution.

Shipping in and out of the port was suspended for several hours and is expected to resume by \
Wednesday morning. The grain was bound for mills in the south of the country, where supplies \
have been tight since a poor harvest last year.

The mayor of Port Elmsworth, Daniel Okafor, thanked the harbour crews for their quick response \
and said the town would review its storm warnings for ships waiting offshore."""

OTHER = """A new public library opened in the centre of Lindholm on Saturday, three years after \
the old building was closed because of a leaking roof.

The library has room for 80,000 books, a children's floor with a small theatre, and a cafe run \
by students from the town's catering college. Hundreds of people queued outside before the \
doors opened at ten.

The project was paid for by the town council with help from a national fund for cultural \
buildings. Work was delayed twice, once when builders found a medieval well under the car park.

Librarians said the most popular request on the first morning was for a card, with more than \
600 issued before lunch. The council said opening hours would be longer than before."""


# Two renderings of one invented wire story (the copy re-punctuated, with curly quotes and a
# dash, several sentences reworded, a headline and a credit line added), and a different story
# on the same topic from the same wire, sharing its phrases and credit line.
FLOOD_WIRE = """Hundreds of residents of Ardmoor were moved to emergency shelters on Thursday \
after the river Telling burst its banks for the second time in a month, the regional council said.

Water reached the first floors of houses in the old quarter by mid-morning, and police closed the \
two bridges that link the town to the main road. "We are asking everyone in the low streets to \
leave now and not to wait for the water to rise further," council leader Maria Brandt said.

The council said 640 people had registered at the shelters, which were set up in a school gym \
and the town's sports hall. Volunteers handed out blankets, hot meals and dry clothes.

Forecasters expect another 40 millimetres of rain over the hills upstream before Saturday, and \
the river is not expected to peak until late on Friday.

Farmers downstream said they had moved cattle to higher ground overnight. One, Tomas Keller, \
said the fields he had replanted after the last flood were under water again.

The regional government has promised an inquiry into why new flood barriers, finished last \
spring, failed to hold. Engineers said debris carried by the current had blocked a sluice gate.

Reporting by Lena Fischer; Editing by Paul Ames"""

FLOOD_COPY = """Ardmoor floods again: hundreds moved to shelters

Hundreds of Ardmoor residents were moved to emergency shelters on Thursday after the river \
Telling burst its banks for the second time in a month, according to the regional council.

Water reached the first floors of houses in the old quarter by mid-morning – and police closed \
both bridges linking the town to the main road. “We are asking everyone in the low streets to \
leave now and not to wait for the water to rise further,” council leader Maria Brandt said.

The council said 640 people had registered at the shelters, set up in a school gym and the \
town’s sports hall; volunteers handed out blankets, hot meals and dry clothes.

Forecasters expect another 40 millimetres of rain over the hills upstream before Saturday. The \
river is not expected to peak until late on Friday.

Farmers downstream said they had moved cattle to higher ground overnight. One of them, Tomas \
Keller, said the fields he had replanted after the last flood were under water once more.

The regional government has promised an inquiry into why new flood barriers, completed last \
spring, failed to hold. According to engineers, debris carried by the current had blocked a \
sluice gate.

Additional reporting by our regional desk"""

FLOOD_OTHER = """Emergency crews evacuated more than 300 people from the village of Kessby on \
Thursday as the river Orla rose to its highest level in twenty years, the regional council said.

Police closed the main road through the village after water covered it in several places, and \
residents of the low streets were told to leave their homes. "We are asking people not to drive \
through flood water under any circumstances," a police spokesman said.

The council said the evacuees were being housed in a church hall and a hotel in the nearby town \
of Lunde, where volunteers handed out blankets and hot meals.

Forecasters expect the rain to ease on Saturday, but warned that the river could keep rising \
until the weekend as water drains from the hills upstream.

The village was last flooded in 2004, when the river destroyed a footbridge and damaged the \
school. A new flood wall was built along the river bank in 2010.

Local businesses said they had moved stock to upper floors. The owner of the village bakery \
said she expected to lose a week of trade.

Reporting by Lena Fischer; Editing by Paul Ames"""

SEED_CHROME_LINES = ("Audio By Carbonatix",)
SEED_CHROME_FROM = "Latest Stories"


def seed_pair() -> tuple[str, str]:
    """The two seed renderings of one Mali story, 000 without the chrome our extractor drops
    (the audio label and the "Latest Stories" list); skips the test if the seeds are absent."""
    first = sorted(SEEDS.glob("000_*.txt")) if SEEDS.is_dir() else []
    second = sorted(SEEDS.glob("001_*.txt")) if SEEDS.is_dir() else []
    if not first or not second:
        pytest.skip("shared seeds 000/001 not present")
    lines = first[0].read_text(encoding="utf-8").splitlines()
    if SEED_CHROME_FROM in lines:
        lines = lines[: lines.index(SEED_CHROME_FROM)]
    kept = [line for line in lines if line.strip() not in SEED_CHROME_LINES]
    return "\n".join(kept), second[0].read_text(encoding="utf-8")


def _restyled(text: str) -> str:
    """Another site's rendering: curly quotes, other dashes and spacing, shouting case."""
    text = text.replace(' "', " “").replace('," ', ",” ").replace("'", "’")
    text = text.replace(", and", " — and").replace(". ", ".  ").replace("\n\n", "\n")
    return text.upper()


def test_values_are_pinned_and_fit_in_64_bits() -> None:
    # Stored across runs (story sketches): changing the hash silently would orphan every story.
    assert sketch(shingle_hashes("The quick brown fox jumps over the lazy dog"), 1) == [
        0x1EB56FD3E69C566D
    ]
    assert all(0 <= value < 1 << 64 for value in shingle_hashes(WIRE))


# Loads shingles.py on its own: importing the scraper package would pull in trafilatura (~1 s).
_CHILD = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("shingles", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(sorted(module.shingle_hashes(sys.argv[2])))
"""


def test_values_do_not_depend_on_the_process_hash_seed() -> None:
    module_path = REPO / "scraper" / "crawl" / "shingles.py"
    values = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", _CHILD, str(module_path), OTHER],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        values.add(result.stdout.strip())
    assert values == {str(sorted(shingle_hashes(OTHER)))}


def test_empty_and_tiny_texts() -> None:
    assert shingle_hashes("") == frozenset()
    assert shingle_hashes(" ... — “” ") == frozenset()
    assert len(shingle_hashes("Breaking")) == 1  # shorter than one shingle still counts
    assert shingle_hashes("Breaking news") != shingle_hashes("Breaking")


def test_words_fold_case_width_and_apostrophes() -> None:
    assert words("Mali’s ARMY, Ｍａｌｉ's army!") == ["mali", "s", "army", "mali", "s", "army"]


def test_punctuation_quotes_case_and_spacing_change_nothing() -> None:
    assert shingle_hashes(WIRE) == shingle_hashes(_restyled(WIRE))


def test_small_edits_keep_most_of_the_text() -> None:
    one_word = WIRE.replace("high winds", "strong winds")
    reworded = WIRE.replace(
        "Local fishermen reported seeing it drift towards the rocks shortly after 2 a.m.",
        "Fishermen said they saw it drifting towards the rocks just after 2 a.m.",
    )
    # A changed word costs the three shingles it is in, of ~200; a reworded sentence ~5%.
    assert _overlap(WIRE, one_word) >= 0.98
    assert _overlap(WIRE, WIRE + "\n\nReporting by the wire desk.") == 1.0
    assert 0.9 <= _overlap(WIRE, reworded) < 1.0


def test_a_long_repetitive_text_gives_each_distinct_shingle_once() -> None:
    long = shingle_hashes("word other thing " * 10_000)  # 30,000 words, 3 distinct shingles
    assert long == shingle_hashes("word other thing word other thing")


def _overlap(first: str, second: str) -> float:
    return containment(shingle_hashes(first), shingle_hashes(second))


def test_containment_is_shared_share_of_the_smaller_text() -> None:
    assert _overlap(WIRE, WIRE) == 1.0
    assert _overlap(WIRE, _restyled(WIRE)) == 1.0  # punctuation, quotes and case are folded
    assert _overlap(WIRE, WIRE[: len(WIRE) // 2]) == 1.0  # a shortened copy is all contained
    assert _overlap(WIRE, OTHER) == 0.0
    assert _overlap("", WIRE) == 0.0
    assert len(shingle_hashes("One two three four")) == 2  # "one two three", "two three four"
    assert shingle_hashes("One two three four") < shingle_hashes("One two three four five")


def test_copies_overlap_far_more_than_stories_on_one_topic() -> None:
    # Measured 0.786 for the copy, 0.101 and 0.058 for the other story (shared phrases and the
    # credit line): the linking threshold (0.5 by default) sits in the wide gap between.
    assert _overlap(FLOOD_WIRE, FLOOD_COPY) >= 0.7
    assert _overlap(FLOOD_WIRE, FLOOD_OTHER) <= 0.15
    assert _overlap(FLOOD_COPY, FLOOD_OTHER) <= 0.15


def test_seed_renderings_overlap_once_the_chrome_is_gone() -> None:
    one, two = seed_pair()
    # Measured 0.897; 000 with its chrome is still 0.897 contained, since the chrome only adds
    # shingles to the larger side.
    assert _overlap(one, two) >= 0.8


def test_sketch_keeps_the_smallest_shingle_hashes() -> None:
    values = sketch(shingle_hashes(WIRE), 16)
    assert len(values) == 16 and values == sorted(values)
    assert sketch(shingle_hashes(WIRE), 4) == values[:4]
    assert sketch(shingle_hashes(_restyled(WIRE)), 16) == values  # folded like the shingles
    assert len(sketch(shingle_hashes("One two three four"), 16)) == 2  # a short text keeps them all
    assert sketch(frozenset(), 16) == []


def test_a_copy_shares_most_of_its_sketch_and_another_story_little() -> None:
    # Measured 13 of 16 for the copy, 1 for the other story (a shared stock phrase), 0 for an
    # unrelated one; state_stories.py gives the odds for a copy at the overlap threshold.
    def shared(first: str, second: str) -> int:
        return len(set(sketch(shingle_hashes(first), 16)) & set(sketch(shingle_hashes(second), 16)))

    assert shared(FLOOD_WIRE, FLOOD_COPY) >= 10
    assert shared(*seed_pair()) >= 10
    assert shared(FLOOD_WIRE, FLOOD_OTHER) <= 2
    assert shared(FLOOD_WIRE, WIRE) == 0
