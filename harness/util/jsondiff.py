"""A short, path-addressed diff of two JSON values, for miss messages."""

from __future__ import annotations

from typing import Any


def diff_paths(old: Any, new: Any, path: str = "") -> list[str]:
    """One line per differing leaf, e.g. ``messages[2].content: 'a' -> 'b'``."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(old.keys() | new.keys(), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in new:
                out.append(f"{sub}: removed (was {_short(old[key])})")
            elif key not in old:
                out.append(f"{sub}: added {_short(new[key])}")
            else:
                out.extend(diff_paths(old[key], new[key], sub))
        return out
    if isinstance(old, list) and isinstance(new, list):
        out = []
        for index in range(max(len(old), len(new))):
            sub = f"{path}[{index}]"
            if index >= len(new):
                out.append(f"{sub}: removed (was {_short(old[index])})")
            elif index >= len(old):
                out.append(f"{sub}: added {_short(new[index])}")
            else:
                out.extend(diff_paths(old[index], new[index], sub))
        return out
    if old == new and type(old) is type(new):
        return []
    return [f"{path or '(body)'}: {_short(old)} -> {_short(new)}"]


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
