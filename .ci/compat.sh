#!/usr/bin/env bash
# Compatibility job: the example scenarios and the unit + integration tiers in fresh venvs,
# each installing the wheel built from this checkout:
#
#   floors   Python 3.11, every dependency of pyproject.toml at its declared floor (">=X" -> "==X")
#   openai2  Python 3.12, the latest openai 2.x (the SDK on httpx)
#   latest   Python 3.13, the latest release of everything (openai 3.x on httpx2)
#
# The floors venv also checks what an installed wheel promises, from a folder outside the
# checkout: py.typed and LICENSE in the wheel, `harness --version`, and a pytest run there
# loading the plugin without importing the SDK or a server.
#
# Environment: PYENV_ROOT (default ~/.pyenv) holds the interpreters; COMPAT_ONLY=name runs one.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/harness-compat.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
T0=$SECONDS
step() { echo "compat: [$((SECONDS - T0))s] $*"; }

python_for() {  # the newest pyenv interpreter of a minor version, else pythonX.Y on PATH
  local candidate
  for candidate in $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$1".*/bin/python3 2>/dev/null \
      | sort -V -r) "$(command -v "python$1" || true)"; do
    if [ -x "$candidate" ]; then echo "$candidate"; return; fi
  done
  echo "compat: no Python $1 found (pyenv or python$1 on PATH)" >&2
  exit 1
}

# pytest exits 5 when it collected nothing: a failure of intent, not a pass.
run_pytest() {
  local rc=0
  "$@" || rc=$?
  if [ "$rc" -eq 5 ]; then echo "compat: nothing was collected by: $*" >&2; exit 1; fi
  if [ "$rc" -ne 0 ]; then echo "compat: failed ($rc): $*" >&2; exit "$rc"; fi
}

step "building the wheel"
python3 -m pip wheel -q --no-deps --progress-bar off "$REPO" -w "$WORK/dist"
WHEEL="$(ls "$WORK"/dist/pytest_llm_harness-*.whl)"
python3 - "$WHEEL" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
for wanted in ("harness/py.typed", "harness/plugin/hooks.py"):
    assert wanted in names, f"{wanted} is not in {sys.argv[1]}"
assert any(n.endswith("licenses/LICENSE") for n in names), "LICENSE is not in the wheel"
print(f"compat: {sys.argv[1].rsplit('/', 1)[-1]}: py.typed and LICENSE present")
PY

FLOORS="$(python3 - "$REPO/pyproject.toml" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
block = re.search(r"^dependencies = \[(.*?)^\]", text, re.S | re.M).group(1)
for spec in re.findall(r'"([^"]+)"', block):
    name, floor = re.fullmatch(r"([A-Za-z0-9_.\-]+)>=([0-9.]+)", spec).groups()
    print(f"{name}=={floor}")
PY
)"

venv() {  # venv NAME PYTHON_VERSION PIP_ARGS...
  local name="$1" version="$2"; shift 2
  local python; python="$(python_for "$version")"
  step "$name: venv with $("$python" -V 2>&1)"
  "$python" -m venv "$WORK/$name"
  "$WORK/$name/bin/python" -m pip install -q --progress-bar off "$WHEEL[test]" "$@"
  "$WORK/$name/bin/python" -m pip list 2>/dev/null \
    | grep -iE '^(openai|httpx2?|pydantic|pytest|pytest-xdist|syrupy|pyyaml) ' | tr -s ' ' \
    | paste -sd ',' | sed "s/^/compat: $name: /"
}

check_installed() {  # what the installed wheel promises, away from the checkout
  local bin="$WORK/$1/bin" empty="$WORK/$1-empty"
  mkdir -p "$empty"
  (cd "$empty" && "$bin/harness" --version && "$bin/python" -m harness --version >/dev/null)
  (cd "$empty" && "$bin/python" - <<'PY'
import importlib.resources, json, sys
import pytest
code = pytest.main(["--co", "-q", "-p", "no:cacheprovider"])
assert code == pytest.ExitCode.NO_TESTS_COLLECTED, code
assert "harness.plugin.hooks" in sys.modules, "the plugin did not load"
where = sys.modules["harness"].__file__ or ""
assert where.startswith(sys.prefix), f"harness imported from {where}, not from the venv"
heavy = [m for m in sys.modules
         if m.split(".")[0] in ("openai", "torch", "transformers")
         or m.startswith(("harness.servers.localmodel", "harness.servers.llamastack", "harness.plugin.session"))]
assert not heavy, f"an empty run imported {heavy[:5]}"
assert importlib.resources.files("harness").joinpath("py.typed").is_file(), "no py.typed"
print(f"compat: plugin from {where}: an empty run imports no SDK, no session, no server")
PY
  )
}

suite() {  # examples, then the unit + integration tiers, from the checkout
  local py="$WORK/$1/bin/python"
  step "$1: example scenarios"
  (cd "$REPO" && run_pytest "$py" -m pytest scenarios -q -p no:cacheprovider)
  step "$1: unit + integration tiers"
  (cd "$REPO" && run_pytest "$py" -m pytest -n 2 -q -p no:cacheprovider tests/unit \
    tests/integration --deselect tests/integration/test_report_browser.py)
}

want() { [ -z "${COMPAT_ONLY:-}" ] || [ "$COMPAT_ONLY" = "$1" ]; }

if want floors; then
  # shellcheck disable=SC2086 # one requirement per word
  venv floors 3.11 $FLOORS
  check_installed floors
  suite floors
fi
if want openai2; then
  venv openai2 3.12 'openai<3'
  suite openai2
fi
if want latest; then
  venv latest 3.13
  suite latest
fi
step "done"
