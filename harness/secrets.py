"""Keeping secrets out of everything harness writes: recordings, snapshots and reports.

Before a write, the document is scanned for the values of the configured ``api_key_env``
variables and for key-shaped strings; a hit refuses the write and names the field.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from .errors import SecretLeakError

# Shapes of credentials that must never be written, whoever's they are.
KEY_SHAPES = re.compile(
    r"\bsk-[A-Za-z0-9_\-]{16,}"  # OpenAI-style secret keys (sk-..., sk-proj-...)
    r"|\bBearer\s+[A-Za-z0-9._~+/\-]{16,}=*"  # bearer tokens in headers or text
)
_MIN_SECRET_LENGTH = 8  # shorter env values ("none", "x") are not secrets worth scanning for


class SecretScanner:
    """Finds secrets in JSON-like documents and text."""

    def __init__(self, *, env_names: tuple[str, ...] = (), env: Mapping[str, str] | None = None):
        self._env = os.environ if env is None else env
        self._names: set[str] = set(env_names)

    def watch(self, env_name: str | None) -> None:
        """Also scan for the value of the environment variable ``env_name``."""
        if env_name:
            self._names.add(env_name)

    def _values(self) -> list[tuple[str, str]]:
        pairs = [(name, self._env.get(name, "")) for name in sorted(self._names)]
        return [(name, value) for name, value in pairs if len(value) >= _MIN_SECRET_LENGTH]

    def findings(self, document: Any) -> list[str]:
        """``field.path: what`` for every secret in ``document`` (strings, lists, dicts).

        Streamed text is also scanned joined up: a provider streams a key in pieces that no
        single chunk holds whole. Paths are redacted: a secret may be a mapping key.
        """
        values = self._values()
        found: list[tuple[str, str]] = []  # (path, what)
        for path, text in [*_strings(document, ""), *_joined_streams(document)]:
            shown = self._redact(path, values) or "(document)"
            whats = [f"the value of ${name}" for name, value in values if value in text]
            match = KEY_SHAPES.search(text)
            if match:
                whats.append(f"a key-shaped string ({match.group()[:6]}…)")
            base = shown.split(" (streamed ", 1)[0]
            for what in whats:
                # A joined stream repeats what one of its chunks already showed whole.
                if " (streamed " in shown and any(
                    p.startswith(base) and w == what for p, w in found
                ):
                    continue
                found.append((shown, what))
        return [f"{path}: {what}" for path, what in dict.fromkeys(found)]

    @staticmethod
    def _redact(path: str, values: list[tuple[str, str]]) -> str:
        for _name, value in values:
            path = path.replace(value, "<redacted>")
        return KEY_SHAPES.sub("<redacted>", path)

    def check(self, document: Any, *, target: str) -> None:
        """Raise :class:`SecretLeakError` (and write nothing) if ``document`` holds a secret."""
        found = self.findings(document)
        if found:
            raise SecretLeakError(
                f"refusing to write {target}: it would contain a secret at {found[0]}"
                + (f" (and {len(found) - 1} more)" if len(found) > 1 else "")
            )


def _joined_streams(document: Any) -> Iterator[tuple[str, str]]:
    """The text of every streamed response body in ``document``, joined per stream and field.

    Chat chunks: content, refusal and tool-call arguments per choice; Responses events: every
    ``delta`` per item.
    """
    for path, body in _stream_bodies(document, ""):
        joined: dict[str, list[str]] = {}
        for item in body:
            data = item.get("__data__") if isinstance(item, dict) else None
            if not isinstance(data, dict):
                continue
            for choice in data.get("choices") or []:
                delta = choice.get("delta") if isinstance(choice, dict) else None
                if not isinstance(delta, dict):
                    continue
                index = choice.get("index", 0)
                for field in ("content", "refusal"):
                    if isinstance(delta.get(field), str):
                        joined.setdefault(f"choices[{index}].{field}", []).append(delta[field])
                for call in delta.get("tool_calls") or []:
                    arguments = ((call or {}).get("function") or {}).get("arguments")
                    if isinstance(arguments, str):
                        key = f"choices[{index}].tool_calls[{call.get('index', 0)}].arguments"
                        joined.setdefault(key, []).append(arguments)
            if isinstance(data.get("delta"), str):
                joined.setdefault(f"{data.get('item_id', '')}.delta", []).append(data["delta"])
        for field, pieces in joined.items():
            yield f"{path} (streamed {field}, joined)", "".join(pieces)


def _stream_bodies(node: Any, path: str) -> Iterator[tuple[str, list[Any]]]:
    if isinstance(node, dict):
        if node.get("is_streaming") is True and isinstance(node.get("body"), list):
            yield f"{path}.body" if path else "body", node["body"]
        for key, value in node.items():
            yield from _stream_bodies(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _stream_bodies(value, f"{path}[{index}]")


def _strings(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            sub = f"{path}.{key}" if path else str(key)
            yield from _strings(str(key), sub)
            yield from _strings(value, sub)
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            yield from _strings(value, f"{path}[{index}]")
