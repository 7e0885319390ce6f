"""A broken scenario file gives one located error; the rest of the suite still runs."""

from __future__ import annotations

import pytest

from support.project import Project

BAD_FILES = {
    "typo.yaml": (
        "scenarios:\n  - id: a\n    stpes:\n      - user: hi\n",
        "3:5",
        "unknown key 'stpes' (did you mean 'steps'?)",
    ),
    "syntax.yaml": ("scenarios:\n  - id: a\n    steps: [{user: hi}\n", "4:1", "invalid YAML"),
    "dup.yaml": (
        "scenarios:\n  - id: a\n    steps: [{user: hi}]\n  - id: a\n    steps: [{user: x}]\n",
        "4:9",
        "duplicate scenario id 'a'",
    ),
    "type.yaml": (
        "scenarios:\n  - id: a\n    steps:\n      - {user: hi, stream: maybe}\n",
        "4:28",
        "expected a valid boolean or 'both'",
    ),
    # Nested 999 deep: used to interrupt the whole session with a RecursionError.
    "deep.yaml": ("scenarios: " + "[" * 999 + "]" * 999 + "\n", "1:111", "nested more than 100"),
    # Six levels of ten-fold aliases: millions of nodes from a few hundred bytes.
    "bomb.yaml": (
        "scenarios:\n  - id: a\n    steps: [{user: hi}]\n    messages:\n"
        "      - {role: user, content: x, extra: &l0 [x, x, x, x, x, x, x, x, x, x]}\n"
        + "".join(
            f"      - {{role: user, content: x, extra: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]}}\n"
            for n in range(1, 9)
        ),
        "10:41",
        "expands to more than 250000 nodes",
    ),
    "python-tag.yaml": (
        "scenarios: !!python/object/apply:os.system [echo pwned]\n",
        "1:12",
        "could not determine a constructor",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_one_located_error_and_the_rest_runs(project: Project, name: str) -> None:
    text, position, cause = BAD_FILES[name]
    project.with_seed_example()
    project.scenario(name, text)
    result = project.pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, errors=1)
    output = result.stdout.str()
    assert f"scenarios/{name}:{position}: " in output
    assert cause in output
    assert "Traceback" not in output
