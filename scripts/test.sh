#!/usr/bin/env bash
# Install everything (scripts/setup.sh), then run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --with-browser
# The report's tests fail (rather than skip) when no Chromium is there: CI must run them.
export KGEN_REQUIRE_BROWSER=1
exec .venv/bin/python -m pytest "$@"
