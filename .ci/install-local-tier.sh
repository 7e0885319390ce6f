#!/usr/bin/env bash
# Install the local model tier (CPU torch + `transformers serve`) into the current python.
#
# torch first, pinned: 2.13.0 is a CPU wheel that pip takes from this machine's disk. Had
# transformers pulled torch in itself, pip would fetch a multi-GB CUDA build from PyPI.
# transformers is pinned because the tiny model's build (and its cache key) and the
# server's quirks are tied to its version. ~30 s, ~1.2 GB.
set -euo pipefail

PYTHON="${PYTHON:-python}"

"$PYTHON" -m pip install --progress-bar off 'torch==2.13.0'
"$PYTHON" -m pip install --progress-bar off 'transformers[serving]==5.23.0'

"$PYTHON" - <<'PY'
import fastapi, tokenizers, torch, transformers, uvicorn  # noqa: F401

assert torch.version.cuda is None, f"expected a CPU build of torch, got CUDA {torch.version.cuda}"
print(f"local model tier: torch {torch.__version__}, transformers {transformers.__version__}, "
      f"tokenizers {tokenizers.__version__}")
PY
