"""Matrix filters and scenario column globs: a typo is an error with a did-you-mean."""

from __future__ import annotations

import pytest

from harness.engine.matrix import Column, columns
from harness.engine.narrowing import check_filter, check_scenario, did_you_mean
from harness.errors import ConfigError, ScenarioError
from harness.spec.providers import Provider
from harness.spec.scenario import Scenario

MATRIX: list[Column] = columns(
    [
        Provider(id="openai", base_url="https://x", models=["gpt-4o"], capabilities=["vision"]),
        Provider(id="local", base_url="https://y", models=["tiny"], capabilities=["tools"]),
    ]
)


def scenario(**fields: object) -> Scenario:
    return Scenario.model_validate({"id": "s", "steps": [{"user": "hi"}], **fields}).model_copy(
        update={"path": "scenarios/s.yaml", "line": 3}
    )


def test_did_you_mean_names_the_closest_choice_or_lists_them() -> None:
    assert did_you_mean("opnai/*", ["openai/*", "local/*"]) == " (did you mean 'openai/*'?)"
    assert did_you_mean("zzz", ["b", "a"]) == " (known: a, b)"


@pytest.mark.parametrize("patterns", [["openai/*"], ["local/tiny", "*/gpt-4o"], ["*"]])
def test_filters_matching_columns_pass(patterns: list[str]) -> None:
    check_filter(MATRIX, patterns, source="--harness-models")


def test_a_filter_pattern_matching_no_column_is_an_error_even_beside_good_ones() -> None:
    with pytest.raises(ConfigError) as info:
        check_filter(MATRIX, ["openai/*", "lokal/*"], source="--harness-models")
    assert str(info.value) == (
        "--harness-models: 'lokal/*' matches no column of the matrix (did you mean 'local/*'?)"
    )


@pytest.mark.parametrize(
    ("fields", "cause"),
    [
        ({"models": ["opneai/*"]}, "models: 'opneai/*' matches no column of the matrix"),
        ({"requires": ["vison"]}, "requires: 'vison' is a capability no provider declares"),
    ],
)
def test_a_scenario_naming_no_column_or_an_undeclared_capability_is_located(
    fields: dict[str, object], cause: str
) -> None:
    with pytest.raises(ScenarioError) as info:
        check_scenario(scenario(**fields), MATRIX)
    assert str(info.value).startswith(f"scenarios/s.yaml:3:1: scenario 's': {cause}")
    assert "did you mean" in str(info.value)


def test_a_capability_some_column_lacks_is_not_an_error() -> None:
    check_scenario(scenario(requires=["tools"], models=["openai/*"]), MATRIX)
