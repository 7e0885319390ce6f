#!/usr/bin/env bash
# Everything harness's own test suite needs beyond `pip install -e '.[dev]'`:
# the local model tier (CPU torch + transformers serve), Debian's Chromium for the report's
# browser test, and llama-stack (its own Python 3.12 venv) over the local model. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/install-local-tier.sh"
bash "$here/install-browser.sh"
bash "$here/install-llama-stack.sh"
