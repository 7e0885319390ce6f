"""The provider matrix: columns, and the cases (scenario x column x stream variant) it yields."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from harness.spec.providers import Provider
from harness.spec.scenario import Scenario

StreamVariant = Literal["stream", "nostream"]


@dataclass(frozen=True)
class Column:
    """One provider/model pair of the matrix.

    ``model`` names the column (``provider/model``: test ids, snapshot files, reports);
    ``api_model`` is the model id sent on the wire, when the provider's own id differs
    (deployment names, ``org/model`` ids).
    """

    provider: Provider
    model: str
    capabilities: frozenset[str]
    api_model: str = ""  # empty: the same as ``model``

    def __post_init__(self) -> None:
        if not self.api_model:
            object.__setattr__(self, "api_model", self.model)

    @property
    def id(self) -> str:
        """``provider/model``, e.g. ``openai/gpt-4o``."""
        return f"{self.provider.id}/{self.model}"


@dataclass(frozen=True)
class Case:
    """A scenario run against one column (and one stream variant when it streams both ways)."""

    scenario: Scenario
    column: Column
    variant: StreamVariant | None = None
    skip_reason: str | None = None
    xfail_reason: str | None = None  # a known departure of this column (strict xfail)

    @property
    def id(self) -> str:
        """The pytest parameter id: ``txt=<provider>/<model>`` plus ``-stream``/``-nostream``."""
        suffix = f"-{self.variant}" if self.variant else ""
        return f"txt={self.column.id}{suffix}"

    def stream_for(self, setting: bool | str | None) -> bool | None:
        """Resolve a step's ``stream`` setting (``both`` follows this case's variant)."""
        if setting is None:
            setting = self.scenario.stream
        if setting == "both":
            return self.variant == "stream"
        return None if setting is None else bool(setting)


def columns(providers: Iterable[Provider]) -> list[Column]:
    """Every provider/model pair, in file order."""
    return [
        Column(
            provider=p, model=m.name, capabilities=frozenset(m.capabilities), api_model=m.api_model
        )
        for p in providers
        for m in p.model_specs()
    ]


def select_columns(all_columns: Sequence[Column], patterns: Sequence[str]) -> list[Column]:
    """Columns whose ``provider/model`` id matches any of the glob ``patterns`` (all if none)."""
    if not patterns:
        return list(all_columns)
    return [c for c in all_columns if any(fnmatch.fnmatchcase(c.id, p) for p in patterns)]


def cases_for(scenario: Scenario, matrix: Sequence[Column]) -> list[Case]:
    """The cases of one scenario: its columns (``models`` filter) times its stream variants."""
    variants: tuple[StreamVariant | None, ...] = (
        ("stream", "nostream") if scenario.streams_both_ways else (None,)
    )
    out: list[Case] = []
    for column in select_columns(matrix, scenario.models):
        missing = sorted(set(scenario.requires) - column.capabilities)
        reason = (
            f"{column.id} lacks capabilit{'ies' if len(missing) > 1 else 'y'} "
            f"{', '.join(missing)} required by scenario {scenario.id!r}"
            if missing
            else None
        )
        xfail = next(
            (why for glob, why in scenario.xfail.items() if fnmatch.fnmatchcase(column.id, glob)),
            None,
        )
        out.extend(
            Case(
                scenario=scenario, column=column, variant=v, skip_reason=reason, xfail_reason=xfail
            )
            for v in variants
        )
    return out
