"""The local provider tier: a real tiny chat model behind a real OpenAI-compatible server.

:func:`build_tiny_model` trains a tiny Qwen2-style model on :data:`TRAINED_DIALOGUES` and
lays it out as a Hugging Face hub-cache snapshot; :class:`LocalModelServer` serves it with
``transformers serve`` on loopback, offline, so a "local" provider column can be recorded
in every CI run with no key and no network. ``python -m harness.servers.localmodel`` builds or
serves it by hand; :mod:`harness.plugin.localmodel_fixtures` is the pytest plugin.

Importing this package needs neither torch nor transformers; building and serving do
(:data:`INSTALL_HINT`).
"""

from __future__ import annotations

from harness.servers.localmodel.build import build_tiny_model
from harness.servers.localmodel.cache import build_key, snapshot_dir
from harness.servers.localmodel.dialogues import (
    ARITHMETIC,
    GREETING,
    IDENTITY,
    MODEL_ID,
    MULTI_TURN,
    TRAINED_DIALOGUES,
    WEATHER_ANSWER,
    WEATHER_CALL,
    WEATHER_TOOL,
    WEATHER_TOOL_CALL,
    WEATHER_TOOL_RESULT,
    DialogueMessage,
    DialogueToolCall,
    TrainedDialogue,
)
from harness.servers.localmodel.recipe import INSTALL_HINT, missing_requirements
from harness.servers.localmodel.server import LocalModelServer, LocalModelServerError

__all__ = [
    "ARITHMETIC",
    "GREETING",
    "IDENTITY",
    "INSTALL_HINT",
    "MODEL_ID",
    "MULTI_TURN",
    "TRAINED_DIALOGUES",
    "WEATHER_ANSWER",
    "WEATHER_CALL",
    "WEATHER_TOOL",
    "WEATHER_TOOL_CALL",
    "WEATHER_TOOL_RESULT",
    "DialogueMessage",
    "DialogueToolCall",
    "LocalModelServer",
    "LocalModelServerError",
    "TrainedDialogue",
    "build_key",
    "build_tiny_model",
    "missing_requirements",
    "snapshot_dir",
]
