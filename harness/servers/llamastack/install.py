"""Where the llama-stack install lives, and whether it is usable.

``.ci/install-llama-stack.sh`` makes a dedicated virtualenv (llama-stack needs Python >= 3.12)
and an offline tiktoken cache; both paths can be moved with environment variables.
"""

from __future__ import annotations

import os
from pathlib import Path

LLAMA_STACK_VERSION = "0.7.3"
"""The llama-stack release ``.ci/install-llama-stack.sh`` installs and this module targets."""

INSTALL_HINT = "run .ci/install-llama-stack.sh (makes .harness/llama-stack-venv, ~45 s, ~820 MB)"

CL100K_CACHE_NAME = "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"
"""tiktoken's cache file name for cl100k_base: the sha1 of its download URL."""

VENV_ENV = "HARNESS_LLAMA_STACK_VENV"
"""Environment variable naming the llama-stack venv (default ``.harness/llama-stack-venv``)."""

TIKTOKEN_ENV = "HARNESS_TIKTOKEN_CACHE"
"""Environment variable naming the tiktoken cache dir (default ``.harness/tiktoken``)."""


def llama_executable(venv: Path) -> Path:
    """The ``llama`` console script of the llama-stack venv."""
    return Path(venv) / "bin" / "llama"


def default_venv(root: Path) -> Path:
    """The llama-stack venv: ``$HARNESS_LLAMA_STACK_VENV``, else ``.harness/llama-stack-venv``."""
    configured = os.environ.get(VENV_ENV)
    return Path(configured).absolute() if configured else root / ".harness" / "llama-stack-venv"


def default_tiktoken_cache(root: Path) -> Path:
    """The tiktoken cache: ``$HARNESS_TIKTOKEN_CACHE``, else ``.harness/tiktoken`` under root."""
    configured = os.environ.get(TIKTOKEN_ENV)
    return Path(configured).absolute() if configured else root / ".harness" / "tiktoken"


def missing_install(venv: Path, tiktoken_cache: Path) -> str | None:
    """Why the llama-stack install at ``venv``/``tiktoken_cache`` is unusable (``None`` if fine)."""
    llama = llama_executable(venv)
    if not (llama.is_file() and os.access(llama, os.X_OK)):
        return f"no llama-stack venv at {venv} ({llama} missing)"
    if not (Path(tiktoken_cache) / CL100K_CACHE_NAME).is_file():
        return f"no tiktoken cl100k_base in {tiktoken_cache}"
    return None
