"""A ``conftest.py`` overriding ``harness_settings`` is what the run uses, everywhere.

The runner is built from the fixture's value; the CI guard, the progress lines and the cleanup
of killed writers' temp files follow it too. What collection already used (the providers file,
the matrix filter, the recordings folder pytest must not walk) cannot change in a fixture: an
override that changes one is a one-line error at the first test, never a silent divergence.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

from support.fake_openai import serve
from support.project import Project

SCENARIO = """
scenarios:
  - id: hello
    steps:
      - user: hello
        expect: [{equals: "echo: hello"}]
"""


def override(project: Project, **changes: str) -> None:
    """A conftest.py overriding ``harness_settings`` with ``changes`` (Python expressions)."""
    fields = ", ".join(f"{name}={value}" for name, value in changes.items())
    project.write(
        "conftest.py",
        f"""
        from dataclasses import replace
        from pathlib import Path

        import pytest

        from harness.spec.settings import RecordMode


        @pytest.fixture(scope="session")
        def harness_settings(harness_settings):
            return replace(harness_settings, {fields})
        """,
    )


def dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def test_the_ci_guard_sees_a_record_mode_set_by_the_fixture(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    with serve() as server:
        project.providers(server.providers_yaml(key_env=None))
        project.scenario("s.yaml", SCENARIO)
        override(project, record_mode="RecordMode.REWRITE")
        result = project.pytester.runpytest()
        assert server.requests == []  # refused before anything went out
    result.assert_outcomes(errors=1)
    output = result.stdout.str()
    assert "record mode 'rewrite' refused because CI is set" in output, output
    assert "--harness-allow-record-in-ci" in output
    assert "Traceback" not in output and "def harness_" not in output
    assert project.recordings() == []


def test_the_opt_in_lets_the_fixture_record_in_ci(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    with serve() as server:
        project.providers(server.providers_yaml(key_env=None))
        project.scenario("s.yaml", SCENARIO)
        override(project, record_mode="RecordMode.REWRITE")
        result = project.pytester.runpytest("--harness-allow-record-in-ci")
        assert len(server.requests) == 1
    result.assert_outcomes(passed=1)
    assert len(project.recordings()) == 1


def test_progress_lines_follow_a_record_mode_set_by_the_fixture(project: Project) -> None:
    with serve() as server:
        project.providers(server.providers_yaml(key_env=None))
        project.scenario("s.yaml", SCENARIO)
        override(project, record_mode="RecordMode.RECORD_MISSING")
        result = project.pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["scenarios/s.yaml::hello[[]txt=fake/m1[]]: recorded, provider *"])


def test_progress_lines_follow_the_fixture_under_xdist(project: Project) -> None:
    with serve() as server:
        project.providers(server.providers_yaml(key_env=None))
        project.scenario("s.yaml", SCENARIO)
        override(project, record_mode="RecordMode.RECORD_MISSING")
        result = project.pytester.runpytest_subprocess("-n", "1", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    # (xdist's progress dots share the line)
    result.stdout.fnmatch_lines(["*scenarios/s.yaml::hello[[]txt=fake/m1[]]: recorded, provider *"])


@pytest.mark.parametrize("xdist", [False, True])
def test_stale_temp_files_are_cleaned_when_the_fixture_records(
    project: Project, xdist: bool
) -> None:
    stale = project.write(f"recordings/fake/.abc.json.{dead_pid()}.zzzz9999.tmp", "half")
    with serve() as server:
        project.providers(server.providers_yaml(key_env=None))
        project.scenario("s.yaml", SCENARIO)
        override(project, record_mode="RecordMode.RECORD_MISSING")
        if xdist:
            result = project.pytester.runpytest_subprocess("-n", "1", "-p", "no:cacheprovider")
        else:
            result = project.pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert not stale.exists()
    assert len(project.recordings()) == 1


def test_a_replay_run_leaves_temp_files_alone(project: Project) -> None:
    """The cleanup is for record modes (the counterpart of the test above)."""
    stale = project.write(f"recordings/fake/.abc.json.{dead_pid()}.zzzz9999.tmp", "half")
    project.providers(
        "providers:\n  - id: fake\n    base_url: http://127.0.0.1:9/v1\n    models: [m1]\n"
    )
    project.scenario("s.yaml", SCENARIO)
    override(project, record_mode="RecordMode.REPLAY")
    project.pytester.runpytest().assert_outcomes(failed=1)  # a miss: nothing recorded
    assert stale.exists()


@pytest.mark.parametrize(
    ("field", "value", "option", "ini"),
    [
        ("providers_path", "Path('other.yaml')", "--harness-providers", "harness_providers"),
        ("recordings_dir", "Path('elsewhere')", "--harness-recordings", "harness_recordings"),
        ("models", "('fake/*',)", "--harness-models", "harness_models"),
    ],
)
def test_an_override_of_what_collection_used_is_a_clear_error(
    project: Project, field: str, value: str, option: str, ini: str
) -> None:
    with serve() as server:
        project.providers(server.providers_yaml(key_env=None))
        project.write("other.yaml", server.providers_yaml(key_env=None))
        project.scenario("s.yaml", SCENARIO)
        override(project, **{field: value}, record_mode="RecordMode.RECORD_MISSING")
        result = project.pytester.runpytest()
        assert server.requests == []
    result.assert_outcomes(errors=1)
    output = result.stdout.str()
    expected = (
        f"harness_settings override changes {field}, which collection already used; "
        f"set it with {option} or the {ini} ini"
    )
    assert expected in output, output
    assert "Traceback" not in output
    assert not (project.path / "elsewhere").exists()
    assert project.recordings() == []


def test_the_same_values_given_again_are_no_change(project: Project) -> None:
    """An override that rebuilds a collection-time field with the same folder is accepted."""
    with serve() as server:
        project.providers(server.providers_yaml(key_env=None))
        project.scenario("s.yaml", SCENARIO)
        override(
            project,
            recordings_dir="Path('recordings').absolute()",
            record_mode="RecordMode.RECORD_MISSING",
        )
        result = project.pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert len(project.recordings()) == 1


APP_TEST = """
def test_app(llm):
    reply = llm.client.chat.completions.create(
        model=llm.model, messages=[{"role": "user", "content": "hello"}]
    )
    assert reply.choices[0].message.content == "echo: hello"
"""


def test_a_python_test_of_an_application_reports_with_the_fixtures_mode(
    project: Project,
) -> None:
    """The ``llm`` fixture's item: its record says how long the provider took, as the run's
    (overridden) record mode reached the network."""
    with serve() as server:
        project.providers(server.providers_yaml(key_env=None))
        override(project, record_mode="RecordMode.RECORD_MISSING")
        project.write("tests/test_app.py", APP_TEST)
        result = project.pytester.runpytest("tests/test_app.py", "--harness-report", "r.json")
        assert len(server.requests) == 1
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["tests/test_app.py::test_app[[]txt=fake/m1[]]: recorded, *"])
    (record,) = json.loads((project.path / "r.json").read_text())["records"]
    assert record["mode"] == "recorded" and record["latency"] is not None


@pytest.mark.parametrize("value", ["None", "{'record_mode': 'replay'}", "'record-missing'"])
def test_an_override_that_returns_no_settings_is_a_one_line_error(
    project: Project, value: str
) -> None:
    """A fixture returning something else than a Settings fails each item in one line naming
    what it returned, never an AttributeError traceback from inside the runner."""
    with serve() as server:
        project.providers(server.providers_yaml(key_env=None))
        project.scenario("s.yaml", SCENARIO)
        project.write(
            "conftest.py",
            f"""
            import pytest


            @pytest.fixture(scope="session")
            def harness_settings():
                return {value}
            """,
        )
        project.write("test_app.py", APP_TEST)
        result = project.pytester.runpytest()
        assert server.requests == []
    result.assert_outcomes(errors=2)
    output = result.stdout.str()
    kind = type(ast.literal_eval(value)).__name__
    expected = f"harness_settings returned {kind}, not a harness.spec.settings.Settings"
    assert output.count(expected) == 2, output
    assert "Traceback" not in output and "AttributeError" not in output, output
