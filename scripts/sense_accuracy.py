"""Share of classes whose every chunk got an acceptable WordNet sense, per label set and split.

The labels are ``tests/data/sense_labels/*.json`` (see ``tests/test_sense_labels.py``, whose
``evaluate`` this calls). With the sentence-embedding similarity when its wheel is installed (as the
crawl uses it), or ``--rules`` for the rules alone. ``--show`` lists the wrong classes of the tuned
split, or of both splits of HMDB51, UCF101 and Kinetics-400; the Kinetics-600 set is never listed
(it is the blind check: its number only).

    .venv/bin/python scripts/sense_accuracy.py [--rules] [--show none|tuned|all] [hmdb51 ucf101 k400 k600_new]

Needs Debian's wordnet-base (/usr/share/wordnet). Embeddings are cached in --cache (default: a
folder under the system's temporary directory).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from test_sense_labels import LABEL_SETS, SYSTEM_WORDNET, evaluate  # noqa: E402

from kgen.crawl.similarity import Similarity  # noqa: E402
from kgen.crawl.wordnet import WordNet  # noqa: E402

BLIND = "k600_new"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="*", default=list(LABEL_SETS), help=f"label sets ({', '.join(LABEL_SETS)})")
    parser.add_argument("--rules", action="store_true", help="the rules alone, without the similarity")
    parser.add_argument("--show", choices=("none", "tuned", "all"), default="none")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "kgen-sense-accuracy")
    args = parser.parse_args()
    unknown = [s for s in args.sets if s not in LABEL_SETS]
    if unknown:
        parser.error(f"unknown label set(s) {unknown}: choose from {', '.join(LABEL_SETS)}")
    if not SYSTEM_WORDNET.is_dir():
        raise SystemExit(f"WordNet not found at {SYSTEM_WORDNET}: apt-get install wordnet-base")
    wordnet = WordNet(SYSTEM_WORDNET)
    similarity = None if args.rules else Similarity.available(args.cache)
    print("rules alone" if similarity is None else "rules + similarity")
    for label_set in args.sets:
        total_right = total = 0
        for split, score in evaluate(wordnet, label_set, similarity).items():
            count = score.right + len(score.wrong)
            if count == 0:
                continue
            total_right += score.right
            total += count
            print(f"{label_set:>9} {split:<9} {score.accuracy:6.1%} ({score.right}/{count})")
            if label_set != BLIND and (args.show == "all" or (args.show == "tuned" and split == "tuned")):
                for wrong in score.wrong:
                    print(f"      {wrong}")
        if total:
            print(f"{label_set:>9} {'all':<9} {total_right / total:6.1%} ({total_right}/{total})")
    if similarity is not None:
        similarity.close()


if __name__ == "__main__":
    main()
