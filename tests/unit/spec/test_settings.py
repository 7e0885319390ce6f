"""Tests for harness.spec.settings: settings precedence (option > env > ini > default)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.spec.settings import RecordMode, Settings, resolve_settings, scenario_dir_paths

ROOT = Path("/project/root")

# setting name -> (environment variable, Settings attribute)
NAMES = {
    "record_mode": "HARNESS_RECORD_MODE",
    "providers": "HARNESS_PROVIDERS",
    "recordings": "HARNESS_RECORDINGS",
    "models": "HARNESS_MODELS",
}

# For each setting: a value per source, and how each appears in Settings.
VALUES: dict[str, dict[str, str]] = {
    "record_mode": {"option": "live", "env": "rewrite", "ini": "record-missing"},
    "providers": {"option": "opt.yaml", "env": "env.yaml", "ini": "ini.yaml"},
    "recordings": {"option": "opt-rec", "env": "env-rec", "ini": "ini-rec"},
    "models": {"option": "opt/*", "env": "env/*", "ini": "ini/*"},
}


def lookup(values: Mapping[str, str | None]) -> Callable[[str], str | None]:
    return lambda name: values.get(name)


def resolve(
    option: Mapping[str, str | None] | None = None,
    env: Mapping[str, str] | None = None,
    ini: Mapping[str, str | None] | None = None,
) -> Settings:
    return resolve_settings(
        option=lookup(option or {}), ini=lookup(ini or {}), env=env or {}, rootdir=ROOT
    )


def shown(settings: Settings, name: str) -> object:
    """The resolved value of setting ``name`` in the form its sources give it."""
    if name == "record_mode":
        return settings.record_mode.value
    if name == "providers":
        return settings.providers_path
    if name == "recordings":
        return settings.recordings_dir
    return ",".join(settings.models)


def expected(name: str, value: str) -> object:
    return ROOT / value if name in ("providers", "recordings") else value


def test_defaults() -> None:
    settings = resolve()
    assert settings == Settings(
        record_mode=RecordMode.REPLAY,
        providers_path=ROOT / "providers.yaml",
        recordings_dir=ROOT / "recordings",
        models=(),
    )


@pytest.mark.parametrize("name", list(NAMES))
def test_option_beats_env_beats_ini(name: str) -> None:
    values = VALUES[name]
    env_name = NAMES[name]
    everything = resolve(
        option={name: values["option"]}, env={env_name: values["env"]}, ini={name: values["ini"]}
    )
    assert shown(everything, name) == expected(name, values["option"])
    no_option = resolve(env={env_name: values["env"]}, ini={name: values["ini"]})
    assert shown(no_option, name) == expected(name, values["env"])
    only_ini = resolve(ini={name: values["ini"]})
    assert shown(only_ini, name) == expected(name, values["ini"])


@pytest.mark.parametrize("name", list(NAMES))
def test_empty_values_fall_through(name: str) -> None:
    values = VALUES[name]
    env_name = NAMES[name]
    settings = resolve(option={name: ""}, env={env_name: ""}, ini={name: values["ini"]})
    assert shown(settings, name) == expected(name, values["ini"])
    settings = resolve(option={name: None}, env={env_name: values["env"]}, ini={name: ""})
    assert shown(settings, name) == expected(name, values["env"])
    assert shown(resolve(option={name: ""}, ini={name: ""}), name) == shown(resolve(), name)


def test_other_settings_do_not_leak_between_names() -> None:
    settings = resolve(option={"providers": "p.yaml"}, env={"HARNESS_RECORDINGS": "r"})
    assert settings.providers_path == ROOT / "p.yaml"
    assert settings.recordings_dir == ROOT / "r"
    assert settings.record_mode is RecordMode.REPLAY
    assert settings.models == ()


def test_unrelated_environment_is_ignored() -> None:
    settings = resolve(env={"RECORD_MODE": "live", "harness_record_mode": "live"})
    assert settings.record_mode is RecordMode.REPLAY


def test_absolute_paths_stay_absolute(tmp_path: Path) -> None:
    settings = resolve(option={"providers": str(tmp_path / "p.yaml"), "recordings": str(tmp_path)})
    assert settings.providers_path == tmp_path / "p.yaml"
    assert settings.recordings_dir == tmp_path


def test_models_are_split_on_commas_and_stripped() -> None:
    settings = resolve(env={"HARNESS_MODELS": " openai/gpt-4o , local/*,, "})
    assert settings.models == ("openai/gpt-4o", "local/*")


@pytest.mark.parametrize("mode", list(RecordMode))
def test_every_record_mode_resolves(mode: RecordMode) -> None:
    assert resolve(option={"record_mode": mode.value}).record_mode is mode


@pytest.mark.parametrize("source", ["option", "env", "ini"])
def test_unknown_record_mode_lists_the_choices(source: str) -> None:
    with pytest.raises(ConfigError) as info:
        if source == "option":
            resolve(option={"record_mode": "sometimes"})
        elif source == "env":
            resolve(env={"HARNESS_RECORD_MODE": "sometimes"})
        else:
            resolve(ini={"record_mode": "sometimes"})
    assert str(info.value) == (
        "unknown record mode 'sometimes'; choose one of: replay, record-missing, rewrite, live"
    )


def test_record_mode_is_case_sensitive() -> None:
    with pytest.raises(ConfigError, match="unknown record mode 'REPLAY'"):
        resolve(option={"record_mode": "REPLAY"})


@pytest.mark.parametrize(
    ("mode", "records", "reaches_network"),
    [
        (RecordMode.REPLAY, False, False),
        (RecordMode.RECORD_MISSING, True, True),
        (RecordMode.REWRITE, True, True),
        (RecordMode.LIVE, False, True),
    ],
)
def test_record_mode_properties(mode: RecordMode, records: bool, reaches_network: bool) -> None:
    assert mode.records is records
    assert mode.reaches_network is reaches_network


def test_record_mode_values() -> None:
    assert [m.value for m in RecordMode] == ["replay", "record-missing", "rewrite", "live"]
    assert RecordMode("record-missing") is RecordMode.RECORD_MISSING
    assert isinstance(RecordMode.LIVE, str)  # a str enum
    assert f"{RecordMode.LIVE.value}" == "live"


def test_scenario_dirs_resolve_under_the_rootdir(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert scenario_dir_paths(["a", "b"], rootdir=tmp_path) == [tmp_path / "a", tmp_path / "b"]


def test_a_named_scenario_dir_that_is_not_there_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    with pytest.raises(ConfigError, match=r"'a b' is not a folder under the rootdir"):
        scenario_dir_paths(["a b"], rootdir=tmp_path)


def test_the_default_scenario_dir_may_be_absent(tmp_path: Path) -> None:
    assert scenario_dir_paths(["scenarios"], rootdir=tmp_path) == [tmp_path / "scenarios"]
