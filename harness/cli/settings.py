"""Settings of a ``harness`` command: the precedence of a pytest run in the current folder."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from harness.spec.settings import Settings, ini_file_values, resolve_settings

ENV_HELP = "default: $HARNESS_{}, then harness_{} in pytest's ini file, then {}"


def cli_settings(args: argparse.Namespace) -> Settings:
    """option > environment > pytest ini > default (:func:`resolve_settings`, the one place
    this is decided); paths are relative to the current folder, as pytest's rootdir would be
    (and shown as such)."""
    rootdir = Path()
    return resolve_settings(
        option=lambda name: getattr(args, name, None),
        ini=ini_file_values(rootdir),
        env=os.environ,
        rootdir=rootdir,
    )


def help_for(name: str, default: str, what: str) -> str:
    """``what`` and where its default comes from."""
    return f"{what} ({ENV_HELP.format(name.upper(), name, default)})"
