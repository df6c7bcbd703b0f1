"""Text handling of the crawler: clean-up, sentences, Wiktionary wikitext, the refinement rules."""

from __future__ import annotations

import pytest
from crawl_content import WIKTIONARY_BRUSH

from kgen.crawl.refine import first_sentences
from kgen.crawl.textclean import (
    as_sentence,
    clean_encyclopedia_text,
    clean_gloss,
    split_sentences,
    stem,
)
from kgen.crawl.wikitext import clean_definition, english_section, parse_definitions


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Fencing (/ˈfɛnsɪŋ/) is a combat sport.", "Fencing is a combat sport."),
        ("Judo (Japanese: 柔道) is a martial art.[1]", "Judo is a martial art."),
        (
            "Pétanque (French pronunciation: [petɑ̃k]; Occitan: petanca) is a sport.",
            "Pétanque is a sport.",
        ),
        (
            "Cricket ( ) is a bat-and-ball game.[a][citation needed]",
            "Cricket is a bat-and-ball game.",
        ),
        (
            "Archery (; listen) is the sport of shooting arrows.",
            "Archery is the sport of shooting arrows.",
        ),
        # grammatical parentheticals stay, as in ER-ZSAR's descriptions
        ("clean (one's teeth) with a brush", "clean (one's teeth) with a brush"),
        ("A slam dunk (also simply dunk) is a shot.", "A slam dunk (also simply dunk) is a shot."),
        ("Tai chi (太极拳) is  an\n internal martial art.", "Tai chi is an internal martial art."),
    ],
)
def test_encyclopedia_text_loses_pronunciations_and_footnotes_only(raw: str, clean: str) -> None:
    assert clean_encyclopedia_text(raw) == clean


def test_gloss_loses_its_examples() -> None:
    assert clean_gloss('rub with a brush, or as if with a brush; "Johnson brushed the hairs"') == (
        "rub with a brush, or as if with a brush"
    )
    assert clean_gloss('move with force, "He pushed the table into a corner"') == "move with force"
    assert (
        clean_gloss("chew (food); to bite and grind with the teeth")
        == "chew (food); to bite and grind with the teeth"
    )


def test_sentences_split_at_ends_not_at_abbreviations_or_initials() -> None:
    text = (
        "Running is a method of locomotion, e.g. jogging. It was studied by J. R. R. Tolkien in the U.S. "
        "in 1950. Is it fast? Yes!"
    )
    assert split_sentences(text) == [
        "Running is a method of locomotion, e.g. jogging.",
        "It was studied by J. R. R. Tolkien in the U.S. in 1950.",
        "Is it fast?",
        "Yes!",
    ]
    assert split_sentences("") == []
    assert split_sentences("no final stop") == ["no final stop"]


def test_refined_wikipedia_text_is_the_first_sentence_unless_it_is_too_short() -> None:
    long_first = "Fencing is a combat sport that features sword fighting. It has three disciplines."
    assert first_sentences(long_first) == "Fencing is a combat sport that features sword fighting."
    short_first = (
        "Yoga is old. It is a group of physical and mental practices. It began in India. More."
    )
    # 3 words, then 3 + 10 >= 8: two sentences
    assert (
        first_sentences(short_first)
        == "Yoga is old. It is a group of physical and mental practices."
    )
    assert (
        first_sentences("Go. Run. Jump. Swim. Ride.") == "Go. Run. Jump."
    )  # never more than 3 sentences


def test_as_sentence_and_stem() -> None:
    assert as_sentence("play on a drum") == "play on a drum."
    assert as_sentence("Really?") == "Really?"
    assert {stem("riding"), stem("ride")} == {"rid"}
    assert {stem("running"), stem("run")} == {"run"}
    assert {stem("stairs"), stem("stair")} == {"stair"}
    assert stem("dress") == stem("dresses") == "dress"


def test_english_section_is_cut_out_of_a_multilingual_entry() -> None:
    section = english_section(WIKTIONARY_BRUSH)
    assert section.startswith("{{wikipedia}}")
    assert "French" not in section and "in French" not in section
    assert english_section("==French==\n# un mot\n") == ""


def test_definitions_skip_examples_quotations_and_obsolete_senses() -> None:
    senses = parse_definitions(english_section(WIKTIONARY_BRUSH))
    nouns = [s for s in senses if s.pos == "noun"]
    verbs = [s for s in senses if s.pos == "verb"]
    assert (
        nouns[0].text
        == "An implement with bristles, used for cleaning, painting or arranging hair."
    )
    assert nouns[1].skipped and nouns[1].labels == ("obsolete",)
    assert verbs[0].text == "To apply a brush to; to clean or groom with a brush."
    assert verbs[0].labels == ("transitive",) and not verbs[0].skipped
    assert [s.number for s in verbs] == [1, 2]
    assert not any("brushed" in s.text for s in senses)  # the usage example is not a sense


@pytest.mark.parametrize(
    ("line", "text", "labels", "form_of"),
    [
        ("{{present participle of|en|brush}}", "present participle of brush", (), "brush"),
        ("{{en-past of|walk}}", "past of walk", (), "walk"),
        ("{{alt form|en|push-up}}", "alternative form of push-up", (), "push-up"),
        (
            "{{lb|en|sports|_|informal}} A [[w:Slam dunk|dunk]] {{gloss|basketball}}.",
            "A dunk (basketball).",
            ("sports", "informal"),
            None,
        ),
        ("{{n-g|Used to express surprise}}", "Used to express surprise", (), None),
        (
            "To {{l|en|hit}} with the {{m|en|foot|feet}}<ref>Some book</ref>.",
            "To hit with the feet.",
            (),
            None,
        ),
        ("A '''[[kick]]'''<!-- comment --> [[Category:en:Sports]]", "A kick", (), None),
        ("{{lb|en|rare}} &amp; more", "& more", ("rare",), None),
    ],
)
def test_wikitext_templates_reduce_to_their_text(
    line: str, text: str, labels: tuple[str, ...], form_of: str | None
) -> None:
    assert clean_definition(line) == (text, labels, form_of)


def test_a_sense_that_is_only_labels_takes_its_first_subsense() -> None:
    english = "===Noun===\n{{en-noun}}\n# {{lb|en|gymnastics}}\n## A [[back handspring]].\n## Another.\n# Second.\n"
    senses = parse_definitions(english)
    assert [(s.text, s.labels) for s in senses] == [
        ("A back handspring.", ("gymnastics",)),
        ("Second.", ()),
    ]


def test_word_by_word_description_says_a_shared_definition_once() -> None:
    from kgen.crawl.dictionary import Definition
    from kgen.crawl.phrase import Chunk
    from kgen.crawl.refine import ChunkDefinitions, refine

    def chunk(text: str, position: int, action: bool) -> ChunkDefinitions:
        definition = {
            "trimming": "cut closely",
            "shaving": "cut closely",
            "beard": "the hair growing on the lower part of a man's face",
        }[text]
        found = Definition("wordnet", text, text, "verb", f"{text}.v.01", definition)
        return ChunkDefinitions(Chunk(text, position, action), wordnet=found, wiktionary=None)

    refined = refine(
        None,
        None,
        [chunk("trimming", 0, True), chunk("shaving", 2, True), chunk("beard", 3, False)],
    )
    assert refined.rule == "dictionary-words"
    assert refined.text == "cut closely. the hair growing on the lower part of a man's face."
    assert len(refined.used) == 3
