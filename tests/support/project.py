"""A pytester project with a providers file, scenario files and recordings."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "tests" / "data" / "seeds"


class Project:
    """A pytester project with a providers file, scenario files and recordings."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        self.path = pytester.path

    def providers(self, text: str) -> None:
        self.write("providers.yaml", text)

    def scenario(self, name: str, text: str) -> Path:
        return self.write(f"scenarios/{name}", text)

    def write(self, name: str, text: str) -> Path:
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def with_seed_example(self) -> None:
        """The repo's providers, seed scenarios, their snapshots and their recordings."""
        shutil.copy(REPO / "providers.yaml", self.path / "providers.yaml")
        (self.path / "scenarios").mkdir(exist_ok=True)
        shutil.copy(REPO / "scenarios" / "seeds.yaml", self.path / "scenarios" / "seeds.yaml")
        shutil.copytree(
            REPO / "scenarios" / "__snapshots__" / "seeds",
            self.path / "scenarios" / "__snapshots__" / "seeds",
        )
        shutil.copytree(REPO / "recordings" / "openai", self.path / "recordings" / "openai")

    def recordings(self) -> list[Path]:
        return sorted((self.path / "recordings").glob("*/*.json"))
