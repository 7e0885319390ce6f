"""The llama-stack tier: llama-stack's OpenAI-compatible server over the tiny local model.

:class:`LlamaStackServer` runs ``llama stack run`` from its own virtualenv (Python >= 3.12,
made by ``.ci/install-llama-stack.sh``) on loopback, offline, with inference forwarded to
:class:`harness.servers.localmodel.LocalModelServer`. It serves the Responses and Conversations
APIs, so a ``llama-stack`` provider column can be recorded live in CI.
:mod:`harness.plugin.llamastack_fixtures` is the pytest plugin.

Importing this package imports nothing of llama-stack (it is only run as a subprocess).
"""

from __future__ import annotations

from harness.servers.llamastack.config import APIS, PROVIDER_ID, run_config
from harness.servers.llamastack.install import (
    INSTALL_HINT,
    LLAMA_STACK_VERSION,
    default_tiktoken_cache,
    default_venv,
    missing_install,
)
from harness.servers.llamastack.server import LlamaStackServer, LlamaStackServerError

__all__ = [
    "APIS",
    "INSTALL_HINT",
    "LLAMA_STACK_VERSION",
    "PROVIDER_ID",
    "LlamaStackServer",
    "LlamaStackServerError",
    "default_tiktoken_cache",
    "default_venv",
    "missing_install",
    "run_config",
]
