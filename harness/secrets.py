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
        """``field.path: what`` for every secret in ``document`` (strings, lists, dicts)."""
        values = self._values()
        found: list[str] = []
        for path, text in _strings(document, ""):
            for name, value in values:
                if value in text:
                    found.append(f"{path or '(document)'}: the value of ${name}")
            match = KEY_SHAPES.search(text)
            if match:
                found.append(f"{path or '(document)'}: a key-shaped string ({match.group()[:6]}…)")
        return found

    def check(self, document: Any, *, target: str) -> None:
        """Raise :class:`SecretLeakError` (and write nothing) if ``document`` holds a secret."""
        found = self.findings(document)
        if found:
            raise SecretLeakError(
                f"refusing to write {target}: it would contain a secret at {found[0]}"
                + (f" (and {len(found) - 1} more)" if len(found) > 1 else "")
            )


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
