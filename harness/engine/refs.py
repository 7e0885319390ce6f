"""``${name.path}`` references to objects saved by earlier steps (``save_as: name``).

Server ids change on every run, so scenarios never hold them literally: a step saves what it
got back, and later steps refer to it, e.g. ``${first.id}`` or ``${listing.data[0].id}``.
"""

from __future__ import annotations

import re
from typing import Any

from harness.errors import ExpectationError

_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*)\}")
_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def resolve(value: Any, saved: dict[str, Any]) -> Any:
    """``value`` with every reference replaced; a string that is one reference keeps its type."""
    if isinstance(value, str):
        whole = _REF.fullmatch(value)
        if whole:
            return _lookup(whole, saved)
        return _REF.sub(lambda m: str(_lookup(m, saved)), value)
    if isinstance(value, list):
        return [resolve(item, saved) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, saved) for key, item in value.items()}
    return value


def _lookup(match: re.Match[str], saved: dict[str, Any]) -> Any:
    name, path = match.group(1), match.group(2)
    if name not in saved:
        known = ", ".join(sorted(saved)) or "none yet"
        raise ExpectationError(f"{match.group(0)}: nothing saved as {name!r} (saved: {known})")
    node = saved[name]
    for key, index in _PART.findall(path):
        try:
            node = node[int(index)] if index else node[key]
        except (KeyError, IndexError, TypeError):
            raise ExpectationError(
                f"{match.group(0)}: {name!r} has no {key or f'[{index}]'!s} "
                f"(it is {str(node)[:120]})"
            ) from None
    return node
