"""Content for the crawler's tests: a small Wikipedia and Wiktionary (texts written for the tests, in
the shapes the real wikis use), the classes that exercise each rule, and helpers to run them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mediawiki_server import FakeWiki, MediaWikiServer
from wordnet_fixture import small_wordnet

# Classes and the Wikipedia rule each one exercises.
TEST_CLASSES = [
    "fencing",  # an article at the exact title
    "flic flac",  # a redirect (to a section)
    "diving",  # a disambiguation page, resolved to "Diving (sport)"
    "smoke",  # two titles hit ("Smoke", "Smoking"): the one that reads as an action wins
    "rock climbing indoor",  # no title: found by search
    "brush hair",  # nothing on Wikipedia: dictionary definitions, word by word
    "pétanque",  # non-ASCII, a pronunciation to strip
    "climb stairs",  # nothing on Wikipedia, a Wiktionary form-of sense (stairs -> stair)
]


def build_wikipedia(latency_s: float = 0.0) -> FakeWiki:
    wiki = FakeWiki(capitalize=True, site="https://en.wikipedia.org", latency_s=latency_s)
    wiki.add_page(
        "Fencing",
        "Fencing is a combat sport that features sword fighting. It has three disciplines, each with its own weapon.",
    )
    wiki.add_page(
        "Back handspring",
        "A back handspring (also called a flic-flac) is a gymnastics move in which a person jumps backwards "
        "onto the hands and springs back onto the feet. It is a basic element of tumbling.",
    )
    wiki.add_redirect("Flic flac", "Back handspring", fragment="Technique")
    wiki.add_page(
        "Diving",
        "Diving may refer to:",
        disambiguation=True,
        links=[
            "Diving (sport)",
            "Underwater diving",
            "Diving (film)",
            "Diving (album)",
            "Diving bell",
        ],
    )
    wiki.add_page(
        "Diving (sport)",
        "Diving is the sport of jumping or falling into water from a platform or springboard, usually while performing acrobatics.",
    )
    wiki.add_page(
        "Underwater diving",
        "Underwater diving is human descent below the water's surface to interact with the environment.",
    )
    wiki.add_page(
        "Diving (film)", "Diving is a 2017 French drama film directed by a first-time director."
    )
    wiki.add_page("Diving (album)", "Diving is the second studio album by an indie band.")
    wiki.add_page(
        "Diving bell",
        "A diving bell is a rigid chamber used to transport divers from the surface to depth.",
    )
    wiki.add_page(
        "Smoke",
        "Smoke is a suspension of airborne particulates and gases emitted when a material undergoes combustion.",
    )
    wiki.add_page(
        "Smoking",
        "Smoking is the practice of burning a substance and inhaling the resulting smoke. Tobacco is the most common substance smoked.",
    )
    wiki.add_page(
        "Indoor climbing",
        "Indoor climbing is a form of rock climbing performed on artificial structures that mimic the experience of outdoor rock. "
        "It is practised in climbing gyms.",
    )
    wiki.add_page(
        "Climbing wall",
        "A climbing wall is an artificially constructed wall with grips for hands and feet.",
    )
    wiki.add_page(
        "Hairbrush",
        "A hairbrush is a brush with rigid or soft bristles used in hair care for smoothing and detangling.",
    )
    wiki.add_page(
        "Hair", "Hair is a protein filament that grows from follicles found in the dermis."
    )
    wiki.add_page(
        "Pétanque",
        "Pétanque (French pronunciation: [petɑ̃k]; Occitan: petanca [peˈtaŋkɔ]) is a sport that falls into the "
        "category of boules sports, along with raffa and bocce.[1] The aim is to throw hollow steel balls close to a small ball.",
    )
    return wiki


WIKTIONARY_BRUSH = """{{also|Brush}}
==English==
{{wikipedia}}
===Etymology 1===
From {{inh|en|enm|brusshe}}.

====Pronunciation====
* {{IPA|en|/bɹʌʃ/}}

====Noun====
{{en-noun}}

# An [[implement]] with [[bristle]]s, used for cleaning, painting or arranging [[hair]].
#: {{ux|en|I use a '''brush''' on my hair.}}
# {{lb|en|obsolete}} A [[thicket]].

====Verb====
{{en-verb}}

# {{lb|en|transitive}} To [[apply]] a brush to; to [[clean]] or [[groom]] with a brush.
#: {{ux|en|He '''brushed''' his hair.}}
# {{lb|en|intransitive}} To [[touch]] lightly in passing.

----

==French==
===Noun===
# {{lb|fr|slang}} a brush in French
"""

WIKTIONARY_ENTRIES = {
    "brush": WIKTIONARY_BRUSH,
    "brushing": "==English==\n===Verb===\n{{head|en|verb form}}\n\n# {{present participle of|en|brush}}\n\n"
    "===Noun===\n{{en-noun}}\n\n# The [[act]] of [[brush|brushing]] something.\n",
    "hair": "==English==\n===Noun===\n{{en-noun|~}}\n\n# {{lb|en|countable}} A [[pigment]]ed [[filament]] "
    "growing from the [[skin]] of a [[mammal]].\n#* {{quote-book|en|year=1900|passage=Her '''hair'''.}}\n",
    "flic-flac": "==English==\n===Etymology===\nFrom {{bor|en|fr|flic-flac}}.\n\n===Noun===\n{{en-noun}}\n\n"
    "# {{lb|en|gymnastics}} A [[back handspring]].\n",
    "fencing": "==English==\n===Noun===\n{{en-noun|-}}\n\n# [[material|Material]] for building [[fence]]s.\n"
    "# {{lb|en|sports}} The [[sport]] of fighting with [[sword]]s, especially the {{w|Foil (fencing)|foil}}, "
    "[[épée]] and [[sabre]].\n",
    "climb": "==English==\n===Verb===\n{{en-verb}}\n\n# {{lb|en|intransitive}} To [[ascend]]; to go up.\n",
    "stairs": "==English==\n===Noun===\n{{head|en|noun form}}\n\n# {{plural of|en|stair}}\n",
    "stair": "==English==\n===Noun===\n{{en-noun}}\n\n# A single [[step]] in a [[flight]] of stairs.\n",
    "pétanque": "==English==\n===Noun===\n{{en-noun|-}}\n\n# A form of [[boules]] played on hard ground.\n",
}


def build_wiktionary(latency_s: float = 0.0) -> FakeWiki:
    wiki = FakeWiki(capitalize=False, site="https://en.wiktionary.org", latency_s=latency_s)
    for title, wikitext in WIKTIONARY_ENTRIES.items():
        wiki.add_page(title, wikitext=wikitext)
    return wiki


@dataclass
class CrawlEnvironment:
    wikipedia: FakeWiki
    wiktionary: FakeWiki
    wikipedia_url: str
    wiktionary_url: str
    wordnet_dir: Path
    classes_file: Path

    @property
    def requests(self) -> int:
        return self.wikipedia.request_count + self.wiktionary.request_count

    def cli_args(self, *extra: str) -> list[str]:
        return [
            "crawl",
            "--classes",
            str(self.classes_file),
            "--name",
            "testset",
            "--wikipedia-api",
            self.wikipedia_url,
            "--wiktionary-api",
            self.wiktionary_url,
            "--wordnet-dir",
            str(self.wordnet_dir),
            *extra,
        ]


@contextmanager
def crawl_environment(
    tmp_path: Path, classes: list[str] | None = None, latency_s: float = 0.0
) -> Iterator[CrawlEnvironment]:
    """Both fake wikis running, a small WordNet and a class file."""
    wikipedia, wiktionary = build_wikipedia(latency_s), build_wiktionary(latency_s)
    classes_file = tmp_path / "classes.txt"
    classes_file.write_text("\n".join(classes or TEST_CLASSES) + "\n", encoding="utf-8")
    wordnet_dir = small_wordnet(tmp_path / "wordnet")
    with MediaWikiServer(wikipedia) as wp, MediaWikiServer(wiktionary) as wk:
        yield CrawlEnvironment(wikipedia, wiktionary, wp.url, wk.url, wordnet_dir, classes_file)
