"""Tests for harness.engine.matrix: columns, column selection, and the cases of a scenario."""

from __future__ import annotations

from typing import Any

import pytest

from harness.engine.matrix import Case, Column, cases_for, columns, select_columns
from harness.spec.providers import ModelSpec, Provider
from harness.spec.scenario import Scenario, Step

OPENAI = Provider(
    id="openai",
    base_url="https://api.openai.com/v1",
    capabilities=["tools"],
    models=["gpt-4o", ModelSpec(name="gpt-4o-mini", capabilities=["vision"])],
)
LOCAL = Provider(id="local", base_url="http://localhost:8000/v1", models=["llama-3", "qwen"])


def scenario(**fields: Any) -> Scenario:
    fields.setdefault("id", "s")
    fields.setdefault("steps", [Step(user="hi")])
    return Scenario(**fields)


def matrix() -> list[Column]:
    return columns([OPENAI, LOCAL])


def test_columns_in_file_order_with_merged_capabilities() -> None:
    cols = matrix()
    assert [c.id for c in cols] == [
        "openai/gpt-4o",
        "openai/gpt-4o-mini",
        "local/llama-3",
        "local/qwen",
    ]
    assert cols[0].provider is OPENAI
    assert cols[0].model == "gpt-4o"
    assert cols[0].capabilities == frozenset({"tools"})
    assert cols[1].capabilities == frozenset({"tools", "vision"})
    assert cols[2].capabilities == frozenset()


def test_columns_of_nothing() -> None:
    assert columns([]) == []


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        ([], ["openai/gpt-4o", "openai/gpt-4o-mini", "local/llama-3", "local/qwen"]),
        (["openai/*"], ["openai/gpt-4o", "openai/gpt-4o-mini"]),
        (["openai/gpt-4o"], ["openai/gpt-4o"]),
        (["*/gpt-4o*"], ["openai/gpt-4o", "openai/gpt-4o-mini"]),
        (["local/*", "openai/gpt-4o"], ["openai/gpt-4o", "local/llama-3", "local/qwen"]),
        (["*llama*"], ["local/llama-3"]),
        (["local/q?en"], ["local/qwen"]),
        (["nobody/*"], []),
        (["OPENAI/*"], []),  # case-sensitive
    ],
)
def test_select_columns_by_glob(patterns: list[str], expected: list[str]) -> None:
    assert [c.id for c in select_columns(matrix(), patterns)] == expected


def test_select_columns_returns_a_new_list() -> None:
    cols = matrix()
    selected = select_columns(cols, [])
    assert selected == cols
    assert selected is not cols


def test_cases_for_every_column_without_filters() -> None:
    cases = cases_for(scenario(), matrix())
    assert [c.id for c in cases] == [
        "txt=openai/gpt-4o",
        "txt=openai/gpt-4o-mini",
        "txt=local/llama-3",
        "txt=local/qwen",
    ]
    assert all(c.variant is None and c.skip_reason is None for c in cases)


def test_cases_for_with_models_patterns() -> None:
    cases = cases_for(scenario(models=["local/*"]), matrix())
    assert [c.column.id for c in cases] == ["local/llama-3", "local/qwen"]
    assert cases_for(scenario(models=["none/*"]), matrix()) == []


def test_requires_skips_columns_naming_the_missing_capability() -> None:
    cases = cases_for(scenario(id="look", requires=["vision"]), matrix())
    reasons = {c.column.id: c.skip_reason for c in cases}
    assert reasons["openai/gpt-4o-mini"] is None
    assert reasons["openai/gpt-4o"] == (
        "openai/gpt-4o lacks capability vision required by scenario 'look'"
    )
    assert reasons["local/qwen"] == "local/qwen lacks capability vision required by scenario 'look'"


def test_requires_several_missing_capabilities_are_listed() -> None:
    cases = cases_for(scenario(id="x", requires=["vision", "tools", "audio"]), matrix())
    by_id = {c.column.id: c.skip_reason for c in cases}
    assert by_id["local/llama-3"] == (
        "local/llama-3 lacks capabilities audio, tools, vision required by scenario 'x'"
    )
    assert by_id["openai/gpt-4o-mini"] == (
        "openai/gpt-4o-mini lacks capability audio required by scenario 'x'"
    )


def test_stream_both_gives_two_cases_per_column() -> None:
    cases = cases_for(scenario(stream="both", models=["openai/gpt-4o"]), matrix())
    assert [c.id for c in cases] == ["txt=openai/gpt-4o-stream", "txt=openai/gpt-4o-nostream"]
    assert [c.variant for c in cases] == ["stream", "nostream"]


def test_stream_both_on_one_step_also_gives_two_cases() -> None:
    steps = [Step(user="a"), Step(user="b", stream="both")]
    cases = cases_for(scenario(steps=steps, models=["local/qwen"]), matrix())
    assert [c.id for c in cases] == ["txt=local/qwen-stream", "txt=local/qwen-nostream"]


def test_skip_reason_applies_to_both_variants() -> None:
    cases = cases_for(scenario(stream="both", requires=["vision"], models=["local/*"]), matrix())
    assert len(cases) == 4
    assert all(c.skip_reason and "lacks capability vision" in c.skip_reason for c in cases)


def case(stream: bool | str | None = None, variant: Any = None) -> Case:
    return Case(scenario=scenario(stream=stream), column=matrix()[0], variant=variant)


@pytest.mark.parametrize(
    ("scenario_stream", "variant", "step_setting", "expected"),
    [
        (None, None, None, None),  # nothing said: stream is not sent
        (None, None, True, True),
        (None, None, False, False),
        (True, None, None, True),  # the scenario's setting when the step says nothing
        (False, None, None, False),
        (True, None, False, False),  # the step wins
        ("both", "stream", None, True),
        ("both", "nostream", None, False),
        ("both", "stream", False, False),
        ("both", "nostream", True, True),
        (None, "stream", "both", True),
        (None, "nostream", "both", False),
    ],
)
def test_case_stream_for(
    scenario_stream: bool | str | None,
    variant: str | None,
    step_setting: bool | str | None,
    expected: bool | None,
) -> None:
    assert case(scenario_stream, variant).stream_for(step_setting) is expected


def test_case_id_and_column_id() -> None:
    c = case(variant="nostream")
    assert c.column.id == "openai/gpt-4o"
    assert c.id == "txt=openai/gpt-4o-nostream"
    assert case().id == "txt=openai/gpt-4o"


def test_api_model_is_the_providers_model_id_and_defaults_to_the_column_name() -> None:
    provider = Provider(
        id="p",
        base_url="http://p",
        models=["plain", ModelSpec(name="llama", model="org/llama-3:1b")],
    )
    plain, named = columns([provider])
    assert (plain.id, plain.api_model) == ("p/plain", "plain")
    assert (named.id, named.model, named.api_model) == ("p/llama", "llama", "org/llama-3:1b")
    assert Column(provider=provider, model="m", capabilities=frozenset()).api_model == "m"
