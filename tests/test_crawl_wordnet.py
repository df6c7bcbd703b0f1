"""The WordNet reader, the analysis of class names, and dictionary sense choice."""

from __future__ import annotations

from pathlib import Path

import pytest
from crawl_content import WIKTIONARY_ENTRIES
from wordnet_fixture import small_wordnet

from kgen.crawl.dictionary import is_vacuous, wiktionary_definition
from kgen.crawl.phrase import analyse, gerund, is_gerund, sanitize_title, wikipedia_titles
from kgen.crawl.senses import SenseChooser
from kgen.crawl.wikitext import english_section
from kgen.crawl.wiktionary import WiktionaryEntry
from kgen.crawl.wordnet import WordNet
from kgen.errors import SourceUnavailable

SYSTEM_WORDNET = Path("/usr/share/wordnet")


@pytest.fixture
def wordnet(tmp_path: Path) -> WordNet:
    return WordNet(small_wordnet(tmp_path / "wn"))


def test_reader_parses_index_and_data_in_sense_order(wordnet: WordNet) -> None:
    assert wordnet.version == "3.0"
    senses = wordnet.synsets("fencing", "noun")
    assert [s.lexfile for s in senses] == ["noun.artifact", "noun.act"]
    assert senses[1].name == "fencing.n.02"
    assert senses[1].definition.startswith("the art or sport of fighting with swords")
    brush = wordnet.synsets("brush", "verb")[0]
    assert brush.definition == "rub with a brush, or as if with a brush"  # the example is gone
    assert "Johnson" in brush.gloss
    assert wordnet.synsets("hair", "noun")[0].lemmas == ("hair", "tomentum")
    assert wordnet.synsets("nothing", "noun") == []


def test_morphy_rules_exceptions_collocations_and_spelling_variants(wordnet: WordNet) -> None:
    assert wordnet.morphy("brushing", "verb") == ["brush"]  # -ing -> ''
    assert wordnet.morphy("diving", "verb") == ["dive"]  # -ing -> -e
    assert wordnet.morphy("running", "verb") == ["run"]  # verb.exc
    assert wordnet.morphy("rode", "verb") == ["ride"]
    assert wordnet.morphy("stairs", "noun") == ["stairs", "stair"]  # listed itself, and -s -> ''
    assert wordnet.morphy("shaking hands", "verb") == ["shake hands"]  # a collocation's first word
    assert wordnet.lemmas_for("pushups", "noun") == ["pushup", "push-up"]
    assert wordnet.lemmas_for("pullup", "noun") == ["pull-up"]
    assert wordnet.lemmas_for("pullup", "verb") == []  # a closed word is not the verb "pull up"
    assert wordnet.inflections_of("run", "verb") == ["ran", "running"]
    assert wordnet.tagged_count("ride", "verb") > 0 and wordnet.tagged_count("ride", "noun") == 0


def test_missing_wordnet_says_what_is_missing_and_how_to_install_it(tmp_path: Path) -> None:
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "index.noun").write_text("")
    with pytest.raises(SourceUnavailable) as info:
        WordNet(tmp_path / "half")
    assert "data.noun" in info.value.message and "apt-get install wordnet-base" in (
        info.value.hint or ""
    )
    with pytest.raises(SourceUnavailable, match="no such folder"):
        WordNet(tmp_path / "absent")


def test_wordnet_dir_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = small_wordnet(tmp_path / "env-wn")
    monkeypatch.setenv("KGEN_WORDNET_DIR", str(folder))
    assert WordNet().directory == folder


def test_names_split_into_action_and_objects(wordnet: WordNet) -> None:
    brush = analyse("brush hair", wordnet)
    assert [(c.text, c.action) for c in brush.chunks] == [("brush", True), ("hair", False)]
    assert not brush.whole_is_entry
    shake = analyse("Shake Hands", wordnet)
    assert [c.text for c in shake.chunks] == ["shake hands"] and shake.whole_is_entry
    gym = analyse("floor gymnastics", wordnet)
    assert [(c.text, c.action) for c in gym.chunks] == [("floor", True), ("gymnastics", False)]
    riding = analyse("horse riding", wordnet)
    assert [(c.text, c.action, c.gerund) for c in riding.chunks] == [
        ("horse", False, False),
        ("riding", True, True),
    ]
    stairs = analyse("climbing up the stairs", wordnet)
    assert [c.text for c in stairs.chunks] == ["climbing", "stairs"]  # function words are no chunk
    assert analyse("pushups", wordnet).whole_is_entry


def test_gerunds_and_title_variants(wordnet: WordNet) -> None:
    assert [gerund(v) for v in ("ride", "run", "tie", "visit", "see", "swim", "play")] == [
        "riding",
        "running",
        "tying",
        "visiting",
        "seeing",
        "swimming",
        "playing",
    ]
    assert (
        is_gerund("brushing", wordnet)
        and not is_gerund("swing", wordnet)
        and not is_gerund("swing")
    )
    assert wikipedia_titles(analyse("ride horse", wordnet), "ride horse", wordnet) == [
        "Ride horse",
        "Riding horse",
    ]
    # "floor" is mostly a noun: no "Flooring gymnastics"
    assert wikipedia_titles(analyse("floor gymnastics", wordnet), "floor gymnastics", wordnet) == [
        "Floor gymnastics"
    ]
    assert wikipedia_titles(analyse("fencing", wordnet), "fencing", wordnet) == ["Fencing"]
    assert sanitize_title("a|b [c]_d") == "a b c d"
    assert wikipedia_titles(analyse("pétanque", wordnet), "pétanque", wordnet)[0] == "Pétanque"


def test_vacuous_definitions_are_recognised() -> None:
    assert is_vacuous("play golf", {"golf"})
    assert is_vacuous("do a somersault", {"somersault"})
    assert is_vacuous("compete in a horse race", {"horse race"})
    assert is_vacuous("the act of brushing your teeth", {"brushing", "brush"})
    assert not is_vacuous("the act of playing drums", {"drumming", "drum"})
    assert not is_vacuous("inhale and exhale smoke from cigarettes, cigars, pipes", {"smoke"})
    assert not is_vacuous("clap one's hands together", {"clap"})
    assert is_vacuous("", {"x"})


def _senses(wordnet: WordNet, name: str) -> list[str]:
    """'sense: definition' of every chunk of ``name`` ('-' when WordNet has none)."""
    choices = SenseChooser(wordnet).choose(analyse(name, wordnet), class_name=name)
    return [
        f"{c.chosen.name}: {c.chosen.definition}" if c.chosen is not None else "-" for c in choices
    ]


def test_wordnet_sense_choice_follows_the_role_of_the_chunk(wordnet: WordNet) -> None:
    # a gerund that is the whole name: the sport, as the verb or the noun of act, never the barrier
    [fencing] = _senses(wordnet, "fencing")
    assert "swords" in fencing and "barrier" not in fencing
    # a lone verb: the most frequent sense that needs no object ("She waved to her friends")
    assert _senses(wordnet, "wave") == ["wave.v.01: signal with the hands or nod"]
    # "play golf" only restates golf: the noun of act instead
    assert _senses(wordnet, "golf")[0].startswith("golf.n.01: a game played")
    # a gerund with an object is a verb (ER-ZSAR's "clean (one's teeth) with a brush")
    assert _senses(wordnet, "brushing hair")[0] == "brush.v.01: rub with a brush, or as if with a brush"
    # a first word that is mostly a noun modifies the head, and is no "knock down with force"
    assert _senses(wordnet, "floor gymnastics")[0].startswith("floor.n.01: the inside lower horizontal surface")
    assert _senses(wordnet, "brush hair")[1].startswith("hair.n.01: a covering for the body")
    assert _senses(wordnet, "pullup")[0].startswith("pull-up.n.01: an arm exercise")
    assert _senses(wordnet, "flic flac") == ["-", "-"]


def _entries() -> dict[str, WiktionaryEntry]:
    return {
        title: WiktionaryEntry(
            requested=title,
            title=title,
            exists=True,
            english=english_section(text),
            retrieved_at="t",
        )
        for title, text in WIKTIONARY_ENTRIES.items()
    }


def test_wiktionary_sense_choice_follows_form_of_and_skips_vacuous_senses() -> None:
    entries = _entries()
    lookup = entries.get
    brushing = wiktionary_definition(lookup, "brushing", [], action=True, gerund=True)
    assert brushing is not None and brushing.headword == "brush" and brushing.sense == "verb 1"
    assert brushing.text == "To apply a brush to; to clean or groom with a brush."
    stairs = wiktionary_definition(lookup, "stairs", [], action=False, gerund=False)
    assert (
        stairs is not None
        and stairs.headword == "stair"
        and stairs.text.startswith("A single step")
    )
    fencing = wiktionary_definition(lookup, "fencing", [], action=True, gerund=True, alone=True)
    assert fencing is not None and fencing.sense == "noun 2" and "sport of fighting" in fencing.text
    assert wiktionary_definition(lookup, "unknown", [], action=True, gerund=False) is None


@pytest.mark.skipif(
    not (SYSTEM_WORDNET / "index.noun").is_file(), reason="Debian's wordnet-base is not installed"
)
def test_debian_wordnet_defines_hmdb51_offline() -> None:
    from kgen.crawl.crawler import CrawlSettings, crawl
    from kgen.datasets import load_builtin

    outcome = crawl(load_builtin("hmdb51"), CrawlSettings(offline=True, show_progress=False))
    by_name = {c.class_name: c for c in outcome.file.classes}
    assert sum(1 for c in outcome.file.classes if c.refined) >= 50
    assert by_name["brush hair"].refined_rule == "dictionary-words"
    assert by_name["brush hair"].refined.startswith("rub with a brush")
    assert "threadlike structures" in by_name["brush hair"].refined
    assert "swords" in by_name["fencing"].refined  # the sport, as a verb or a noun of act
    assert by_name["pushup"].refined.startswith("an arm exercise")
    assert by_name["shake hands"].refined_rule == "dictionary-phrase"
    # the sense of "bow" chosen in context: the weapon, not WordNet's first sense (a knot)
    assert "a weapon for shooting arrows" in by_name["shoot bow"].refined
    assert outcome.file.provenance.parameters["wordnet_version"] == "3.0"


def _context_wordnet(folder: Path) -> WordNet:
    from wordnet_fixture import FakeSynset, write_wordnet

    synsets = [
        FakeSynset("verb", "verb.contact", ["shoot"], "hit with a missile from a weapon", 28),
        FakeSynset("verb", "verb.motion", ["fold"], "bend or lay so that one part covers the other", 5),
        FakeSynset("verb", "verb.body", ["blow"], "exhale hard", 6),
        FakeSynset("verb", "verb.motion", ["blow", "shove off"], "leave; informal or rude", 1),
        FakeSynset("noun", "noun.artifact", ["bow"], "a knot with two loops and loose ends", 4),
        FakeSynset("noun", "noun.artifact", ["bow"], "a weapon for shooting arrows", 1),
        FakeSynset("noun", "noun.artifact", ["gun"], "a weapon that discharges a missile", 72),
        FakeSynset("noun", "noun.person", ["gun", "gunman"], "a person who shoots a gun", 0),
        FakeSynset("noun", "noun.substance", ["paper"], "a material made of cellulose pulp", 30),
        FakeSynset("noun", "noun.communication", ["paper", "newspaper"], "a publication on folded sheets", 12),
        FakeSynset("noun", "noun.plant", ["leaf"], "the main organ of photosynthesis", 20),
        FakeSynset("noun", "noun.act", ["golf"], "a game played on a large open course", 9),
        FakeSynset("noun", "noun.state", ["swing"], "a state of steady vigorous action", 1),
        FakeSynset("noun", "noun.act", ["swing"], "the act of swinging a golf club", 0),
    ]
    return WordNet(write_wordnet(folder, synsets, {"noun": ["leaves leaf"]}))


def test_senses_are_chosen_in_the_context_of_the_rest_of_the_name(tmp_path: Path) -> None:
    wordnet = _context_wordnet(tmp_path / "wn")

    def define(name: str) -> list[str]:
        return [s.split(": ", 1)[1] for s in _senses(wordnet, name)]

    # the object's gloss names the action: the weapon, not the knot (most frequent sense)
    assert define("shoot bow") == ["hit with a missile from a weapon", "a weapon for shooting arrows"]
    # a gloss naming the other chunk: golf's swing, not the state
    assert define("golf swing")[1] == "the act of swinging a golf club"
    # a gun that shoots, not the person who shoots it (the frequency prior, and no evidence for it)
    assert define("shoot gun")[1] == "a weapon that discharges a missile"
    # a bodily action done to paper: the material, not the publication (an intangible thing)
    assert define("folding paper")[1] == "a material made of cellulose pulp"
    # a sense whose gloss says informal loses ("leaves" ~ "leave")
    assert define("blowing leaves")[0] == "exhale hard"
