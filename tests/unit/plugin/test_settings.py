"""What a ``harness_settings`` override may change, and the CI guard applied to any settings."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness.plugin.settings import ci_refusal, collection_change
from harness.spec.settings import RecordMode, Settings

COLLECTED = Settings(providers_path=Path("/p/providers.yaml"), recordings_dir=Path("/p/rec"))


def test_the_record_mode_is_no_collection_change() -> None:
    for mode in RecordMode:
        assert collection_change(COLLECTED, replace(COLLECTED, record_mode=mode)) is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"providers_path": Path("/p/other.yaml")},
            "harness_settings override changes providers_path, which collection already used; "
            "set it with --harness-providers or the harness_providers ini",
        ),
        ({"models": ("p/*",)}, "changes models, "),
        ({"recordings_dir": Path("/p/elsewhere")}, "set it with --harness-recordings or "),
    ],
)
def test_a_collection_time_field_changed_is_named(changes: dict[str, Any], expected: str) -> None:
    problem = collection_change(COLLECTED, replace(COLLECTED, **changes))
    assert problem is not None and expected in problem


def test_the_same_folder_spelled_differently_is_no_change(tmp_path: Path) -> None:
    collected = replace(COLLECTED, recordings_dir=tmp_path / "rec")
    given = replace(COLLECTED, recordings_dir=tmp_path / "x" / ".." / "rec")
    assert collection_change(collected, given) is None


def config(*, allow: bool) -> Any:
    return SimpleNamespace(getoption=lambda name, default=None: allow)


@pytest.mark.parametrize("mode", [RecordMode.RECORD_MISSING, RecordMode.REWRITE])
def test_ci_refuses_record_modes_without_the_opt_in(
    monkeypatch: pytest.MonkeyPatch, mode: RecordMode
) -> None:
    monkeypatch.setenv("CI", "true")
    settings = Settings(record_mode=mode)
    refusal = ci_refusal(settings, config(allow=False))
    assert refusal is not None and f"record mode {mode.value!r} refused" in refusal
    assert ci_refusal(settings, config(allow=True)) is None
    monkeypatch.setenv("CI", "false")
    assert ci_refusal(settings, config(allow=False)) is None


@pytest.mark.parametrize("mode", [RecordMode.REPLAY, RecordMode.LIVE])
def test_ci_lets_modes_that_record_nothing_run(
    monkeypatch: pytest.MonkeyPatch, mode: RecordMode
) -> None:
    monkeypatch.setenv("CI", "1")
    assert ci_refusal(Settings(record_mode=mode), config(allow=False)) is None
