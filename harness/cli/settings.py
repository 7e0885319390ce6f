"""Settings of a ``harness`` command: the precedence of a pytest run in the current folder."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from harness.spec.settings import Settings, ini_file_values, resolve_settings

ENV_HELP = "default: $HARNESS_{}, then harness_{} in pytest's ini file, then {}"

# The defaults as :mod:`harness.spec.settings` decides them, for help texts only.
_DEFAULTS = {
    "providers": str(Settings().providers_path),
    "recordings": str(Settings().recordings_dir),
    "models": "all columns",
}


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


def help_for(name: str, what: str) -> str:
    """``what`` and where the setting ``name`` comes from when its option is not given."""
    return f"{what} ({ENV_HELP.format(name.upper(), name, _DEFAULTS[name])})"
