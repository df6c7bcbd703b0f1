#!/usr/bin/env bash
# Install everything (scripts/setup.sh), then run the main job end to end for HMDB51 (51 classes)
# on the embedded defaults:
#   1. kgen crawl: definitions of every class (Wikipedia + Wiktionary when the network is open,
#      WordNet offline otherwise) -> knowledge/hmdb51/descriptions.json;
#   2. kgen build all: the four kinds of LLM knowledge (AP-CLIP prompts, STDD's ASKG, description
#      attributes, action-name descriptions) with the embedded SmolLM2 model unless an
#      OpenAI-compatible server is named (OPENAI_BASE_URL / --base-url) -> knowledge/hmdb51/*.json;
#   3. kgen encode-bank: every kind through the frozen CLIP text encoder -> banks/.
# Every step is cached: a rerun costs nothing and an interrupted run resumes.
#
# Extra arguments go to `kgen build all` (e.g. --backend openai --llm-model gpt-4o-mini).
# CLIP weights: KGEN_CLIP_MODEL (default ViT-B-16) and KGEN_CLIP_PRETRAINED (default openai: a tag,
# an hf-hub: id, or a local checkpoint path). When those weights cannot be had (a closed network and
# an empty Hugging Face cache), the banks are encoded with random weights instead, marked
# `random` in their manifests and announced loudly: they check the pipeline, they are not for research.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
kgen=.venv/bin/kgen
dataset=hmdb51
clip_model=${KGEN_CLIP_MODEL:-ViT-B-16}
clip_weights=${KGEN_CLIP_PRETRAINED:-openai}

"$kgen" crawl --dataset "$dataset"
build_status=0
"$kgen" build all --dataset "$dataset" "$@" || build_status=$?
if [ "$build_status" -ne 0 ] && [ "$build_status" -ne 5 ]; then
    exit "$build_status"
fi
# Exit code 5: some classes failed (listed above); their kinds are written for the other classes
# and a rerun asks only for the missing ones. The complete kinds are still encoded below.

encode() {
    "$kgen" encode-bank --dataset "$dataset" --clip-model "$clip_model" --clip-pretrained "$clip_weights" "$@"
}
status=0
encode --kind names --templates vificlip || status=$?
if [ "$status" -eq 4 ]; then  # kgen's exit code for an unavailable source: the weights
    echo "main.sh: the CLIP weights '$clip_model' / '$clip_weights' are not available here (see the message above)." >&2
    echo "main.sh: encoding the banks with RANDOM weights to finish the pipeline; they are marked 'random' and are" >&2
    echo "main.sh: not for research. Give real weights with KGEN_CLIP_PRETRAINED=/path/to/checkpoint ./scripts/main.sh" >&2
    clip_weights=random
    encode --kind names --templates vificlip
elif [ "$status" -ne 0 ]; then
    exit "$status"
fi
incomplete=()
for kind in descriptions prompts askg attributes action-descriptions; do
    encode --kind "$kind" || incomplete+=("$kind")
done
"$kgen" bank list
if [ "${#incomplete[@]}" -ne 0 ] || [ "$build_status" -ne 0 ]; then
    echo "main.sh: not encoded: ${incomplete[*]:-none}; some classes have no knowledge yet." >&2
    echo "main.sh: rerun ./scripts/main.sh: only the missing answers are asked for again." >&2
    exit 5
fi
