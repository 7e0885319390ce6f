"""Tests for harness.spec.scenario: the scenario model, its loader, and located one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ScenarioError
from harness.spec.expect import ErrorExpect, Expectation, ToolCallExpect
from harness.spec.load import load_scenarios, read_scenarios
from harness.spec.scenario import Scenario, Step


def line_of(text: str, needle: str, nth: int = 0) -> int:
    """1-based line of the ``nth`` occurrence of ``needle``."""
    return pos_of(text, needle, nth)[0]


def pos_of(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based (line, col) of the ``nth`` occurrence of ``needle``."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, col


def write(tmp_path: Path, text: str, name: str = "scenarios.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> ScenarioError:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenarios(path, display="s.yaml")
    error = info.value
    message = str(error)
    assert "\n" not in message, f"error message is not one line: {message!r}"
    assert message == f"s.yaml:{error.line}:{error.col}: {error.cause}"
    return error


FULL = """\
# a comment first, so that lines are not trivially small
scenarios:
  - id: full.scenario_1
    description: all fields
    tags: [multi-turn, smoke]
    requires: [tools, vision]
    models: ["openai/*", "local/llama*"]
    messages:
      - {role: system, content: "Be brief."}
    tools:
      - type: function
        function: {name: get_weather, parameters: {type: object}}
    stream: both
    stream_checks: false
    snapshot: true
    max_tool_rounds: 2
    steps:
      - user: "What is the weather?"
        stream: true
        params: {temperature: 0, seed: 7}
        tool_results: {get_weather: {temp: 21}}
        snapshot: false
        expect:
          - contains: "21"
          - icontains: weather
          - not_contains: error
          - regex: "\\\\d+"
          - equals: "It is 21."
          - finish_reason: stop
          - error: {status: 400, message: bad}
          - tool_call: {name: get_weather, arguments: {city: Paris}}
          - no_tool_call: true
      - user:
          - {type: text, text: "Look"}
          - {image: pic.png, detail: low}
        tool_results: ["one", {two: 2}]
        expect:
          - same_as_nonstream: true

  - id: minimal
    steps:
      - user: hi
"""


# --- a valid file --------------------------------------------------------------------------


def test_full_scenario_loads_every_field(tmp_path: Path) -> None:
    full, minimal = load_scenarios(write(tmp_path, FULL))
    assert full.id == "full.scenario_1"
    assert full.description == "all fields"
    assert full.tags == ["multi-turn", "smoke"]
    assert full.requires == ["tools", "vision"]
    assert full.models == ["openai/*", "local/llama*"]
    assert full.messages == [{"role": "system", "content": "Be brief."}]
    assert full.tools == [
        {
            "type": "function",
            "function": {"name": "get_weather", "parameters": {"type": "object"}},
        }
    ]
    assert full.stream == "both"
    assert full.stream_checks is False
    assert full.snapshot is True
    assert full.max_tool_rounds == 2
    assert len(full.steps) == 2
    assert minimal.id == "minimal"


def test_full_scenario_steps(tmp_path: Path) -> None:
    full = load_scenarios(write(tmp_path, FULL))[0]
    first, second = full.steps
    assert isinstance(first, Step)
    assert first.user == "What is the weather?"
    assert first.stream is True
    assert first.params == {"temperature": 0, "seed": 7}
    assert first.tool_results == {"get_weather": {"temp": 21}}
    assert first.snapshot is False
    assert second.user == [{"type": "text", "text": "Look"}, {"image": "pic.png", "detail": "low"}]
    assert second.stream is None
    assert second.params == {}
    assert second.tool_results == ["one", {"two": 2}]
    assert second.snapshot is None
    assert [e.kind for e in second.expect] == ["same_as_nonstream"]
    assert second.expect[0].value is True


def test_full_scenario_expectations(tmp_path: Path) -> None:
    expect = load_scenarios(write(tmp_path, FULL))[0].steps[0].expect
    assert [e.kind for e in expect] == [
        "contains",
        "icontains",
        "not_contains",
        "regex",
        "equals",
        "finish_reason",
        "error",
        "tool_call",
        "no_tool_call",
    ]
    values = [e.value for e in expect]
    assert values[:6] == ["21", "weather", "error", "\\d+", "It is 21.", "stop"]
    assert values[6] == ErrorExpect(status=400, message="bad")
    assert values[7] == ToolCallExpect(name="get_weather", arguments={"city": "Paris"})
    assert values[8] is True
    assert expect[0].describe() == "contains: '21'"
    assert expect[6].describe() == "error: {'status': 400, 'message': 'bad'}"
    assert (
        expect[7].describe() == "tool_call: {'name': 'get_weather', 'arguments': {'city': 'Paris'}}"
    )


def test_defaults_of_a_minimal_scenario(tmp_path: Path) -> None:
    minimal = load_scenarios(write(tmp_path, FULL))[1]
    assert minimal.description is None
    assert minimal.tags == []
    assert minimal.requires == []
    assert minimal.models == []
    assert minimal.messages == []
    assert minimal.tools is None
    assert minimal.stream is None
    assert minimal.stream_checks is True
    assert minimal.snapshot is False
    assert minimal.max_tool_rounds == 4
    assert minimal.steps == [Step(user="hi")]
    assert minimal.streams_both_ways is False


def test_loader_sets_path_base_dir_and_lines(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    full, minimal = load_scenarios(path, display="shown/s.yaml")
    assert full.path == minimal.path == "shown/s.yaml"
    assert full.base_dir == str(tmp_path.resolve())
    assert full.line == line_of(FULL, "- id: full.scenario_1")
    assert minimal.line == line_of(FULL, "- id: minimal")
    assert full.step_lines == (
        line_of(FULL, '- user: "What is the weather?"'),
        line_of(FULL, "- user:\n"),
    )
    assert minimal.step_lines == (line_of(FULL, "- user: hi"),)
    first_expect = line_of(FULL, '- contains: "21"')
    assert full.expect_lines == (
        tuple(range(first_expect, first_expect + 9)),
        (line_of(FULL, "- same_as_nonstream: true"),),
    )
    assert full.expect_lines[0][-1] == line_of(FULL, "- no_tool_call: true")
    assert minimal.expect_lines == ((),)


def test_path_defaults_to_the_path_as_given(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    assert load_scenarios(path)[0].path == str(path)


def test_step_line_and_expect_line_fall_back(tmp_path: Path) -> None:
    full = load_scenarios(write(tmp_path, FULL))[0]
    assert full.step_line(0) == line_of(FULL, '- user: "What is the weather?"')
    assert full.step_line(5) == full.line  # no such step: the scenario's line
    assert full.expect_line(0, 1) == line_of(FULL, "- icontains: weather")
    assert full.expect_line(1, 0) == line_of(FULL, "- same_as_nonstream: true")
    assert full.expect_line(1, 1) == full.step_line(1)  # no such expectation: the step's line
    assert full.expect_line(0, 99) == full.step_line(0)
    assert full.expect_line(9, 0) == full.line


def test_loader_fields_are_excluded_from_dumps(tmp_path: Path) -> None:
    minimal = load_scenarios(write(tmp_path, FULL))[1]
    dumped = minimal.model_dump()
    for internal in ("path", "base_dir", "line", "step_lines", "expect_lines"):
        assert internal not in dumped
    assert dumped["id"] == "minimal"


def test_streams_both_ways_from_a_step(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n    steps:\n      - user: hi\n"
        "      - user: again\n        stream: both\n"
    )
    (scenario,) = load_scenarios(write(tmp_path, text))
    assert scenario.stream is None
    assert scenario.steps[1].stream == "both"
    assert scenario.streams_both_ways is True


def test_scenario_models_are_frozen(tmp_path: Path) -> None:
    scenario = load_scenarios(write(tmp_path, FULL))[1]
    with pytest.raises(ValueError):
        scenario.id = "other"


def test_empty_scenarios_list_loads_nothing(tmp_path: Path) -> None:
    assert load_scenarios(write(tmp_path, "scenarios: []\n")) == []


def test_expectation_model_directly() -> None:
    expectation = Expectation.model_validate({"regex": "^a"})
    assert expectation.kind == "regex"
    assert expectation.value == "^a"
    assert expectation.describe() == "regex: '^a'"
    with pytest.raises(ValueError, match="exactly one key, got 'contains', 'regex'"):
        Expectation.model_validate({"contains": "a", "regex": "b"})


def test_scenario_constructed_in_code_has_no_lines() -> None:
    scenario = Scenario(id="code", steps=[Step(user="hi")])
    assert scenario.line == 0
    assert scenario.step_line(0) == 0
    assert scenario.expect_line(0, 0) == 0


# --- errors --------------------------------------------------------------------------------


def test_top_level_list_is_refused(tmp_path: Path) -> None:
    error = load_error(tmp_path, "- id: a\n")
    assert (error.line, error.col) == (1, 1)
    assert error.cause == "a scenario file is a mapping with a 'scenarios' list"


@pytest.mark.parametrize("text", ["", "just text\n", "42\n"])
def test_top_level_not_a_mapping(tmp_path: Path, text: str) -> None:
    error = load_error(tmp_path, text)
    assert error.cause == "a scenario file is a mapping with a 'scenarios' list"


def test_unknown_top_level_key_with_did_you_mean(tmp_path: Path) -> None:
    text = "# scenarios below\nscenarioz:\n  - id: a\n"
    error = load_error(tmp_path, text)
    assert (error.line, error.col) == pos_of(text, "scenarioz")
    assert error.cause.startswith("unknown key 'scenarioz' (did you mean 'scenarios'?)")


def test_unknown_scenario_key_with_did_you_mean(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    descripton: x\n    steps:\n      - user: hi\n"
    error = load_error(tmp_path, text)
    assert (error.line, error.col) == pos_of(text, "descripton")
    assert error.cause == "unknown key 'descripton' (did you mean 'description'?)"


def test_unknown_scenario_key_without_a_close_match_lists_the_keys(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    zzz: x\n    steps:\n      - user: hi\n"
    error = load_error(tmp_path, text)
    assert (error.line, error.col) == pos_of(text, "zzz")
    assert error.cause.startswith("unknown key 'zzz' (expected one of: id, description,")
    assert "steps" in error.cause
    assert "base_dir" not in error.cause  # loader-internal fields are not offered


def test_a_typo_in_a_required_key_is_reported_as_the_typo(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    stepz:\n      - user: hi\n"
    error = load_error(tmp_path, text)
    assert (error.line, error.col) == pos_of(text, "stepz")
    assert error.cause.startswith("unknown key 'stepz' (did you mean 'steps'?)")


def test_unknown_step_key_with_did_you_mean(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    steps:\n      - user: hi\n        strem: true\n"
    error = load_error(tmp_path, text)
    assert (error.line, error.col) == pos_of(text, "strem")
    assert error.cause == "unknown key 'strem' (did you mean 'stream'?)"


def test_unknown_expectation_key_with_did_you_mean(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n    steps:\n      - user: hi\n        expect:\n"
        "          - contains: x\n          - icontain: earth\n"
    )
    error = load_error(tmp_path, text)
    assert (error.line, error.col) == pos_of(text, "icontain:")
    assert error.cause == "unknown key 'icontain' (did you mean 'icontains'?)"


def test_unknown_key_inside_an_error_expectation(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n    steps:\n      - user: hi\n        expect:\n"
        "          - error: {statu: 400}\n"
    )
    error = load_error(tmp_path, text)
    assert (error.line, error.col) == pos_of(text, "statu")
    assert error.cause == "unknown key 'statu' (did you mean 'status'?)"


def test_unknown_key_in_the_second_scenario(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n    steps:\n      - user: hi\n"
        "  - id: b\n    steps:\n      - user: hi\n        expect:\n          - contians: x\n"
    )
    error = load_error(tmp_path, text)
    assert (error.line, error.col) == pos_of(text, "contians")
    assert "did you mean 'contains'?" in error.cause


def test_loader_internal_keys_are_unknown_in_files(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    line: 3\n    steps:\n      - user: hi\n"
    error = load_error(tmp_path, text)
    assert (error.line, error.col) == pos_of(text, "line:")
    assert error.cause.startswith("unknown key 'line' (expected one of: ")


@pytest.mark.parametrize("where", ["step", "scenario"])
def test_bad_stream_value(tmp_path: Path, where: str) -> None:
    if where == "step":
        text = "scenarios:\n  - id: a\n    steps:\n      - user: hi\n        stream: yes-please\n"
        dotted = "scenarios[0].steps[0].stream"
    else:
        text = "scenarios:\n  - id: a\n    stream: yes-please\n    steps:\n      - user: hi\n"
        dotted = "scenarios[0].stream"
    error = load_error(tmp_path, text)
    assert (error.line, error.col) == pos_of(text, "yes-please")  # at the value
    assert error.cause == f"{dotted}: expected a valid boolean or 'both'"


@pytest.mark.parametrize(
    ("field", "value", "at", "message"),
    [
        ("snapshot", "'yes'", "'yes'", "scenarios[0].snapshot: Input should be a valid boolean"),
        ("max_tool_rounds", "0", "0", "scenarios[0].max_tool_rounds: Input should be greater"),
        ("tags", "[ok, 1]", "1]", "scenarios[0].tags[1]: Input should be a valid string"),
        ("models", "openai/*", "openai/*", "scenarios[0].models: Input should be a valid list"),
        ("stream_checks", "1", "1", "scenarios[0].stream_checks: Input should be a valid boolean"),
    ],
)
def test_wrong_types_at_scenario_level(
    tmp_path: Path, field: str, value: str, at: str, message: str
) -> None:
    text = f"scenarios:\n  - id: a\n    {field}: {value}\n    steps:\n      - user: hi\n"
    error = load_error(tmp_path, text)
    assert error.cause.startswith(message)
    line, col = pos_of(text, f"{field}: {value}")
    assert (error.line, error.col) == (line, col + len(f"{field}: ") + value.index(at))


def test_wrong_type_of_step_user(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    steps:\n      - user: 3\n"
    error = load_error(tmp_path, text)
    assert error.cause == "scenarios[0].steps[0].user: expected a valid string or a valid list"
    assert (error.line, error.col) == pos_of(text, "3\n")


def test_wrong_type_of_tool_results(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    steps:\n      - user: hi\n        tool_results: 3\n"
    error = load_error(tmp_path, text)
    assert error.cause == (
        "scenarios[0].steps[0].tool_results: expected a valid dictionary or a valid list"
    )
    assert (error.line, error.col) == pos_of(text, "3\n")


def test_wrong_type_inside_an_expectation(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n    steps:\n      - user: hi\n        expect:\n"
        "          - error: {status: '404'}\n"
    )
    error = load_error(tmp_path, text)
    assert error.cause == (
        "scenarios[0].steps[0].expect[0].error.status: Input should be a valid integer"
    )
    assert (error.line, error.col) == pos_of(text, "'404'")


def test_no_tool_call_must_be_true(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n    steps:\n      - user: hi\n        expect:\n"
        "          - no_tool_call: false\n"
    )
    error = load_error(tmp_path, text)
    assert error.cause.startswith("scenarios[0].steps[0].expect[0].no_tool_call:")
    assert (error.line, error.col) == pos_of(text, "false")


def test_duplicate_ids_point_at_the_second_and_name_the_first(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n    steps:\n      - user: hi\n"
        "  - id: b\n    steps:\n      - user: hi\n"
        "  - id: a\n    steps:\n      - user: hi\n"
    )
    error = load_error(tmp_path, text)
    first_line = line_of(text, "id: a")
    assert (error.line, error.col) == pos_of(text, "a\n", nth=1)
    assert error.line == line_of(text, "id: a", nth=1)
    assert error.cause == f"duplicate scenario id 'a' (first at line {first_line})"


@pytest.mark.parametrize("bad_id", ["'has space'", "-leading-dash", "'ünïcode'", "'a/b'"])
def test_bad_id_pattern(tmp_path: Path, bad_id: str) -> None:
    text = f"scenarios:\n  - id: {bad_id}\n    steps:\n      - user: hi\n"
    error = load_error(tmp_path, text)
    assert (error.line, error.col) == pos_of(text, bad_id)
    assert error.cause == (
        "scenarios[0].id: use letters, digits, '.', '_' or '-' (no spaces), "
        "starting with a letter or digit"
    )


def test_bad_tag_pattern(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    tags: [ok, 'not ok']\n    steps:\n      - user: hi\n"
    error = load_error(tmp_path, text)
    assert (error.line, error.col) == pos_of(text, "'not ok'")
    assert error.cause.startswith("scenarios[0].tags[1]: use letters, digits")


def test_expectation_with_two_keys(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n    steps:\n      - user: hi\n        expect:\n"
        "          - contains: x\n            regex: y\n"
    )
    error = load_error(tmp_path, text)
    assert (error.line, error.col) == pos_of(text, "contains: x")
    assert error.cause == (
        "scenarios[0].steps[0].expect[0]: an expectation has exactly one key, "
        "got 'contains', 'regex'"
    )


def test_expectation_with_no_key(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    steps:\n      - user: hi\n        expect:\n          - {}\n"
    error = load_error(tmp_path, text)
    assert error.cause.endswith("an expectation has exactly one key, got none")
    assert (error.line, error.col) == pos_of(text, "{}")


def test_expectation_error_message_stays_on_one_line_with_odd_keys(tmp_path: Path) -> None:
    # load_error() asserts the message has no newline, whatever the keys are called.
    text = (
        "scenarios:\n  - id: a\n    steps:\n      - user: hi\n        expect:\n"
        '          - contains: x\n            "not\\ncontains": y\n'
    )
    error = load_error(tmp_path, text)
    assert "exactly one key" in error.cause


def test_same_as_nonstream_needs_stream_both(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n    stream: both\n    steps:\n      - user: hi\n"
        "      - user: again\n        stream: true\n        expect:\n"
        "          - same_as_nonstream: true\n"
    )
    error = load_error(tmp_path, text)
    assert "step 2: same_as_nonstream needs 'stream: both'" in error.cause
    assert error.line == line_of(text, "- id: a")


def test_missing_steps(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    description: no steps\n"
    error = load_error(tmp_path, text)
    assert error.cause == "missing required key 'steps' in scenarios[0]"
    assert (error.line, error.col) == pos_of(text, "id: a")  # the scenario's mapping


def test_missing_id(tmp_path: Path) -> None:
    text = "scenarios:\n  - steps:\n      - user: hi\n"
    error = load_error(tmp_path, text)
    assert error.cause == "missing required key 'id' in scenarios[0]"
    assert error.line == line_of(text, "- steps")


def test_empty_steps(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    steps: []\n"
    error = load_error(tmp_path, text)
    assert error.cause.startswith("scenarios[0].steps: List should have at least 1 item")
    assert (error.line, error.col) == pos_of(text, "[]")


def test_missing_scenarios_key(tmp_path: Path) -> None:
    error = load_error(tmp_path, "other: 1\n")
    assert error.line == 1
    assert "'other'" in error.cause


def test_stream_in_params_is_refused(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n    steps:\n      - user: hi\n"
        "        params: {temperature: 0, stream: true}\n"
    )
    error = load_error(tmp_path, text)
    assert error.cause == (
        "scenarios[0].steps[0]: set streaming with the step's 'stream' key, not in params"
    )
    assert error.line == line_of(text, "- user: hi")


def test_step_that_is_not_a_mapping(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    steps:\n      - just text\n"
    error = load_error(tmp_path, text)
    assert error.cause.startswith("scenarios[0].steps[0]: ")
    assert (error.line, error.col) == pos_of(text, "just text")


def test_several_problems_are_counted(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    foo: 1\n    bar: 2\n    steps:\n      - user: hi\n"
    error = load_error(tmp_path, text)
    assert error.cause.startswith("unknown key 'foo'")
    assert error.cause.endswith("(and 1 more problem)")
    assert (error.line, error.col) == pos_of(text, "foo")


def test_yaml_level_errors_surface_as_scenario_errors(tmp_path: Path) -> None:
    text = "scenarios:\n  - id: a\n    id: b\n    steps:\n      - user: hi\n"
    error = load_error(tmp_path, text)
    assert error.cause == "duplicate key 'id'"
    assert (error.line, error.col) == pos_of(text, "id: b")
    broken = load_error(tmp_path, "scenarios: [\n")
    assert broken.cause.startswith("invalid YAML: ")


# --- hostile input ------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", ["((", "[a-", "a{2,1}", "(?P<x>a)(?P<x>b)"])
def test_invalid_regex_is_a_located_error_at_load(tmp_path: Path, pattern: str) -> None:
    text = (
        "scenarios:\n  - id: a\n    steps:\n      - user: hi\n        expect:\n"
        f"          - regex: '{pattern}'\n"
    )
    error = load_error(tmp_path, text)
    assert "invalid regular expression" in error.cause
    assert error.cause.startswith("scenarios[0].steps[0].expect[0].regex: ")
    assert error.line == 6


def test_read_scenarios_reports_every_problem(tmp_path: Path) -> None:
    text = (
        "scenarios:\n"
        "  - id: a\n    stpes: [{user: hi}]\n"
        "  - id: b\n    steps: [{user: hi, expect: [{regex: '(('}]}]\n"
        "  - id: c\n    steps: [{user: hi}]\n    max_tool_rounds: 0\n"
        "  - id: d\n    steps: [{user: hi}]\n"
        "  - id: d\n    steps: [{user: hi}]\n"
    )
    path = tmp_path / "many.yaml"
    path.write_text(text, encoding="utf-8")
    scenarios, problems = read_scenarios(path)
    assert [s.id for s in scenarios] == ["d"]
    lines = sorted(p.line for p in problems)
    assert lines == [3, 5, 8, 11]
    causes = " | ".join(p.cause for p in problems)
    assert "unknown key 'stpes'" in causes
    assert "missing required key 'steps'" not in causes  # the typo explains it
    assert "invalid regular expression" in causes
    assert "duplicate scenario id 'd'" in causes
    with pytest.raises(ScenarioError) as info:
        load_scenarios(path)
    assert info.value.cause.endswith("(and 3 more problems)")


def test_a_key_with_a_line_break_is_quoted_in_one_line(tmp_path: Path) -> None:
    text = 'scenarios:\n  - id: a\n    steps: [{user: hi}]\n    xfail: {"p/*\\nx": 5}\n'
    error = load_error(tmp_path, text)
    assert "\n" not in str(error)
    assert error.cause.startswith("scenarios[0].xfail['p/*\\nx']: ")


# --- recordings: shared | per-test | {test_id} -----------------------------------------------


def test_recordings_setting_decides_the_scope(tmp_path: Path) -> None:
    text = """scenarios:
  - id: plain
    steps: [{user: hi}]
  - id: shared
    recordings: shared
    steps: [{user: hi}]
  - id: mine
    recordings: per-test
    steps: [{user: hi}]
  - id: theirs
    recordings: {test_id: "tests/test_x.py::test_y[txt=p/m]"}
    steps: [{user: hi}]
  - id: stateful
    api: responses
    steps: [{input: hi}]
  - id: stateful-theirs
    api: responses
    recordings: {test_id: other}
    steps: [{input: hi}]
"""
    scopes = {
        s.id: s.recording_scope("txt=p/m")
        for s in load_scenarios(write(tmp_path, text), display="s.yaml")
    }
    assert scopes == {
        "plain": ("", False),
        "shared": ("", False),
        "mine": ("s.yaml::mine[txt=p/m]", True),
        "theirs": ("tests/test_x.py::test_y[txt=p/m]", True),
        "stateful": ("s.yaml::stateful[txt=p/m]", False),  # server state is never shared
        "stateful-theirs": ("other", False),
    }


@pytest.mark.parametrize(
    ("setting", "cause"),
    [
        ("per-tst", "scenarios[0].recordings: expected 'shared' or 'per-test' or a valid dict"),
        ("{test_idd: x}", "unknown key 'test_idd' (did you mean 'test_id'?)"),
        ('{test_id: " "}', "recordings.test_id is empty: name the test whose recordings to use"),
    ],
)
def test_a_bad_recordings_setting_is_a_located_error(
    tmp_path: Path, setting: str, cause: str
) -> None:
    text = f"scenarios:\n  - id: a\n    recordings: {setting}\n    steps: [{{user: hi}}]\n"
    error = load_error(tmp_path, text)
    assert cause in error.cause, error.cause


def test_stateful_scenarios_cannot_share_recordings(tmp_path: Path) -> None:
    text = (
        "scenarios:\n  - id: a\n    api: responses\n    recordings: shared\n"
        "    steps: [{input: hi}]\n"
    )
    error = load_error(tmp_path, text)
    assert "recordings: shared cannot hold server state" in error.cause
