"""The run's settings from pytest's options, ini and environment, checked once at configure time."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.spec.settings import Settings, resolve_settings


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
    # Recording in CI is almost always a mistake: it needs an explicit opt-in.
    in_ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    allowed = config.getoption("harness_allow_record_in_ci", False)
    if in_ci and settings.record_mode.records and not allowed:
        raise pytest.UsageError(
            f"record mode {settings.record_mode.value!r} refused because CI is set; "
            "pass --harness-allow-record-in-ci if this CI job is meant to record"
        )
    return settings


def scenario_dirs(config: pytest.Config) -> list[Path]:
    """The folders whose YAML files are scenario files (``harness_scenario_dirs``)."""
    return [(config.rootpath / d).resolve() for d in config.getini("harness_scenario_dirs")]
