"""Definitions from a Wiktionary entry's wikitext (its ``==English==`` section).

An English entry is laid out as (Wiktionary:Entry layout)::

    ==English==
    ===Etymology 1===            (optional; numbered etymologies push the POS to level 4)
    ====Verb====
    {{en-verb}}
    # {{lb|en|transitive}} To [[clean]] with a [[brush]].
    #: {{ux|en|...}}              (example: skipped)
    #* {{quote-book|...}}        (quotation: skipped)
    ## sub-sense                   (used only when its parent is empty)

Templates are reduced to their text: labels (``lb``) are kept aside (to skip obsolete, archaic, rare,
slang ... senses), links keep their display text, glosses become parentheses, and *form-of* templates
(``present participle of``, ``plural of``, ``alternative form of``, ``en-past of`` ...) become
"present participle of brush" with the lemma noted, so that the crawler can look the lemma up.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

POS_HEADINGS = {
    "verb": "verb",
    "noun": "noun",
    "proper noun": "noun",
    "adjective": "adj",
    "adverb": "adv",
    "phrase": "phrase",
    "idiom": "phrase",
    "prepositional phrase": "phrase",
    "proverb": "phrase",
    "interjection": "interj",
}
# Senses with these labels are not what a class name means.
SKIPPED_LABELS = frozenset(
    """obsolete archaic dated rare nonstandard non-standard slang vulgar offensive derogatory dialectal
    dialect euphemistic humorous jocular figurative figuratively ethnic pejorative""".split()
)
_LABEL_TEMPLATES = {"lb", "lbl", "label", "term-label", "tlb", "lb-lite", "sense", "s"}
_QUALIFIER_TEMPLATES = {"q", "qual", "qualifier", "i", "qf", "q-lite", "qualifier-lite"}
_GLOSS_TEMPLATES = {"gloss", "gl"}
_NON_GLOSS_TEMPLATES = {"non-gloss definition", "non-gloss", "n-g", "ng", "ngd", "n-g-lite"}
_LINK_TEMPLATES = {
    "l",
    "link",
    "m",
    "mention",
    "ll",
    "l-self",
    "m-self",
    "term",
    "l-lite",
    "m-lite",
}
_FIRST_PARAM_TEMPLATES = {"w", "pedia", "taxlink", "taxfmt", "vern", "spelink", "wp", "wikipedia"}
_ALIASED_FORM_OF = {
    "alt form": "alternative form of",
    "altform": "alternative form of",
    "alt sp": "alternative spelling of",
    "alt-sp": "alternative spelling of",
    "alt case": "alternative letter-case form of",
    "infl of": "inflection of",
    "syn of": "synonym of",
    "abbr of": "abbreviation of",
    "init of": "initialism of",
    "short for": "short for",
    "clip of": "clipping of",
}
_LITERAL_TEMPLATES = {",": ",", "!": "|", "=": "=", "...": "…", "nb...": "…", "'": "'"}

_HEADING = re.compile(r"^(={2,6})\s*([^=].*?)\s*\1\s*$")
_TEMPLATE = re.compile(r"\{\{([^{}]*)\}\}")
_LINK = re.compile(r"\[\[([^\[\]]*)\]\]")
_EXTERNAL_LINK = re.compile(r"\[(?:https?:)?//\S+\s*([^\]]*)\]")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_REF = re.compile(r"<ref[^>/]*/>|<ref[^>]*>.*?</ref>", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


@dataclass(frozen=True)
class WiktionaryDefinition:
    pos: str  # "verb", "noun", "adj", "adv", "phrase", "interj"
    number: int  # 1-based position within this part of speech
    text: str
    labels: tuple[str, ...] = ()
    form_of: str | None = None  # the lemma, when this sense is "<form> of <lemma>"

    @property
    def skipped(self) -> bool:
        return bool(SKIPPED_LABELS & {label.lower() for label in self.labels})


@dataclass
class _Context:
    labels: list[str] = field(default_factory=list)
    form_of: str | None = None


def english_section(wikitext: str) -> str:
    """The ``==English==`` section of an entry ('' when it has none)."""
    lines = wikitext.splitlines()
    start = None
    for i, line in enumerate(lines):
        heading = _HEADING.match(line)
        if heading and len(heading.group(1)) == 2:
            if start is not None:
                return "\n".join(lines[start:i]).strip()
            if heading.group(2).strip().lower() == "english":
                start = i + 1
        elif start is not None and line.strip() == "----":
            return "\n".join(lines[start:i]).strip()
    return "\n".join(lines[start:]).strip() if start is not None else ""


def _split_params(body: str) -> tuple[str, list[str], dict[str, str]]:
    parts = body.split("|")
    name = parts[0].strip().lower().replace("_", " ")
    positional: list[str] = []
    named: dict[str, str] = {}
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        if sep and re.fullmatch(r"[A-Za-z0-9_\- ]+", key.strip()) and not key.strip().isdigit():
            named[key.strip()] = value.strip()
        elif sep and key.strip().isdigit():
            index = int(key.strip()) - 1
            while len(positional) <= index:
                positional.append("")
            positional[index] = value.strip()
        else:
            positional.append(part.strip())
    return name, positional, named


def _render_template(body: str, context: _Context) -> str:
    name, params, named = _split_params(body)
    if name in _LITERAL_TEMPLATES:
        return _LITERAL_TEMPLATES[name]
    if name in _LABEL_TEMPLATES:
        context.labels.extend(p for p in params[1:] if p and p not in {"_", "and", "or", ","})
        return ""
    if name in _QUALIFIER_TEMPLATES:
        return ""
    if name in _GLOSS_TEMPLATES:
        return f"({params[0]})" if params and params[0] else ""
    if name in _NON_GLOSS_TEMPLATES:
        return params[0] if params else ""
    if name in _LINK_TEMPLATES:
        if len(params) >= 3 and params[2]:
            return params[2]
        return params[1] if len(params) >= 2 else ""
    if name in _FIRST_PARAM_TEMPLATES:
        if name in {"w", "pedia", "wp", "wikipedia"} and len(params) >= 2 and params[1]:
            return params[1]
        return params[0] if params else ""
    form_name = _ALIASED_FORM_OF.get(name) or (name if name.endswith(" of") else None)
    if form_name is not None:
        if name.startswith("en-"):
            lemma = params[0] if params else ""
            form_name = form_name[3:]
        else:
            lemma = params[1] if len(params) >= 2 else ""
        if lemma:
            context.form_of = context.form_of or lemma
            return f"{form_name} {lemma}"
        return form_name
    # Everything else (usage examples, quotations, references, categories, maintenance) adds no
    # words to a definition.
    return ""


def _render_link(match: re.Match[str]) -> str:
    target, _, display = match.group(1).partition("|")
    if re.match(r"^\s*(?:category|file|image|media|thesaurus)\s*:", target, re.IGNORECASE):
        return ""
    if display:
        return display
    target = re.sub(r"^\s*(?:w|wikipedia|s|wikt)\s*:", "", target, flags=re.IGNORECASE)
    return target.split("#", 1)[0]


def clean_definition(raw: str) -> tuple[str, tuple[str, ...], str | None]:
    """A definition line's text, its labels, and the lemma when it is a form-of sense."""
    context = _Context()
    text = _COMMENT.sub("", raw)
    text = _REF.sub("", text)
    text = _LINK.sub(_render_link, text)
    previous = None
    while previous != text:
        previous = text
        text = _TEMPLATE.sub(lambda m: _render_template(m.group(1), context), text)
    text = _LINK.sub(_render_link, text)
    text = _EXTERNAL_LINK.sub(lambda m: m.group(1), text)
    text = text.replace("'''", "").replace("''", "")
    text = _TAG.sub("", text)
    text = html.unescape(text)
    text = re.sub(r"\(\s*[,;]?\s*\)", "", text)
    text = re.sub(r"\s+([,.;:!?)])", r"\1", text)
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"\s+", " ", text).strip(" :;,")
    return text, tuple(context.labels), context.form_of


def parse_definitions(english: str) -> list[WiktionaryDefinition]:
    """Every sense listed in an English section, in page order."""
    definitions: list[WiktionaryDefinition] = []
    numbers: dict[str, int] = {}
    pos: str | None = None
    pending_empty: tuple[str, tuple[str, ...]] | None = None  # a parent sense with only labels
    for line in english.splitlines():
        heading = _HEADING.match(line)
        if heading:
            pos = POS_HEADINGS.get(heading.group(2).strip().lower())
            pending_empty = None
            continue
        if pos is None:
            continue
        top = re.match(r"^#(?![#:*])\s*(.*)$", line)
        sub = re.match(r"^##(?![#:*])\s*(.*)$", line)
        if top:
            text, labels, form_of = clean_definition(top.group(1))
            if not text:
                pending_empty = (pos, labels)
                continue
            pending_empty = None
        elif sub and pending_empty is not None:
            text, labels, form_of = clean_definition(sub.group(1))
            if not text:
                continue
            labels = pending_empty[1] + labels
            pending_empty = None
        else:
            continue
        numbers[pos] = numbers.get(pos, 0) + 1
        definitions.append(
            WiktionaryDefinition(
                pos=pos, number=numbers[pos], text=text, labels=labels, form_of=form_of
            )
        )
    return definitions
