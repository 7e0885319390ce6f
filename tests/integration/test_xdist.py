"""Scenario items run under pytest-xdist with the same node ids on every worker."""

from __future__ import annotations

from support.project import Project


def test_seed_examples_pass_with_two_workers(project: Project) -> None:
    project.with_seed_example()
    result = project.pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    assert project.recordings() == sorted((project.path / "recordings").glob("*/*.json"))


def test_failures_are_reported_from_workers(project: Project) -> None:
    project.with_seed_example()
    path = project.path / "scenarios" / "seeds.yaml"
    path.write_text(path.read_text().replace("icontains: goodbye", "icontains: farewell"))
    result = project.pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*the reply does not contain 'farewell' (ignoring case)*"])
