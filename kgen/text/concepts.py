"""Concept keys: when two entity names an LLM wrote mean the same node.

"the Hands", "hand" and "a hand" all become ``hand``: lowercase, punctuation dropped, leading
articles and possessives dropped, and the last word of a noun phrase made singular by the usual
English rules (``-ies`` -> ``-y``, ``-ches/-shes/-sses/-xes/-zes`` -> drop ``-es``, ``-s`` -> drop,
except after ``s``, ``u`` and ``i``: *glass*, *bus*, *analysis* stay). kgen has no lemmatiser
(STDD's code uses NLTK's WordNet lemmatiser for objects); these rules cover the nouns action
knowledge is made of, and irregular plurals are listed.
"""

from __future__ import annotations

import re
import unicodedata

_ARTICLES = {"a", "an", "the", "his", "her", "their", "its", "one's", "someone's", "person's"}
_IRREGULAR = {
    "feet": "foot", "teeth": "tooth", "men": "man", "women": "woman", "children": "child",
    "people": "person", "mice": "mouse", "geese": "goose", "knives": "knife", "leaves": "leaf",
    "shelves": "shelf", "wolves": "wolf", "calves": "calf", "halves": "half", "lives": "life",
    "wives": "wife", "scarves": "scarf", "dice": "die", "oxen": "ox",
}
_NO_SINGULAR = {"pants", "trousers", "scissors", "glasses", "goggles", "shorts", "jeans", "tongs", "pliers",
                "news", "gymnastics", "athletics", "physics", "series", "species", "clothes", "stairs",
                "headphones", "binoculars", "chopsticks", "dreadlocks", "skis", "cards"}


def singular(word: str) -> str:
    """The singular of an English noun, by rule (see the module docstring)."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word in _NO_SINGULAR or len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if re.search(r"(ches|shes|sses|xes|zes)$", word):
        return word[:-2]
    if word.endswith("s") and not re.search(r"(ss|us|is)$", word):
        return word[:-1]
    return word


def concept_key(name: str, singularize: bool = True) -> str:
    """The key of an entity name (see the module docstring); ``""`` for a name with no words."""
    text = unicodedata.normalize("NFKC", name).casefold().replace("\u2019", "'")
    words = re.findall(r"[\w'-]+", text)
    while words and words[0] in _ARTICLES:
        words = words[1:]
    words = [w.strip("'-") for w in words if w.strip("'-")]
    if not words:
        return ""
    if singularize:
        words[-1] = singular(words[-1])
    return " ".join(words)
