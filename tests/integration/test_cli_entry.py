"""The ``harness`` command as installed: ``--version``, ``python -m harness``, a light
``--help``, and a one-line message when a command needs the ``[local]`` extra."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

# Parse `harness --help` in a fresh interpreter, then print the modules that were imported.
HELP = """
import json, sys
from harness.cli.main import main
try:
    main(["--help"])
except SystemExit:
    pass
print("MODULES=" + json.dumps(sorted(sys.modules)))
"""

# `harness record --local-server` in an interpreter where torch cannot be imported, whatever
# this environment has installed (a None entry in sys.modules makes find_spec say "absent").
NO_TORCH = """
import sys
sys.modules["torch"] = None
from harness.cli.main import main
sys.exit(main(["record", "--local-server", "--hf-home", sys.argv[1]]))
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_version_names_the_installed_distribution(tmp_path: Path) -> None:
    result = run("-m", "harness", "--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"harness {importlib.metadata.version('pytest-llm-harness')}\n"


def test_python_m_harness_is_the_command(tmp_path: Path) -> None:
    result = run("-m", "harness", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for command in ("recordings", "record", "list", "validate", "schema", "report"):
        assert command in result.stdout


def test_help_imports_neither_the_sdk_nor_pydantic(tmp_path: Path) -> None:
    result = run("-c", HELP, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "usage: harness" in result.stdout
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("MODULES=")]
    modules = json.loads(line.removeprefix("MODULES="))
    assert "harness.cli.inspect" in modules  # every command's parser was built
    servers = ("harness.servers.localmodel", "harness.servers.llamastack")
    heavy = ("openai", "pydantic", "yaml", "syrupy", *servers)
    assert [m for m in modules if m.split(".")[0] in heavy or m.startswith(heavy)] == []


def test_local_server_without_the_local_extra_is_one_clear_line(tmp_path: Path) -> None:
    result = run("-c", NO_TORCH, str(tmp_path / "hf"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("harness: error: the local model tier needs torch")
    assert "pytest-llm-harness[local]" in result.stderr
    assert not (tmp_path / "hf").exists()  # nothing was built
