"""A command's settings and help texts come from :mod:`harness.spec.settings`, not from copies."""

from __future__ import annotations

import argparse

from harness.cli.main import build_parser
from harness.cli.settings import help_for
from harness.spec.settings import Settings


def test_help_names_the_defaults_spec_settings_decides() -> None:
    defaults = Settings()
    assert help_for("providers", "providers file").endswith(f"then {defaults.providers_path})")
    assert help_for("recordings", "folder").endswith(f"then {defaults.recordings_dir})")
    assert "$HARNESS_MODELS, then harness_models in pytest's ini file" in help_for("models", "x")


def test_every_command_help_says_where_its_default_comes_from() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    seen = 0
    for command in commands.choices.values():
        groups = [command] + [
            sub
            for action in command._actions
            if isinstance(action, argparse._SubParsersAction)
            for sub in action.choices.values()
        ]
        for sub in groups:
            for action in sub._actions:
                if action.dest in ("providers", "recordings", "models"):
                    seen += 1
                    assert f"$HARNESS_{action.dest.upper()}" in (action.help or ""), action
    assert seen >= 6
