"""The environment llama-stack runs in: the caller's, cleaned, offline, state in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

# Variables that would change what llama-stack does behind the run.yaml's back: its own
# settings (LLAMA_STACK_PORT, LLAMA_STACK_CONFIG, LLAMA_STACK_TEST_INFERENCE_MODE, ...),
# OpenTelemetry export, OpenAI client defaults and secrets, and another Python's paths.
_STRIPPED_PREFIXES = ("LLAMA_STACK_", "OTEL_", "OPENAI_", "PYTHON")
_STRIPPED = ("VIRTUAL_ENV", "SQLITE_STORE_DIR", "FILES_STORAGE_DIR", "TIKTOKEN_CACHE_DIR")
_LOOPBACK = "127.0.0.1,localhost,::1"


def stack_environment(
    base: Mapping[str, str], *, venv: Path, tiktoken_cache: Path, run_dir: Path
) -> dict[str, str]:
    """``base`` without what would steer llama-stack, plus its venv, offline caches and state.

    Everything llama-stack would keep under ``~/.llama`` or a Hugging Face cache goes under
    ``run_dir``; loopback is added to ``NO_PROXY`` so the upstream is never proxied.
    """
    env = {
        k: v for k, v in base.items() if k not in _STRIPPED and not k.startswith(_STRIPPED_PREFIXES)
    }
    no_proxy = ",".join(x for x in (env.get("NO_PROXY") or env.get("no_proxy"), _LOOPBACK) if x)
    env.update(
        {
            "VIRTUAL_ENV": str(venv),
            "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "TIKTOKEN_CACHE_DIR": str(tiktoken_cache),
            # Anything llama-stack would put under ~/.llama goes here instead.
            "LLAMA_STACK_CONFIG_DIR": str(run_dir / "llama"),
            "SQLITE_STORE_DIR": str(run_dir),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HOME": str(run_dir / "hf"),
            "NO_PROXY": no_proxy,
            "no_proxy": no_proxy,
            "LLAMA_STACK_DISABLE_VERSION_CHECK": "1",
            # Wide log lines: the default 120 columns wraps every record.
            "LLAMA_STACK_LOG_WIDTH": "200",
            "PYTHONUNBUFFERED": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "OMP_NUM_THREADS": "1",
        }
    )
    return env
