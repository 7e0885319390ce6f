"""Scenario files become real test functions, one per scenario x matrix column."""

from __future__ import annotations

from support.project import Project

PROVIDERS = """
providers:
  - id: openai
    base_url: https://api.openai.com/v1
    api_key_env: OPENAI_API_KEY
    models: [gpt-4o, {name: gpt-4o-mini, capabilities: [vision]}]
  - id: local
    base_url: http://127.0.0.1:9/v1
    models: [tiny]
"""

SCENARIOS = """
scenarios:
  - id: greet
    tags: [smoke]
    steps: [{user: hi}]
  - id: look
    requires: [vision]
    steps: [{user: what is this}]
  - id: only-openai
    models: ["openai/*"]
    steps: [{user: hi}]
  - id: both-ways
    steps: [{user: hi, stream: both}]
"""


def collected(project: Project, *args: str) -> list[str]:
    result = project.pytester.runpytest("--collect-only", "-q", *args)
    return [line for line in result.outlines if "::" in line]


def test_every_scenario_runs_once_per_column(project: Project) -> None:
    project.providers(PROVIDERS)
    project.scenario("basic.yaml", SCENARIOS)
    ids = collected(project)
    assert "scenarios/basic.yaml::greet[txt=openai/gpt-4o]" in ids
    assert "scenarios/basic.yaml::greet[txt=openai/gpt-4o-mini]" in ids
    assert "scenarios/basic.yaml::greet[txt=local/tiny]" in ids
    assert [i for i in ids if "only-openai" in i] == [
        "scenarios/basic.yaml::only-openai[txt=openai/gpt-4o]",
        "scenarios/basic.yaml::only-openai[txt=openai/gpt-4o-mini]",
    ]
    assert "scenarios/basic.yaml::both-ways[txt=local/tiny-stream]" in ids
    assert "scenarios/basic.yaml::both-ways[txt=local/tiny-nostream]" in ids
    assert len(ids) == 3 + 3 + 2 + 6


def test_node_ids_are_stable(project: Project) -> None:
    project.providers(PROVIDERS)
    project.scenario("basic.yaml", SCENARIOS)
    assert collected(project) == collected(project)


def test_missing_capability_skips_with_reason(project: Project) -> None:
    project.providers(PROVIDERS)
    project.scenario("basic.yaml", SCENARIOS)
    result = project.pytester.runpytest("-k", "look", "-rs")
    result.assert_outcomes(skipped=2, failed=1)  # gpt-4o-mini has vision: it runs (and misses)
    result.stdout.fnmatch_lines(
        ["*openai/gpt-4o lacks capability vision required by scenario 'look'*"]
    )


def test_tags_are_markers(project: Project) -> None:
    project.providers(PROVIDERS)
    project.scenario("basic.yaml", SCENARIOS)
    assert collected(project, "-m", "smoke", "--strict-markers") == [
        "scenarios/basic.yaml::greet[txt=openai/gpt-4o]",
        "scenarios/basic.yaml::greet[txt=openai/gpt-4o-mini]",
        "scenarios/basic.yaml::greet[txt=local/tiny]",
    ]


def test_harness_models_narrows_the_matrix(project: Project) -> None:
    project.providers(PROVIDERS)
    project.scenario("basic.yaml", SCENARIOS)
    ids = collected(project, "--harness-models", "local/*,openai/gpt-4o")
    assert {i.split("[")[1] for i in ids} == {
        "txt=openai/gpt-4o]",
        "txt=openai/gpt-4o-stream]",
        "txt=openai/gpt-4o-nostream]",
        "txt=local/tiny]",
        "txt=local/tiny-stream]",
        "txt=local/tiny-nostream]",
    }


def test_yaml_outside_scenario_folders_is_not_collected_unless_named(project: Project) -> None:
    project.providers(PROVIDERS)
    project.write("other/extra.yaml", "scenarios:\n  - id: extra\n    steps: [{user: hi}]\n")
    assert collected(project) == []
    named = collected(project, "other/extra.yaml")
    assert "other/extra.yaml::extra[txt=local/tiny]" in named


def test_providers_file_errors_are_located(project: Project) -> None:
    project.providers("providers:\n  - id: openai\n    base_url: nope\n    models: [m]\n")
    project.scenario("basic.yaml", "scenarios:\n  - id: a\n    steps: [{user: hi}]\n")
    result = project.pytester.runpytest()
    result.stdout.fnmatch_lines(["*providers.yaml:3:15: *base_url*"])
    assert "Traceback" not in result.stdout.str()


def test_the_recordings_folder_is_never_walked(project: Project) -> None:
    """pytest without paths walks the rootdir; the recordings folder (100k JSON files in big
    suites) holds no test, and walking it cost seconds of start-up."""
    project.providers(PROVIDERS)
    project.scenario("a.yaml", SCENARIOS)
    # Were pytest to walk recordings/, this module would be collected and fail the run.
    project.write("recordings/openai/test_walked.py", "def test_walked():\n    raise SystemExit\n")
    names = collected(project)
    assert names and not any("test_walked" in name for name in names)
    # Named on the command line, a path inside it is collected as usual.
    assert collected(project, "recordings/openai/test_walked.py")
