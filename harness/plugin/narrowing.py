"""Matrix filters and scenario globs checked before collection: a typo is a usage error."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from harness.engine.matrix import Column
from harness.engine.narrowing import check_filter, check_scenario
from harness.errors import ConfigError, LocatedError, ScenarioError
from harness.spec.load import load_scenarios
from harness.util.paths import display_path, skipped_by_pytest, yaml_files


def precheck(config: pytest.Config, *, dirs: list[Path], all_columns: Sequence[Column]) -> None:
    """Run :func:`check_scenario` on the scenario files pytest will collect, before collection
    (for the xdist controller, which collects nothing). Broken files are left to collection."""
    skip = [str(p) for p in config.getini("norecursedirs")]
    for arg in config.args:
        path = config.invocation_params.dir / str(arg).split("::")[0]
        named = path.is_file()
        for file in [path] if named else yaml_files(path) if path.is_dir() else []:
            inside = any(file.resolve().is_relative_to(d) for d in dirs)
            if not (named or (inside and not skipped_by_pytest(file, path, skip))):
                continue
            try:
                scenarios = load_scenarios(file, display=display_path(file, config.rootpath))
            except LocatedError:
                continue
            for scenario in scenarios:
                check_scenario(scenario, all_columns)


def usage_errors(
    columns: Callable[[], Sequence[Column]],
    *,
    patterns: Sequence[str] = (),
    config: pytest.Config | None = None,
    dirs: list[Path] | None = None,
) -> None:
    """Raise :class:`pytest.UsageError` for a filter ``patterns`` matching no column, and
    (given ``config``) for a scenario pytest will collect naming no column or an undeclared
    capability. An unusable providers file is left to collection to report."""
    try:
        all_columns = columns()
    except LocatedError:
        return
    try:
        check_filter(all_columns, patterns, source="--harness-models")
        if config is not None:
            precheck(config, dirs=dirs or [], all_columns=all_columns)
    except (ConfigError, ScenarioError) as exc:
        raise pytest.UsageError(str(exc)) from None
