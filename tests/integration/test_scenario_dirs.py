"""``harness_scenario_dirs`` names folders, one per line: a folder that is not there (a typo, or
two folders written on one line) is a usage error, never a run that silently collects nothing
from it."""

from __future__ import annotations

import pytest

from support.project import Project

PROVIDERS = """
providers:
  - id: local
    base_url: http://127.0.0.1:9/v1
    models: [tiny]
"""

SCENARIO = """
scenarios:
  - id: greet
    steps: [{user: hi}]
"""


@pytest.mark.parametrize("value", ["scenarios apps", "scenarios\n    appz"])
def test_a_scenario_folder_that_is_not_there_is_a_usage_error(project: Project, value: str) -> None:
    project.providers(PROVIDERS)
    project.scenario("s.yaml", SCENARIO)
    project.write("apps/a.yaml", SCENARIO)
    project.write("pytest.ini", f"[pytest]\nharness_scenario_dirs = {value}\n")
    result = project.pytester.runpytest("--collect-only", "-q")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    missing = value.split("\n")[-1].strip()
    expected = (
        f"harness_scenario_dirs: {missing!r} is not a folder under the rootdir "
        "(one folder per line)"
    )
    assert expected in result.stderr.str(), result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_folders_one_per_line_are_all_collected(project: Project) -> None:
    project.providers(PROVIDERS)
    project.scenario("s.yaml", SCENARIO)
    project.write("apps/a.yaml", SCENARIO)
    project.write("pytest.ini", "[pytest]\nharness_scenario_dirs =\n    scenarios\n    apps\n")
    result = project.pytester.runpytest("--collect-only", "-q")
    ids = [line for line in result.outlines if "::" in line]
    assert ids == ["apps/a.yaml::greet[txt=local/tiny]", "scenarios/s.yaml::greet[txt=local/tiny]"]


def test_the_default_folder_may_be_absent(project: Project) -> None:
    """A project with only Python tests of its application has no scenarios/ folder."""
    project.providers(PROVIDERS)
    project.write("test_plain.py", "def test_plain():\n    assert True\n")
    project.pytester.runpytest().assert_outcomes(passed=1)
