#!/usr/bin/env bash
# Install everything (scripts/setup.sh), then run the main job on the embedded defaults for HMDB51:
# crawl the definitions of its 51 classes (Wikipedia and Wiktionary when the network is open,
# WordNet offline otherwise) into knowledge/hmdb51/. Extra arguments go to the kgen command.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/kgen crawl --dataset hmdb51 "$@"
