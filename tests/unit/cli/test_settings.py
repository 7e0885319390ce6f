"""A command's settings and help texts come from :mod:`harness.spec.settings`, not from copies."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from harness.cli.main import build_parser, main
from harness.cli.settings import help_for, scenario_settings
from harness.errors import ConfigError
from harness.spec.settings import Settings
from harness.util.paths import PYTEST_NORECURSEDIRS


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


def test_scenario_settings_read_pytest_ini_types_as_pytest_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    defaults = scenario_settings()
    assert defaults.dirs == (Path("scenarios"),) and not defaults.images_anywhere
    assert defaults.norecursedirs == PYTEST_NORECURSEDIRS
    (tmp_path / "a b").mkdir()  # named folders must exist (see scenario_dir_paths)
    (tmp_path / "c").mkdir()
    (tmp_path / "tox.ini").write_text(
        "[pytest]\nharness_scenario_dirs =\n  a b\n  c\n"
        "norecursedirs = 'x y' z\nharness_allow_images_outside_rootdir = On\n"
    )
    read = scenario_settings()
    assert read.dirs == (Path("a b"), Path("c"))  # linelist: one folder a line
    assert read.norecursedirs == ("x y", "z")  # args: shell words
    assert read.images_anywhere


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("harness_allow_images_outside_rootdir = maybe", "not a boolean: 'maybe'"),
        ("norecursedirs = 'open", "norecursedirs: cannot read"),
    ],
)
def test_a_bad_ini_value_is_one_clear_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    line: str,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pytest.ini").write_text(f"[pytest]\n{line}\n")
    with pytest.raises(ConfigError, match=message):
        scenario_settings()
    assert main(["list"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
