"""What makes a short phrase unusable (non-words, stutter), and answers completed part by part
(a usable part kept, only the rest asked for). WordNet is the test's own (real file format)."""

from __future__ import annotations

from pathlib import Path

import pytest
from wordnet_fixture import small_wordnet

from kgen.llm.answers import AnswerIncomplete, KeyedSpec, ListSpec, TripleSpec, phrase_problem
from kgen.llm.errors import AnswerInvalid
from kgen.text.grounding import Grounding, same_stem
from kgen.text.lexicon import english_lexicon


@pytest.fixture
def wordnet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = small_wordnet(tmp_path / "wordnet")
    monkeypatch.setenv("KGEN_WORDNET_DIR", str(folder))
    return folder


def test_the_lexicon_knows_lemmas_inflections_compounds_and_function_words(wordnet: Path) -> None:
    lexicon = english_lexicon()
    assert lexicon is not None and lexicon.wordnet.directory == wordnet.resolve()
    for word in ["brush", "brushes", "brushed", "ran", "rode", "push-up", "pushup", "pullup", "hair-brush", "the", "into", "horse's"]:
        assert lexicon.knows(word), word
    for word in ["jonsc", "bowdance", "brushhair", "golfy-jonsc"]:
        assert not lexicon.knows(word), word
    assert lexicon.unknown_words("brush the jonsc with a tabla", allowed=["tabla"]) == ["jonsc"]


def test_without_wordnet_no_word_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KGEN_WORDNET_DIR", str(tmp_path / "none"))
    assert english_lexicon() is None
    assert phrase_problem("jonsc") is None
    assert phrase_problem("brush brush") == '"brush brush" repeats "brush"'  # stutter needs no dictionary


def test_phrase_problem_names_the_non_word_and_the_stutter(wordnet: Path) -> None:
    assert phrase_problem("brush the hair") is None
    assert phrase_problem("ride a bowdance") == '"ride a bowdance" holds "bowdance", which is not an English word'
    assert phrase_problem("fencing-fencing") == '"fencing-fencing" repeats "fencing"'
    assert phrase_problem("the the horse") is None  # a function word twice is English enough
    assert phrase_problem("ride the tabla", frozenset({"tabla"})) is None


def test_a_list_keeps_its_usable_items_and_asks_only_for_the_rest(wordnet: Path) -> None:
    spec = ListSpec(3, 5, "object", max_words=4, exclude=["Ride a horse"])
    with pytest.raises(AnswerIncomplete) as caught:
        spec.parse('{"items": ["horse", "Horses", "ride a horse", "jonsc", "brush brush", "floor"]}')
    incomplete = caught.value
    assert incomplete.kept == {"items": ["horse", "floor"]}
    assert "2 usable objects" in str(incomplete) and '"ride a horse" is not asked for' in str(incomplete)
    assert incomplete.ask == "Give 1 more object, different from these: horse, floor."
    assert isinstance(incomplete.rest, ListSpec) and (incomplete.rest.min_items, incomplete.rest.max_items) == (1, 3)
    # the answer to the rest may repeat what is kept: it does not count twice
    with pytest.raises(AnswerIncomplete):
        spec.merge(incomplete.kept, '{"items": ["the horse"]}')
    assert spec.merge(incomplete.kept, '{"items": ["floor", "brush"]}').items == ["horse", "floor", "brush"]


def test_a_list_with_nothing_usable_is_invalid_not_incomplete(wordnet: Path) -> None:
    with pytest.raises(AnswerInvalid) as caught:
        ListSpec(2, 4, "object", max_words=4).parse('{"items": ["jonsc", "bowdance"]}')
    assert not isinstance(caught.value, AnswerIncomplete) and "not an English word" in str(caught.value)


def test_the_questions_own_words_are_allowed(wordnet: Path) -> None:
    spec = ListSpec(2, 3, "object", max_words=4).with_allowed_words(["tabla"])
    assert spec.parse('{"items": ["tabla", "floor"]}').items == ["tabla", "floor"]
    assert ListSpec(2, 3, "object", max_words=4).with_allowed_words(["tabla"]).allowed_words == frozenset({"tabla"})


def test_keyed_sentences_that_only_restate_the_question_do_not_count(wordnet: Path) -> None:
    question = "environment: the ground, water, apparatus or surface the action happens on"
    spec = KeyedSpec(["environment", "clothing"], key_label="attribute", value_label="sentence", question=question)
    with pytest.raises(AnswerIncomplete) as caught:
        spec.parse('{"environment": "The ground, water, apparatus or surface.", "clothing": "A fencing jacket and a mask."}')
    incomplete = caught.value
    assert incomplete.kept == {"clothing": "A fencing jacket and a mask."}
    assert "only repeats words of the question" in str(incomplete)
    assert incomplete.ask == 'Now give the sentence for "environment" only.'
    value = spec.merge(incomplete.kept, '{"environment": "A fencing strip in a sports hall."}')
    assert value.values == {"environment": "A fencing strip in a sports hall.", "clothing": "A fencing jacket and a mask."}


def test_triples_keep_one_per_pair_either_way_and_ask_for_more(wordnet: Path) -> None:
    spec = TripleSpec(["horse", "floor", "brush"], min_items=2, max_items=3)
    answer = (
        '{"triples": [{"subject": "horse", "predicate": "runs on", "object": "floor"},'
        ' {"subject": "floor", "predicate": "rides", "object": "horse"},'
        ' {"subject": "brush", "predicate": "jonsc", "object": "horse"}]}'
    )
    with pytest.raises(AnswerIncomplete) as caught:
        spec.parse(answer)
    incomplete = caught.value
    assert [t["predicate"] for t in incomplete.kept["triples"]] == ["runs on"]
    assert incomplete.ask == "Give 1 more triple, each about another pair of entities than these: horse - floor."
    # the further triple's subject is an entity not yet related: the schema cannot repeat a pair
    rest = incomplete.rest
    assert isinstance(rest, TripleSpec)
    item = rest.json_schema()["properties"]["triples"]["items"]["properties"]
    assert item["subject"]["enum"] == ["brush"] and item["object"]["enum"] == ["horse", "floor", "brush"]
    assert spec.json_schema()["properties"]["triples"]["items"]["properties"]["subject"]["enum"] == ["horse", "floor", "brush"]
    merged = spec.merge(incomplete.kept, '{"triples": [{"subject": "brush", "predicate": "rides", "object": "horse"}]}')
    assert [(t.subject, t.object) for t in merged.triples] == [("horse", "floor"), ("brush", "horse")]


def test_an_unfinished_phrase_is_not_an_item_but_a_particle_ends_one(wordnet: Path) -> None:
    spec = ListSpec(2, 4, "sub-action", max_words=6)
    with pytest.raises(AnswerIncomplete) as caught:
        spec.parse('{"items": ["ride the horse", "brush the hair of", "ride a"]}')
    assert caught.value.kept == {"items": ["ride the horse"]}
    assert '"brush the hair of" is unfinished' in str(caught.value)
    assert spec.parse('{"items": ["ride the horse", "run up"]}').items == ["ride the horse", "run up"]


def test_a_predicate_that_only_names_an_entity_is_no_relation(wordnet: Path) -> None:
    triples = TripleSpec(["horse", "floor", "brush"], min_items=1, max_items=3)
    with pytest.raises(AnswerInvalid, match='the predicate "brushes" names an entity, not a relation'):
        triples.parse('{"triples": [{"subject": "horse", "predicate": "brushes", "object": "floor"}]}')
    assert triples.parse('{"triples": [{"subject": "horse", "predicate": "runs on", "object": "floor"}]}').triples[0].predicate == "runs on"
    keyed = KeyedSpec(["horse", "floor"], key_label="object", value_label="predicate", max_words=4, values_not_keys=True)
    with pytest.raises(AnswerIncomplete) as caught:
        keyed.parse('{"horse": "horses", "floor": "runs on"}')
    assert caught.value.kept == {"floor": "runs on"} and '"horses", which names one of the objects' in str(caught.value)
    assert keyed.merge(caught.value.kept, '{"horse": "rides"}').values == {"horse": "rides", "floor": "runs on"}


def test_only_the_embedded_backends_answers_must_be_english_words(wordnet: Path) -> None:
    """WordNet 3.0 lacks words a strong model rightly writes ("smartphone"): the word check is for a
    small local model's letter soup, so a server's answers skip it (the stutter check stays)."""
    from types import SimpleNamespace

    from kgen.llm.client import LLMClient, LLMRequest
    from kgen.llm.types import Message

    request = LLMRequest(purpose="test", messages=(Message(role="user", content="Objects of texting?"),),
                         spec=ListSpec(2, 3, "object", max_words=4))
    answer = '{"items": ["smartphone", "floor"]}'
    for backend, usable in (("embedded", False), ("openai", True)):
        client = LLMClient.__new__(LLMClient)
        client.backend = SimpleNamespace(name=backend)  # type: ignore[assignment]
        spec = client.spec_for(request)
        if usable:
            assert spec.parse(answer).items == ["smartphone", "floor"]
        else:
            with pytest.raises(AnswerInvalid, match="not an English word"):
                spec.parse(answer)
    client.backend = SimpleNamespace(name="openai")  # type: ignore[assignment]
    with pytest.raises(AnswerInvalid, match="repeats"):
        client.spec_for(request).parse('{"items": ["brush brush", "phone phone"]}')


def test_an_action_description_of_a_word_or_two_is_asked_again() -> None:
    """ "People." or "Clap." (what SmolLM2-135M wrote for HMDB51's dive and clap) describe nothing."""
    from kgen.generate.action_descriptions import MIN_SENTENCE_CHARS

    spec = ListSpec(1, 1, "sentence", max_chars=300, min_chars=MIN_SENTENCE_CHARS)
    assert spec.json_schema()["properties"]["items"]["items"]["minLength"] == MIN_SENTENCE_CHARS
    with pytest.raises(AnswerInvalid, match="shorter than"):
        spec.parse('{"items": ["People."]}')
    assert spec.parse('{"items": ["A person dives head first into a pool."]}').items


def test_keywords_must_be_taken_from_the_text_up_to_their_endings() -> None:
    """Kim et al.'s "extract keywords from {description}": a keyword whose content words are not the
    paragraph's (by stem: "hugging" is in "hug") is dropped with the word named; an item made of
    function words only holds no keyword."""
    paragraph = Grounding("To hug: squeeze tightly in your arms, usually with fondness. hug")
    assert paragraph.words() == ["hug", "squeeze", "tightly", "arms", "fondness"]  # one per stem, no stopwords
    assert paragraph.ungrounded("hugging arms") == [] and paragraph.ungrounded("happy hug") == ["happy"]
    assert paragraph.ungrounded("thrower-thou-thrower") == ["thrower", "thou", "thrower"]  # parts, one by one
    assert not same_stem("sit", "situation") and same_stem("stairs", "stairway") and same_stem("run", "running")
    spec = ListSpec(3, 10, "keyword", max_words=4, grounding=paragraph).with_english_check(False)
    with pytest.raises(AnswerIncomplete) as caught:
        spec.parse('{"items": ["hugging", "carrot", "very much", "tight hold", "the arms"]}')
    assert caught.value.kept == {"items": ["hugging", "the arms"]}
    message = str(caught.value)
    assert '"carrot" is not taken from the text: "carrot" is not one of its words' in message
    assert '"very much" holds no word of content' in message
    assert caught.value.ask == "Give 1 more keyword taken from the text, different from these: hugging, the arms."
    assert spec.merge(caught.value.kept, '{"items": ["fondness"]}').items == ["hugging", "the arms", "fondness"]


def test_a_list_chosen_from_given_words_is_an_enum_and_its_top_up_offers_only_the_rest() -> None:
    spec = ListSpec(3, 4, "keyword", max_words=4, choices=["consume", "liquids", "alcohol", "drink"]).with_english_check(False)
    assert spec.json_schema()["properties"]["items"]["items"] == {"type": "string", "enum": ["consume", "liquids", "alcohol", "drink"]}
    with pytest.raises(AnswerIncomplete) as caught:
        spec.parse('{"items": ["Consume", "water", "consume", "drink"]}')
    assert caught.value.kept == {"items": ["consume", "drink"]}
    assert 'the keyword "water" is not one of the allowed keywords' in str(caught.value)
    rest = caught.value.rest
    assert isinstance(rest, ListSpec) and rest.choices == ("liquids", "alcohol")  # a top-up cannot repeat a kept one
    assert rest.json_schema()["properties"]["items"]["items"]["enum"] == ["liquids", "alcohol"]


def test_words_run_together_with_hyphens_are_no_phrase_but_hyphenated_entries_are(wordnet: Path) -> None:
    for phrase in ["brush-the-hair-", "horse-of-floor", "ride-a-horse"]:
        problem = phrase_problem(phrase)
        assert problem is not None and "runs words together with hyphens" in problem, phrase
    assert phrase_problem("push-up") is None  # an entry of its own
    assert phrase_problem("hair-brush") is None  # no function word: a compound of known words


def test_a_predicate_that_is_a_name_is_no_relation(monkeypatch: pytest.MonkeyPatch) -> None:
    """SmolLM2 writes names for relations ("kick -johnson-> ball"): a word WordNet knows only as a
    name (every entry capitalised) is no predicate; a word that is also a common noun is."""
    if not Path("/usr/share/wordnet/index.noun").is_file():
        pytest.skip("Debian's wordnet-base is not installed")
    monkeypatch.setenv("KGEN_WORDNET_DIR", "/usr/share/wordnet")
    lexicon = english_lexicon()
    assert lexicon is not None and lexicon.is_name("johnson") and not lexicon.is_name("john") and not lexicon.is_name("holds")
    spec = KeyedSpec(["ball", "foot"], key_label="object", value_label="predicate", max_words=3, names=False)
    with pytest.raises(AnswerIncomplete) as caught:
        spec.parse('{"values": {"ball": "johnson", "foot": "strikes with"}}')
    assert caught.value.kept == {"foot": "strikes with"}
    assert '"johnson" holds "johnson", a name, not a word for a relation' in str(caught.value)
    objects = ListSpec(1, 2, "object", max_words=3)  # names are fine as things ("Frisbee")
    assert objects.parse('{"items": ["frisbee"]}').items == ["frisbee"]
    triples = TripleSpec(["ball", "foot"], 1, 1, max_predicate_words=3)
    with pytest.raises(AnswerInvalid, match="a name"):
        triples.parse('{"triples": [{"subject": "foot", "predicate": "johnson", "object": "ball"}]}')
