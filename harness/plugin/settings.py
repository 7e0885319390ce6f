"""The run's settings from pytest's options, ini and environment, checked once at configure time,
and the checks a ``harness_settings`` override meets when the session adopts it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.spec.settings import Settings, resolve_settings, scenario_dir_paths

# What collection reads before any fixture exists, and where the user sets it instead.
COLLECTION_FIELDS = {
    "providers_path": "providers",  # the matrix every item is parametrized over
    "models": "models",  # the matrix filter that deselects items
    "recordings_dir": "recordings",  # the folder pytest does not walk
}


def checked_settings(config: pytest.Config) -> Settings:
    """The run's settings; a :class:`pytest.UsageError` for a bad value or a refused record
    mode."""
    from harness.plugin.preflight import check_paths  # stdlib and small harness modules only

    try:
        settings = resolve_settings(
            option=lambda name: config.getoption(f"harness_{name}", None),
            ini=lambda name: str(config.getini(f"harness_{name}")),
            env=os.environ,
            rootdir=config.rootpath,
        )
        reports = [Path(p) for p in config.getoption("harness_report", None) or []]
        check_paths(settings=settings, reports=reports, rootdir=config.rootpath)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    refusal = ci_refusal(settings, config)
    if refusal is not None:
        raise pytest.UsageError(refusal)
    return settings


def ci_refusal(settings: Settings, config: pytest.Config) -> str | None:
    """Why ``settings`` may not run here (None: they may). Recording in CI is almost always a
    mistake: it needs an explicit opt-in."""
    in_ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    allowed = config.getoption("harness_allow_record_in_ci", False)
    if in_ci and settings.record_mode.records and not allowed:
        return (
            f"record mode {settings.record_mode.value!r} refused because CI is set; "
            "pass --harness-allow-record-in-ci if this CI job is meant to record"
        )
    return None


def collection_change(collected: Settings, given: Settings) -> str | None:
    """Why ``given`` (a ``harness_settings`` override) cannot be used by a run collected with
    ``collected``: it changes a field collection already used (None: it changes none)."""
    for field, name in COLLECTION_FIELDS.items():
        before, after = getattr(collected, field), getattr(given, field)
        if isinstance(before, Path) and isinstance(after, Path):
            before, after = before.resolve(), after.resolve()  # the same folder, however given
        if before != after:
            return (
                f"harness_settings override changes {field}, which collection already used; "
                f"set it with --harness-{name} or the harness_{name} ini"
            )
    return None


def scenario_dirs(config: pytest.Config) -> list[Path]:
    """The folders whose YAML files are scenario files (``harness_scenario_dirs``); a named
    folder that is not there is a usage error (see :func:`scenario_dir_paths`)."""
    names = [str(d) for d in config.getini("harness_scenario_dirs")]
    try:
        return scenario_dir_paths(names, rootdir=config.rootpath)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
