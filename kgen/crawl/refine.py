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

Dictionary definitions come from WordNet when it has the headword (its lexicographer files let kgen
pick the sense that is an act), else from Wiktionary. Definitions keep their own wording and
grammatical parentheticals ("(one's hair)", as ER-ZSAR's do); each ends with a full stop.
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
) -> Refined:
    """Apply the three rules of the module docstring, in order."""
    if article is not None:
        text = first_sentences(article.page.extract)
        if text:
            return Refined(text=text, rule="wikipedia")
    if phrase_definitions is not None and phrase_definitions.best is not None:
        best = phrase_definitions.best
        return Refined(text=as_sentence(best.text), rule="dictionary-phrase", used=(best,))
    used = [c.best for c in chunk_definitions if c.best is not None]
    undefined = tuple(c.chunk.text for c in chunk_definitions if c.best is None)
    if used:
        # Synonyms in one name ("trimming or shaving beard") can share a sense: say it once.
        sentences = dict.fromkeys(as_sentence(d.text) for d in used)
        text = " ".join(sentences)
        return Refined(text=text, rule="dictionary-words", used=tuple(used), undefined=undefined)
    return Refined(text="", rule=None, undefined=undefined)
