"""Print a labelling sheet for hand-labelling WordNet senses (tests/data/sense_labels).

For each class name: kgen's chunks and qualifiers, then every WordNet sense of every lemma each chunk
(and each word of a multiword chunk) may stand for, with lexicographer file, gloss and examples. It
never shows kgen's *choice*, so that labels made from it are not biased by it.

    PYTHONPATH=. .venv/bin/python scripts/sense_label_sheet.py k600 "playing lute" "sawing wood"
    PYTHONPATH=. .venv/bin/python scripts/sense_label_sheet.py hmdb51 > /tmp/hmdb51-sheet.txt
"""

from __future__ import annotations

import sys

from kgen.crawl.phrase import STOPWORDS, analyse
from kgen.crawl.wordnet import WordNet
from kgen.datasets import load_builtin


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    dataset, names = argv[0], argv[1:]
    wordnet = WordNet()
    if not names:
        names = [entry.name for entry in load_builtin(dataset).classes]
    seen: set[tuple[str, str]] = set()
    for name in names:
        phrase = analyse(name, wordnet)
        chunks = [c.text + (f" -> {c.lookup}" if c.lookup else "") for c in phrase.chunks]
        print(f"## {name}   chunks={chunks} qualifiers={[q.text for q in phrase.qualifiers]}")
        texts = [c.entry for c in phrase.chunks]
        for chunk in phrase.chunks:
            if " " in chunk.text:
                texts += [w for w in chunk.text.split() if w not in STOPWORDS]
        for text in texts:
            for pos in ("verb", "noun", "adj", "adv"):
                for lemma in wordnet.lemmas_for(text, pos):
                    if (lemma, pos) in seen:
                        print(f"   [{text}] {lemma}/{pos}: (listed above)")
                        continue
                    seen.add((lemma, pos))
                    print(f"   [{text}] {lemma}/{pos}:")
                    for synset in wordnet.synsets(lemma, pos):
                        examples = "; ".join(synset.examples[:2])
                        line = f"      {synset.name:24s} {synset.lexfile:18s} {synset.definition[:110]}"
                        print(line + (f"  | {examples[:80]}" if examples else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
