"""Plain-text clean-up and sentence splitting for crawled definitions.

Wikipedia intros (TextExtracts plain text) carry pronunciations, footnote marks, empty
parentheses left where templates were removed, and odd whitespace; dictionary glosses carry
examples. These helpers remove exactly that and nothing else: ER-ZSAR's released descriptions keep
grammatical parentheticals such as "clean (one's teeth) with a brush", so only parentheticals that
are pronunciations, transliterations or empty are removed.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
# Footnote and maintenance marks: [1], [12], [a], [note 3], [citation needed], [clarification needed].
_FOOTNOTES = re.compile(
    r"\[(?:\d{1,3}|[a-z]|note \d+|[a-z ]*needed|[a-z ]*verification[a-z ]*)\]", re.IGNORECASE
)
# A parenthetical with no nested parentheses.
_PARENTHETICAL = re.compile(r"\s*\(([^()]*)\)")
# Characters that only occur in IPA transcriptions.
_IPA_CHARS = set(
    "ɑɐɒæɓʙβɔɕçɗɖðʤəɘɚɛɜɝɞɟʄɡɠɢʛɦɧħɥʜɨɪʝɭɬɫɮʟɱɯɰŋɳɲɴøɵɸθœɶʘɹɺɾɻʀʁɽʂʃʈʧʉʊʋⱱʌɣɤʍχʎʏʑʐʒʔʡʕʢǀǁǂǃˈˌːˑ"
)
_PRONUNCIATION_WORDS = re.compile(
    r"\b(listen|pronounced|pronunciation|IPA|lit\.|literally|transl\.|romani[sz]ed|abbreviated)\b",
    re.IGNORECASE,
)
# "(Japanese: 柔道)", "(from Ancient Greek ...)", "(German: ...)": a language name followed by a colon.
_LANGUAGE_GLOSS = re.compile(r"^(?:from\s+)?(?:[A-Z][a-z]+\s+){0,2}[A-Z][a-z]+\s*:")


def collapse_whitespace(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def normalize_text(text: str) -> str:
    """NFC, HTML entities decoded, whitespace collapsed."""
    return collapse_whitespace(unicodedata.normalize("NFC", html.unescape(text)))


def _is_noise_parenthetical(inner: str) -> bool:
    stripped = inner.strip()
    if not stripped or not any(ch.isalnum() for ch in stripped):
        return True  # "( )", "(; )", "(, )": what TextExtracts leaves of removed templates
    if any(ch in _IPA_CHARS for ch in stripped) or re.search(r"/[^/\s][^/]*/", stripped):
        return True  # /ˈfɛnsɪŋ/
    if _PRONUNCIATION_WORDS.search(stripped) or _LANGUAGE_GLOSS.match(stripped):
        return True
    letters = [ch for ch in stripped if ch.isalpha()]
    if letters and sum(1 for ch in letters if ord(ch) > 0x24F) / len(letters) > 0.5:
        return True  # mostly non-Latin script: a transliteration or original-language name
    return False


def clean_encyclopedia_text(text: str) -> str:
    """A Wikipedia intro without pronunciations, footnote marks and empty parentheses."""
    text = normalize_text(text)
    text = _FOOTNOTES.sub("", text)
    previous = None
    while previous != text:  # innermost first, so nested noise goes too
        previous = text
        text = _PARENTHETICAL.sub(
            lambda m: "" if _is_noise_parenthetical(m.group(1)) else m.group(0), text
        )
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    return collapse_whitespace(text)


def clean_gloss(text: str) -> str:
    """A dictionary gloss without its quoted examples: 'rub with a brush; "she brushed ..."' -> 'rub with a brush'."""
    text = normalize_text(text)
    text = re.sub(r'[,;:]?\s*"[^"]*"', "", text)  # quoted usage examples, wherever they start
    parts = [part.strip() for part in text.split(";")]
    kept = [
        part for part in parts if part and not part.startswith('"') and not part.startswith("“")
    ]
    text = "; ".join(kept)
    return text.strip(" ;,")


# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = {
    "e.g",
    "i.e",
    "etc",
    "vs",
    "cf",
    "approx",
    "ca",
    "c",
    "st",
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "jr",
    "sr",
    "no",
    "nos",
    "fig",
    "al",
    "inc",
    "ltd",
    "co",
    "corp",
    "u.s",
    "u.k",
    "e.u",
    "u.n",
    "a.k.a",
    "esp",
    "incl",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "mt",
    "ft",
    "lb",
}
_SENTENCE_END = re.compile(r"([.!?])([\"”’')\]]*)\s+(?=[\"“‘(\[]?[A-Z0-9À-ÖØ-Þ])")


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``: split after . ! ? followed by a capital or digit, except after abbreviations
    and single initials ("J. R. R. Tolkien")."""
    text = collapse_whitespace(text)
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end(2)
        if match.group(1) == ".":
            before = text[start : match.start(1)]
            last_word = before.rsplit(" ", 1)[-1].lower().lstrip("(\"“'")
            if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
                continue
        sentences.append(text[start:end].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def as_sentence(text: str) -> str:
    """``text`` ending with a full stop (definitions are joined into one description)."""
    text = text.strip()
    if not text:
        return text
    return text if text[-1] in ".!?" else text + "."


def words_of(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits, inner hyphens and apostrophes kept)."""
    return [w.lower() for w in _WORD.findall(text)]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A crude stem for matching a class name against a title: 'riding'/'ride' -> 'rid',
    'running'/'run' -> 'run', 'stairs'/'stair' -> 'stair'. Only ever compared with another stem."""
    w = word.lower()
    for suffix in ("ing", "ed", "es", "s", "e"):
        if suffix == "s" and w.endswith("ss"):
            continue
        if len(w) > len(suffix) + 2 and w.endswith(suffix):
            w = w[: -len(suffix)]
            break
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiousl":
        w = w[:-1]
    return w
