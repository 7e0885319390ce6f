"""Settings of a ``harness`` command: the precedence of a pytest run in the current folder."""

from __future__ import annotations

import argparse
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from harness.errors import ConfigError
from harness.spec.settings import (
    SCENARIO_DIRS,
    Settings,
    default_text,
    ini_file_options,
    ini_file_values,
    resolve_settings,
    scenario_dir_paths,
)
from harness.util.paths import PYTEST_NORECURSEDIRS

ENV_HELP = "default: $HARNESS_{}, then harness_{} in pytest's ini file, then {}"


def cli_settings(args: argparse.Namespace) -> Settings:
    """option > environment > pytest ini > default (:func:`resolve_settings`, the one place
    this is decided); paths are relative to the current folder, as pytest's rootdir would be
    (and shown as such). A command without an option for a setting starts at the environment."""
    rootdir = Path()
    return resolve_settings(
        option=lambda name: getattr(args, name, None),
        ini=ini_file_values(rootdir),
        env=os.environ,
        rootdir=rootdir,
    )


@dataclass(frozen=True)
class ScenarioSettings:
    """Which scenario files a pytest run in the current folder collects, and how: read from
    the ini file only, as the plugin reads them (they have no option or environment variable)."""

    dirs: tuple[Path, ...]  # harness_scenario_dirs (relative to the current folder)
    norecursedirs: tuple[str, ...]  # folders pytest does not enter
    images_anywhere: bool  # harness_allow_images_outside_rootdir


def scenario_settings() -> ScenarioSettings:
    """:class:`ScenarioSettings` of the ini file pytest would read in the current folder."""
    options = ini_file_options(Path())
    dirs = _lines(options.get("harness_scenario_dirs"), SCENARIO_DIRS)
    images = options.get("harness_allow_images_outside_rootdir")
    scenario_dir_paths(dirs, rootdir=Path())  # a named folder that is not there: an error
    return ScenarioSettings(
        dirs=tuple(Path(d) for d in dirs),
        norecursedirs=_args(options.get("norecursedirs"), PYTEST_NORECURSEDIRS),
        images_anywhere=False if images is None else _bool(str(images)),
    )


def _lines(value: object, default: tuple[str, ...]) -> tuple[str, ...]:
    """An ini ``linelist`` as pytest splits it: lines of a string, or a TOML list as it is."""
    if value is None:
        return default
    items = value if isinstance(value, list) else str(value).split("\n")
    return tuple(line for line in (str(item).strip() for item in items) if line)


def _args(value: object, default: tuple[str, ...]) -> tuple[str, ...]:
    """An ini ``args`` value as pytest splits it: shell words of a string, or a TOML list."""
    if value is None:
        return default
    return tuple(str(item) for item in value) if isinstance(value, list) else _split(str(value))


def _split(text: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(text))
    except ValueError as exc:  # an unclosed quote: pytest fails on it too
        raise ConfigError(f"norecursedirs: cannot read {text!r} ({exc})") from None


def _bool(text: str) -> bool:
    """An ini ``bool`` as pytest reads it (a TOML true arrives as "True")."""
    word = text.strip().lower()
    if word in ("y", "yes", "t", "true", "on", "1"):
        return True
    if word in ("n", "no", "f", "false", "off", "0"):
        return False
    raise ConfigError(f"harness_allow_images_outside_rootdir: not a boolean: {text!r}")


def help_for(name: str, what: str) -> str:
    """``what`` and where the setting ``name`` comes from when its option is not given."""
    default = default_text(name) or "all columns"  # no models filter: every column
    return f"{what} ({ENV_HELP.format(name.upper(), name, default)})"
