"""The build recipe: tokenizer, chat template, network and training settings, and the tier.

All of it goes into the cache key (:func:`harness.servers.localmodel.cache.build_key`).
torch, transformers and tokenizers are not imported here: :func:`missing_requirements`
only looks them up.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any

from harness.errors import ConfigError

RECIPE_VERSION = 1
"""Bump to force a rebuild when something outside the hashed inputs changes."""

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
PLAIN_ADDED_TOKENS = ("<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>")
EOS_TOKEN = "<|im_end|>"
PAD_TOKEN = "<|endoftext|>"
VOCAB_SIZE = 600

# Qwen2's pre-tokenizer split, so the tokenizer behaves the same whichever class loads it.
PRETOKENIZE_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"""
    r"""| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

# ChatML, as Qwen2.5 renders it. Tools are rendered field by field (parameters with sorted
# keys) so chat-completions tools and normalized Responses-API tools render alike; tool-call
# ids are not rendered, since servers and clients change them on every request.
CHAT_TEMPLATE = (
    "{%- set ns = namespace(first=0) -%}"
    "{%- if messages and messages[0].role == 'system' -%}"
    "{%- set ns.first = 1 -%}"
    "{{- '<|im_start|>system\\n' + messages[0].content -}}"
    "{%- if tools %}{{- '\\n\\n' -}}{%- endif -%}"
    "{%- elif tools -%}"
    "{{- '<|im_start|>system\\n' -}}"
    "{%- endif -%}"
    "{%- if tools -%}"
    "{{- '# Tools\\n<tools>' -}}"
    "{%- for tool in tools -%}"
    "{%- set fn = tool.function if tool.function is defined else tool -%}"
    "{{- '\\n{\"name\": ' + (fn.name | tojson)"
    " + ', \"description\": ' + (fn.description | default('') | tojson)"
    " + ', \"parameters\": ' + (fn.parameters | default({}) | tojson(sort_keys=True)) + '}' -}}"
    "{%- endfor -%}"
    "{{- '\\n</tools>' -}}"
    "{%- endif -%}"
    "{%- if ns.first == 1 or tools -%}{{- '<|im_end|>\\n' -}}{%- endif -%}"
    "{%- for message in messages[ns.first:] -%}"
    "{%- if message.role == 'tool' -%}"
    "{{- '<|im_start|>user\\n<tool_response>\\n' + message.content"
    " + '\\n</tool_response><|im_end|>\\n' -}}"
    "{%- elif message.role == 'assistant' -%}"
    "{{- '<|im_start|>assistant\\n' -}}"
    "{%- if message.content -%}{{- message.content -}}{%- endif -%}"
    "{%- if message.tool_calls -%}"
    "{%- for call in message.tool_calls -%}"
    "{%- set fn = call.function if call.function is defined else call -%}"
    "{%- if message.content or not loop.first -%}{{- '\\n' -}}{%- endif -%}"
    "{%- set args = fn.arguments if fn.arguments is string else (fn.arguments | tojson) -%}"
    "{{- '<tool_call>\\n{\"name\": ' + (fn.name | tojson) + ', \"arguments\": ' + args"
    " + '}\\n</tool_call>' -}}"
    "{%- endfor -%}"
    "{%- endif -%}"
    "{{- '<|im_end|>\\n' -}}"
    "{%- else -%}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)

MODEL_CONFIG: Mapping[str, Any] = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 512,
    "tie_word_embeddings": True,
    "rope_theta": 10000.0,
}
"""Qwen2Config fields; the vocabulary and special token ids come from the tokenizer."""

TRAIN_STEPS = 200
LEARNING_RATE = 3e-3

LIBRARIES = ("torch", "transformers", "tokenizers")
_TIER_MODULES = ("torch", "transformers", "tokenizers", "fastapi", "uvicorn")

INSTALL_HINT = "pip install 'pytest-llm-harness[local]' (in a checkout: .ci/install-local-tier.sh)"
"""How to install the local model tier (the ``[local]`` extra) into the current Python."""


def missing_requirements() -> tuple[str, ...]:
    """The modules the local model tier needs that cannot be imported here (empty if none)."""
    return tuple(name for name in _TIER_MODULES if importlib.util.find_spec(name) is None)


def require_tier() -> None:
    """Raise :class:`ConfigError` naming the install when the tier is missing here."""
    if missing_requirements():
        raise ConfigError(f"the local model tier needs torch and transformers: {INSTALL_HINT}")
