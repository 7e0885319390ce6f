"""Paths as shown in messages, and the scenario files under a folder."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from pathlib import Path


def display_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when it is inside it, as shown in messages."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def yaml_files(root: Path) -> list[Path]:
    """The ``*.yaml``/``*.yml`` files under ``root``, sorted, not descending into
    ``__snapshots__`` (one snapshot file per item: listing them all only to drop them is slow).

    Regular files only (symlinks to them included), as pytest collects: a FIFO or a link to a
    device is not a scenario file.
    """
    found: list[Path] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != "__snapshots__"]
        paths = (Path(folder, n) for n in names if n.endswith((".yaml", ".yml")))
        found.extend(p for p in paths if p.is_file())
    return sorted(found)


# pytest's default `norecursedirs`: folders it never enters when collecting.
PYTEST_NORECURSEDIRS = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv")


def skipped_by_pytest(path: Path, root: Path, patterns: Sequence[str]) -> str | None:
    """The folder under ``root`` that keeps pytest from collecting ``path`` (a folder matching
    a ``norecursedirs`` pattern), or None."""
    folder = root
    for part in path.relative_to(root).parts[:-1]:
        folder = folder / part
        if any(fnmatch.fnmatch(part, pattern) for pattern in patterns):
            return str(folder)
    return None
