"""STDD's spatiotemporal text augmentation ("Spatiotemporal Text Augmentation", Yu et al. AAAI 2025).

Two stages, as in the paper (prompt wording taken from it):

1. Semantic concepts: "Return the object entity list containing Top K (5 <= K <= 10) most relevant
   objects / sub-actions involved in action: {action}" (two calls, objects and sub-actions).
   Semantic relations: "Find the proper predicate names that concisely describe the relationship
   between each object / sub-action pair chosen from the entity list" (three calls: object-object
   triples, chosen by the LLM over the object list; action-object predicates, one per object;
   action-action predicates along the sub-action sequence: action -> first sub-action -> next ...).
   Which pairs the action triples join is kgen's choice (the paper shows the graph, not the pairing
   rule); STDD's released ``classes_ASKG_k400.yml`` has the same three triple lists.
2. Prompts: "Try to complete the whole sentence according to each relation triples: This is an
   example of {action}, ..." (two calls: object triples -> spatial prompts, action triples ->
   temporal prompts). The prompt is the hard template concatenated with the completion.

The object and sub-action calls carry three worked examples (kgen's own; STDD's notebook shows
one, "drinking beer") so that every backend sees the answer's shape. 7 calls a class.

The three relation questions ask for free predicates first, as the paper does. A relation answer
still unusable after its first repair (a small model's letter soup, "jsc", written again when
shown) is asked afresh with its predicates restricted to a closed vocabulary
(``data/askg_relations.json``, :mod:`kgen.generate.relation_vocabulary`): an ``enum`` in the JSON
schema, per relation kind. kgen's choice, for every backend: a strong model keeps its free
predicates (it rarely fails twice), a weak one still gets a graph.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from kgen.datasets import Dataset
from kgen.datasets.spec import ClassEntry
from kgen.errors import InputError
from kgen.generate.relation_vocabulary import RELATION_KINDS, relation_vocabulary
from kgen.generate.runner import ClassFailed, KindBuilder, PromptTemplate, fill
from kgen.knowledge.askg import (
    SENTENCE_PREFIX,
    ASKGFile,
    ClassASKG,
    KGTriple,
    TriplePrompt,
    write_graph_files,
)
from kgen.knowledge.base import KnowledgeFile
from kgen.knowledge.llm_provenance import LLMProvenance, PromptRecord
from kgen.llm.answers import KeyedSpec, ListSpec, TripleSpec
from kgen.llm.client import Fallback, LLMClient, LLMRequest
from kgen.llm.lenient import key_form
from kgen.llm.types import Example, SamplingParams
from kgen.text.clip_tokens import CONTEXT_LENGTH, truncate_to_tokens
from kgen.text.concepts import concept_key
from kgen.text.lexicon import words_of
from kgen.text.normalize import normalize_phrase, normalize_sentence

SAMPLING = SamplingParams(temperature=0.0, max_tokens=768)
SYSTEM = "You are an expert on human actions. You build knowledge graphs of actions: the objects involved, the sub-actions, and their relations."
MAX_PREDICATE_WORDS = 6
MAX_COMPLETION_CHARS = 200  # a completion; the whole prompt is cut to CLIP's 77 tokens anyway
TOKENS_PER_COMPLETION = 60  # 200 characters (about 50 tokens) plus its key and JSON punctuation
MAX_SENTENCES_TOKENS = 1280

OBJECTS = PromptTemplate(
    "askg.objects", SYSTEM,
    "Return the object entity list containing Top K ({k_min} <= K <= {k_max}) most relevant objects involved in action: {action}",
    SAMPLING,
)
SUB_ACTIONS = PromptTemplate(
    "askg.sub_actions", SYSTEM,
    "Return the sub-action entity list containing Top K ({k_min} <= K <= {k_max}) most relevant sub-actions involved in action: {action}",
    SAMPLING,
)
OBJECT_RELATIONS = PromptTemplate(
    "askg.object_relations", SYSTEM,
    "Find the proper predicate names that concisely describe the relationship between each object pair chosen from the "
    "entity list of action: {action}\nEntity list: {entities}",
    SAMPLING,
)
ACTION_OBJECT_RELATIONS = PromptTemplate(
    "askg.action_object_relations", SYSTEM,
    "Find the proper predicate names that concisely describe the relationship between the action \"{action}\" and each "
    "object from the entity list: {entities}",
    SAMPLING,
)
ACTION_RELATIONS = PromptTemplate(
    "askg.action_relations", SYSTEM,
    "Find the proper predicate names that concisely describe the relationship between each sub-action pair of action "
    "\"{action}\", in the order they happen. Give one predicate per pair number.\n{pairs}",
    SAMPLING,
)
SENTENCES = PromptTemplate(
    "askg.sentences", SYSTEM,
    "Try to complete the whole sentence according to each relation triples: This is an example of {action}, ...\n"
    "Give one completion per triple number.\nRelation triples:\n{triples}",
    SAMPLING,
)

# Worked examples (kgen's own; STDD's notebook shows one, "drinking beer"). Three actions from
# different walks of life, none of them a class of a built-in dataset: with one example a small
# model copies it ("beer, glass, bottle, hand, mouth, table" as the objects of *pour*); with three
# it copies less and sees what the answers have in common (measured on SmolLM2-135M, docs/llm.md).
EXAMPLE_OBJECTS = {
    "swimming": ["water", "pool", "swimsuit", "goggles", "swimming cap", "lane rope"],
    "painting a wall": ["paint", "brush", "roller", "ladder", "wall", "paint bucket"],
    "cutting bread": ["bread", "knife", "cutting board", "table", "crumbs"],
}
EXAMPLE_SUB_ACTIONS = {
    "swimming": ["dive into the pool", "kick the legs", "stroke with the arms", "turn the head to breathe", "touch the wall"],
    "painting a wall": ["open the paint can", "dip the brush", "spread paint on the wall", "climb the ladder", "clean the brush"],
    "cutting bread": ["hold the loaf", "pick up the knife", "saw through the crust", "cut a slice", "put the slice aside"],
}


def _examples() -> dict[str, tuple[Example, ...]]:
    def shots(template: PromptTemplate, answers: dict[str, list[str]]) -> tuple[Example, ...]:
        return tuple(
            Example(user=fill(template.user, k_min=5, k_max=10, action=action), answer={"items": items})
            for action, items in answers.items()
        )

    return {"objects": shots(OBJECTS, EXAMPLE_OBJECTS), "sub_actions": shots(SUB_ACTIONS, EXAMPLE_SUB_ACTIONS)}


def clause_of(text: str, action: str) -> str:
    """The completion without a repeated "This is an example of {action}," head."""
    clause = normalize_phrase(text)
    head = re.compile(r"^this is an example of\s+" + re.escape(action.casefold()) + r"\s*,?\s*", re.IGNORECASE)
    clause = head.sub("", clause).strip()
    return clause[:1].lower() + clause[1:] if clause[:2] != clause[:2].upper() else clause


def adds_something(clause: str, action: str) -> bool:
    """Whether a completion says more than the action's name: SmolLM2 answers "3" or the action
    again ("This is an example of clap, 3.", "... of chew, chew."), 146 of 771 HMDB51 prompts.
    Such a completion makes no prompt (kgen's choice; no call is spent on it)."""
    own = set(words_of(action))
    return any(word not in own for word in words_of(clause))


def full_sentence(action: str, clause: str) -> tuple[str, bool]:
    """"This is an example of {action}, {clause}." cut at a sentence end to fit CLIP's context."""
    text = normalize_sentence(f"{SENTENCE_PREFIX.format(action=action)} {clause}")
    return truncate_to_tokens(text, CONTEXT_LENGTH - 2)


def _predicate(raw: str) -> str:
    words = normalize_phrase(raw).lower().split()
    return " ".join(words[:MAX_PREDICATE_WORDS])


def closed_predicates(spec: KeyedSpec | TripleSpec, kind: str) -> Fallback:
    """The fallback of a relation question: the same question with its predicates chosen from the
    closed vocabulary of relation ``kind`` (an enum in the schema; the list also written into the
    question for servers that do not enforce schemas)."""
    words = relation_vocabulary().for_kind(kind)
    if isinstance(spec, TripleSpec):
        narrow: KeyedSpec | TripleSpec = TripleSpec(
            spec.entities, spec.min_items, spec.max_items, spec.max_predicate_words, spec.exclude_pairs, predicate_choices=words,
            not_predicates=spec.not_predicates,
        )
    else:
        narrow = KeyedSpec(
            spec.keys, spec.key_label, spec.value_label, spec.max_chars, spec.max_words, spec.question, spec.values_not_keys,
            choices=words, not_values=spec.not_values,
        )
    return Fallback(narrow, f"Choose each predicate from this list: {', '.join(words)}.")


def _numbers(count: int) -> list[str]:
    return [str(i) for i in range(1, count + 1)]


def _numbered(lines) -> str:
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, start=1))


def _distinct(items: list[str], key=concept_key) -> list[str]:
    seen, out = set(), []
    for item in items:
        k = key(item)
        if k and k not in seen:
            seen.add(k)
            out.append(item)
    return out


class ASKGBuilder(KindBuilder[ClassASKG]):
    kind = "askg"
    file_model = ASKGFile

    def __init__(self, dataset: Dataset, k_min: int = 5, k_max: int = 10) -> None:
        super().__init__(dataset)
        if not 5 <= k_min <= k_max <= 10:
            raise InputError(f"need 5 <= --k-min <= --k-max <= 10 (got {k_min}, {k_max})", hint="STDD uses 5 <= K <= 10")
        self.k_min, self.k_max = k_min, k_max
        self.examples = _examples()

    def _request(
        self, template: PromptTemplate, entry: ClassEntry, spec, examples=(), fallback: Fallback | None = None, **values: Any
    ) -> LLMRequest:
        return LLMRequest(
            purpose=f"{template.step} [{entry.name}]",
            messages=template.messages(action=entry.name, **values),
            spec=spec,
            sampling=template.sampling,
            examples=tuple(examples),
            example_policy="always",
            fallback=fallback,
        )

    async def build_class(self, client: LLMClient, entry: ClassEntry) -> ClassASKG:
        action = entry.name
        k = {"k_min": self.k_min, "k_max": self.k_max}
        objects_answer, subs_answer = await asyncio.gather(
            # The action itself is neither one of its objects nor one of its sub-actions.
            client.ask(self._request(
                OBJECTS, entry, ListSpec(self.k_min, self.k_max, "object", max_words=4, exclude=[action]), self.examples["objects"], **k
            )),
            client.ask(self._request(
                SUB_ACTIONS, entry, ListSpec(self.k_min, self.k_max, "sub-action", max_words=6, exclude=[action]),
                self.examples["sub_actions"], **k,
            )),
        )
        objects = _distinct([normalize_phrase(o).lower() for o in objects_answer.value.items])  # type: ignore[attr-defined]
        objects = [o for o in objects if concept_key(o) != concept_key(action)]
        # Also distinct as keys of the relation questions ("pick a pick" and "pick-a-pick" are one key).
        objects = _distinct(objects, key=key_form)
        subs = _distinct([normalize_phrase(s).lower() for s in subs_answer.value.items], key=lambda s: concept_key(s, False))  # type: ignore[attr-defined]
        if len(objects) < 2 or not subs:
            raise ClassFailed("askg: too few distinct objects or sub-actions after normalisation")

        chain = [action, *subs]
        pairs = [(a, b) for a, b in zip(chain, chain[1:], strict=False) if key_form(a) != key_form(b)]
        n = len(objects)
        # A predicate that only names an entity or the action ("toothpick -brush hair-> brush") is no relation.
        oo_spec = TripleSpec(
            objects, min_items=max(1, n // 2), max_items=n, max_predicate_words=MAX_PREDICATE_WORDS, not_predicates=[action]
        )
        # A predicate that only names an object ("catch -bowl-> bowl") is no relation.
        # Nor is a name ("kick -johnson-> ball"), for any relation.
        ao_spec = KeyedSpec(
            objects, key_label="object", value_label="predicate", max_words=MAX_PREDICATE_WORDS, values_not_keys=True, names=False
        )
        # Pairs and triples are keyed by number: short keys keep the embedded model's forced tokens few.
        # Nor is one that repeats a sub-action it joins ("hold the ball -hold the ball-> hold a ball").
        aa_spec = KeyedSpec(
            _numbers(len(pairs)), key_label="pair", value_label="predicate", max_words=MAX_PREDICATE_WORDS,
            not_values={number: pair for number, pair in zip(_numbers(len(pairs)), pairs, strict=True)}, names=False,
        )
        oo, ao, aa = await asyncio.gather(
            client.ask(self._request(
                OBJECT_RELATIONS, entry, oo_spec, fallback=closed_predicates(oo_spec, "object_object"), entities=", ".join(objects)
            )),
            client.ask(self._request(
                ACTION_OBJECT_RELATIONS, entry, ao_spec, fallback=closed_predicates(ao_spec, "action_object"),
                entities=", ".join(objects),
            )),
            client.ask(self._request(
                ACTION_RELATIONS, entry, aa_spec, fallback=closed_predicates(aa_spec, "action_action"),
                pairs=_numbered(f"{a} -> {b}" for a, b in pairs),
            )),
        )
        triples: list[KGTriple] = []
        for t in oo.value.triples:  # type: ignore[attr-defined]
            triples.append(KGTriple(subject=t.subject, predicate=_predicate(t.predicate), object=t.object, kind="object-object"))
        for obj, predicate in ao.value.values.items():  # type: ignore[attr-defined]
            triples.append(KGTriple(subject=action, predicate=_predicate(predicate), object=obj, kind="action-object"))
        for number, (a, b) in zip(_numbers(len(pairs)), pairs, strict=True):
            triples.append(KGTriple(subject=a, predicate=_predicate(aa.value.values[number]), object=b, kind="action-action"))  # type: ignore[attr-defined]
        triples = [t for t in triples if t.predicate]

        async def complete(prompt_type: str) -> list[TriplePrompt]:
            chosen = [(i, t) for i, t in enumerate(triples) if t.prompt_type == prompt_type]
            if not chosen:
                return []
            spec = KeyedSpec(_numbers(len(chosen)), key_label="triple", value_label="completion", max_chars=MAX_COMPLETION_CHARS)
            request = self._request(SENTENCES, entry, spec, triples=_numbered(t.render() for _, t in chosen))
            # Room for every completion at its bound: 768 tokens cut a 15-triple answer short (an
            # unterminated string, four times over). Capped so that prompt and answer fit one
            # embedded llama.cpp slot (2,048 tokens).
            budget = min(MAX_SENTENCES_TOKENS, max(SAMPLING.max_tokens, 32 + TOKENS_PER_COMPLETION * len(chosen)))
            request = replace(request, sampling=request.sampling.model_copy(update={"max_tokens": budget}))
            answer = await client.ask(request)
            out = []
            for number, (index, _) in zip(_numbers(len(chosen)), chosen, strict=True):
                clause = clause_of(answer.value.values[number], action)  # type: ignore[attr-defined]
                if clause and adds_something(clause, action):
                    text, cut = full_sentence(action, clause)
                    out.append(TriplePrompt(triple=index, type=prompt_type, clause=clause, text=text, truncated=cut))
            return out

        spatial, temporal = await asyncio.gather(complete("spatial"), complete("temporal"))
        prompts = spatial + temporal
        if not prompts:
            raise ClassFailed("askg: no usable prompt")
        return ClassASKG(
            class_id=entry.id, class_name=entry.name, label=entry.label, objects=objects, sub_actions=subs,
            triples=triples, prompts=prompts,
        )

    def prompt_records(self) -> list[PromptRecord]:
        return [
            OBJECTS.record([e.model_dump() for e in self.examples["objects"]]),
            SUB_ACTIONS.record([e.model_dump() for e in self.examples["sub_actions"]]),
            OBJECT_RELATIONS.record(),
            ACTION_OBJECT_RELATIONS.record(),
            ACTION_RELATIONS.record(),
            SENTENCES.record(),
        ]

    def parameters(self) -> dict[str, Any]:
        vocabulary = relation_vocabulary()
        return {
            "k_min": self.k_min, "k_max": self.k_max, "max_predicate_words": MAX_PREDICATE_WORDS,
            # the fallback predicates (see the module docstring)
            "fallback_predicates": {kind: list(vocabulary.for_kind(kind)) for kind in RELATION_KINDS},
        }

    def make_file(self, entries: list[ClassASKG], provenance: LLMProvenance) -> KnowledgeFile:
        return ASKGFile(dataset=self.dataset.name, provenance=provenance, k_min=self.k_min, k_max=self.k_max, classes=entries)

    def extra_files(self, knowledge: KnowledgeFile) -> list[Path]:
        assert isinstance(knowledge, ASKGFile)
        return write_graph_files(knowledge, self.path.parent)
