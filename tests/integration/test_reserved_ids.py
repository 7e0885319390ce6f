"""Scenario ids that pytest gives a meaning to (pytestmark, setup_module, ...) are plain ids."""

from __future__ import annotations

import pytest

from support.project import Project

# Names pytest looks up on a test module (marks, xunit-style setup and teardown, collection).
RESERVED = [
    "pytestmark",
    "setup_module",
    "setUpModule",
    "teardown_module",
    "tearDownModule",
    "setup_function",
    "teardown_function",
    "setup",
    "teardown",
    "__test__",
    "pytest_generate_tests",
    "collect_ignore",
]


@pytest.mark.parametrize("name", RESERVED)
def test_reserved_name_is_just_a_scenario_id(project: Project, name: str) -> None:
    project.with_seed_example()
    seeds = (project.path / "scenarios" / "seeds.yaml").read_text(encoding="utf-8")
    first = seeds.index("  - id: ")
    end = seeds.index("\n", first)
    # The first seed scenario renamed; its recordings key on the request, not the id.
    project.scenario("seeds.yaml", seeds[:first] + f"  - id: {name}" + seeds[end:])
    if name.startswith("__"):  # not a valid id: a located error, not a silent no-op
        result = project.pytester.runpytest("-p", "no:cacheprovider", "--snapshot-update")
        assert "scenarios/seeds.yaml:" in result.stdout.str()
        assert "Traceback" not in result.stdout.str()
        return
    result = project.pytester.runpytest("-p", "no:cacheprovider", "--snapshot-update", "-q")
    output = result.stdout.str()
    assert "Traceback" not in output
    result.assert_outcomes(passed=4)
    assert result.ret == 0
    listed = project.pytester.runpytest("--collect-only", "-q").outlines
    assert any(line.startswith(f"scenarios/seeds.yaml::{name}[") for line in listed)
