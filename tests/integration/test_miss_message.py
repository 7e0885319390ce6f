"""A replay miss names the step, shows the nearest recording's diff and the command to record."""

from __future__ import annotations

from support.project import Project


def test_changed_step_input_points_at_the_step_and_the_change(project: Project) -> None:
    project.with_seed_example()
    path = project.path / "scenarios" / "seeds.yaml"
    text = path.read_text()
    path.write_text(text.replace('user: "Say goodbye"', 'user: "Say goodbye, please"'))
    line = next(
        i
        for i, text in enumerate(path.read_text().splitlines(), 1)
        if "Say goodbye, please" in text
    )
    result = project.pytester.runpytest("-k", "goodbye")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "no recording for POST /v1/chat/completions on provider 'openai'",
            f"  at: scenarios/seeds.yaml:{line}: conversation-goodbye [txt=openai/gpt-4o], step 1",
            "  nearest recording: recordings/openai/chat-completions-*.json",
            "    messages[2].content: 'Say goodbye' -> 'Say goodbye, please'",
            "  expected file: recordings/openai/chat-completions-*.json",
            "  to record it: pytest 'scenarios/seeds.yaml::conversation-goodbye[txt=openai/gpt-4o]'"
            " --harness-record-mode=record-missing  (needs OPENAI_API_KEY)",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    assert "During handling" not in result.stdout.str()


def test_miss_without_any_recording_for_the_route(project: Project) -> None:
    project.providers(
        "providers:\n  - id: p\n    base_url: https://example.test/v1\n    models: [m]\n"
    )
    project.scenario("a.yaml", "scenarios:\n  - id: a\n    steps: [{user: hi}]\n")
    result = project.pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  no recordings for this route in recordings/p"])
    assert not (project.path / "recordings").exists()  # replay never writes
