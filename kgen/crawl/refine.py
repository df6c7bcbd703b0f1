"""The refined description: the smallest set of sentences that defines the action.

ER-ZSAR (Chen & Huang, ICCV 2021) crawled class definitions from Wikipedia and dictionaries and
refined each to "the smallest set of sentences" that defines the action; Kim et al. (§3.2) extract
their description attributes from exactly these descriptions. ER-ZSAR's released descriptions show
three shapes, which kgen reproduces as three rules, tried in order:

1. ``wikipedia``: the article chosen for the class (``article.py``) defines it in its first
   sentence (Wikipedia's MOS:FIRST). kgen takes the first sentence of the cleaned intro, and the next
   ones only while the description has fewer than ``MIN_WORDS`` (8) words, at most
   ``MAX_SENTENCES`` (3). ("Fencing is a combat sport that features sword fighting.")
2. ``dictionary-phrase``: the whole name is one dictionary entry ("golf", "shake hands", "high
   jump", "pushup" = WordNet's "push-up"): its definition.
3. ``dictionary-words``: otherwise, the definitions of the name's chunks in name order, the action
   first as it comes ("brush hair" -> "rub with a brush, or as if with a brush. a covering for the
   body (or parts of it) consisting of a dense growth of threadlike structures ..."), as ER-ZSAR has
   for "brushing teeth" ("clean (one's teeth) with a brush. each of a set of hard, bony ...").
   Chunks no dictionary defines are left out (and reported); a definition two chunks share
   ("trimming or shaving": "cut closely") is said once.

Dictionary definitions come from WordNet when it has the headword (``senses.py`` chooses the
sense), else from Wiktionary. Definitions keep their own wording and grammatical parentheticals
("(one's hair)", as ER-ZSAR's do); each ends with a full stop. A very short WordNet gloss ("exhale
hard") is followed by its usage example or its hypernym's gloss (``dictionary.py``) while the
refined description stays within ``REFINED_WORD_BUDGET`` words (CLIP reads 77 tokens of
"{name}: {refined}"; kgen's choice of budget).

A class the user's overrides file gives a hand-written definition is refined to exactly that text
(rule ``manual``); one it pins a WordNet sense for is refined from WordNet whatever Wikipedia says.
"""

from __future__ import annotations

from dataclasses import dataclass

from kgen.crawl.article import ArticleChoice
from kgen.crawl.descriptions import RefinedRule
from kgen.crawl.dictionary import Definition
from kgen.crawl.phrase import Chunk
from kgen.crawl.textclean import as_sentence, clean_encyclopedia_text, split_sentences, word_count

MIN_WORDS = 8
MAX_SENTENCES = 3
REFINED_WORD_BUDGET = 50  # short-gloss additions are made only while the text stays this short


def first_sentences(
    extract: str, min_words: int = MIN_WORDS, max_sentences: int = MAX_SENTENCES
) -> str:
    """The first sentence of ``extract``, plus following ones while shorter than ``min_words``."""
    chosen: list[str] = []
    for sentence in split_sentences(clean_encyclopedia_text(extract))[:max_sentences]:
        chosen.append(sentence)
        if word_count(" ".join(chosen)) >= min_words:
            break
    return " ".join(chosen)


@dataclass(frozen=True)
class ChunkDefinitions:
    chunk: Chunk
    wordnet: Definition | None
    wiktionary: Definition | None

    @property
    def best(self) -> Definition | None:
        return self.wordnet or self.wiktionary


@dataclass(frozen=True)
class Refined:
    text: str
    rule: RefinedRule | None
    used: tuple[Definition, ...] = ()  # the dictionary definitions it is made of
    undefined: tuple[str, ...] = ()  # chunks no dictionary defines (rule dictionary-words)


def refine(
    article: ArticleChoice | None,
    phrase_definitions: ChunkDefinitions | None,
    chunk_definitions: list[ChunkDefinitions],
    manual_text: str | None = None,
) -> Refined:
    """Apply the rules of the module docstring, in order."""
    if manual_text:
        return Refined(text=as_sentence(manual_text.strip()), rule="manual")
    if article is not None:
        text = first_sentences(article.page.extract)
        if text:
            return Refined(text=text, rule="wikipedia")
    if phrase_definitions is not None and phrase_definitions.best is not None:
        best = phrase_definitions.best
        return Refined(text=_sentences([best]), rule="dictionary-phrase", used=(best,))
    used = [c.best for c in chunk_definitions if c.best is not None]
    undefined = tuple(c.chunk.text for c in chunk_definitions if c.best is None)
    if used:
        return Refined(
            text=_sentences(used), rule="dictionary-words", used=tuple(used), undefined=undefined
        )
    return Refined(text="", rule=None, undefined=undefined)


def _sentences(definitions: list[Definition]) -> str:
    """One sentence per definition (one per distinct text: "trimming or shaving" share a sense),
    each very short gloss extended while the whole stays within REFINED_WORD_BUDGET words."""
    texts = list(dict.fromkeys(d.text for d in definitions))
    extensions = {d.text: d.extension for d in definitions if d.extension}
    total = sum(word_count(t) for t in texts)
    sentences = []
    for text in texts:
        extension = extensions.get(text)
        if extension and total + word_count(extension) <= REFINED_WORD_BUDGET:
            total += word_count(extension)
            joiner = ", " if extension.startswith("as in") else "; "
            text = text.rstrip(" .;,") + joiner + extension
        sentences.append(as_sentence(text))
    return " ".join(dict.fromkeys(sentences))
