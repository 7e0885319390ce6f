"""Where the llama-stack install is looked for, and what is missing from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.servers.llamastack.install import (
    CL100K_CACHE_NAME,
    TIKTOKEN_ENV,
    VENV_ENV,
    default_tiktoken_cache,
    default_venv,
    llama_executable,
    missing_install,
)


def test_defaults_are_under_the_root_unless_the_environment_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(VENV_ENV, raising=False)
    monkeypatch.delenv(TIKTOKEN_ENV, raising=False)
    assert default_venv(tmp_path) == tmp_path / ".harness" / "llama-stack-venv"
    assert default_tiktoken_cache(tmp_path) == tmp_path / ".harness" / "tiktoken"
    monkeypatch.setenv(VENV_ENV, "rel/venv")
    monkeypatch.setenv(TIKTOKEN_ENV, str(tmp_path / "tk"))
    assert default_venv(tmp_path) == Path("rel/venv").absolute()
    assert default_tiktoken_cache(tmp_path) == tmp_path / "tk"


def test_missing_install_names_what_is_missing(tmp_path: Path) -> None:
    venv, cache = tmp_path / "venv", tmp_path / "tk"
    assert missing_install(venv, cache) == (
        f"no llama-stack venv at {venv} ({venv / 'bin' / 'llama'} missing)"
    )
    llama = llama_executable(venv)
    llama.parent.mkdir(parents=True)
    llama.write_text("#!/bin/sh\n")
    assert missing_install(venv, cache) is not None  # not executable
    llama.chmod(0o755)
    assert missing_install(venv, cache) == f"no tiktoken cl100k_base in {cache}"
    cache.mkdir()
    (cache / CL100K_CACHE_NAME).write_text("")
    assert missing_install(venv, cache) is None
