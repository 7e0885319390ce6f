"""`harness validate` reports every problem of every file, including what would only fail at run
time; `validate` and `list` read regular files only, bounded (no hang, no MemoryError)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.project import Project

PROVIDERS = """
providers:
  - id: p
    base_url: https://p.test/v1
    capabilities: [tools]
    models: [a, {name: b, capabilities: [vision]}]
"""

MANY = """
scenarios:
  - id: typo
    stpes: [{user: hi}]
  - id: bad-regex
    steps: [{user: hi, expect: [{regex: '(('}]}]
  - id: no-image
    steps:
      - user: [{type: text, text: look}, {image: nope.png}]
  - id: escaping-image
    steps:
      - user: [{image: ../../etc/passwd}]
  - id: undeclared-tool
    tools: [{type: function, function: {name: get_weather}}]
    steps:
      - {user: hi, tool_results: {get_wether: sunny}}
  - id: unknown-capability
    requires: [visoin]
    steps: [{user: hi}]
  - id: no-column
    models: ["q/*"]
    xfail: {"p/c": known}
    steps: [{user: hi}]
  - id: fine
    steps: [{user: hi}]
"""


def harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,  # a FIFO used to hang validate forever
    )


def test_validate_reports_every_problem_of_a_file(project: Project) -> None:
    project.providers(PROVIDERS)
    project.scenario("many.yaml", MANY)
    done = harness("validate", cwd=project.path)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("scenarios/")]
    expected = [
        ("3:5", "unknown key 'stpes' (did you mean 'steps'?)"),
        ("5:41", "invalid regular expression"),
        ("8:0", "step 1: cannot read image 'nope.png'"),
        ("11:0", "step 1: image '../../etc/passwd' is outside the project"),
        ("15:0", "tool_results answers tool 'get_wether', which the scenario does not declare"),
        (
            "16:1",
            "requires: 'visoin' is a capability no provider declares (did you mean 'vision'?)",
        ),
        ("19:1", "models: 'q/*' matches no column"),
        ("19:1", "xfail: 'p/c' matches no column"),
    ]
    assert len(lines) == len(expected), done.stdout
    for line, (position, cause) in zip(lines, expected, strict=True):
        assert line.startswith(f"scenarios/many.yaml:{position}: "), line
        assert cause in line
    assert "and 1 more problem" not in done.stdout
    assert f"checked 2 file(s): {len(expected)} problem(s)" in done.stdout
    machine = harness("validate", "--format", "json", cwd=project.path)
    problems = json.loads(machine.stdout)
    assert [f"{p['line']}:{p['col']}" for p in problems] == [pos for pos, _ in expected]


def test_validate_reports_every_problem_of_the_providers_file(project: Project) -> None:
    project.providers(
        """
        providers:
          - id: p
            base_url: ftp://p.test/v1
            models: [a]
          - id: q
            base_url: https://q.test/v1
            modles: [b]
        """
    )
    project.scenario("ok.yaml", "scenarios:\n  - id: ok\n    steps: [{user: hi}]\n")
    done = harness("validate", cwd=project.path)
    assert done.returncode == 1
    lines = [line for line in done.stdout.splitlines() if line.startswith("providers.yaml:")]
    assert len(lines) == 2, done.stdout
    assert lines[0].startswith("providers.yaml:3:15: providers[0].base_url: ")
    assert lines[1].startswith("providers.yaml:7:5: unknown key 'modles'")
    assert "more problem" not in done.stdout
    assert "checked 2 file(s): 2 problem(s)" in done.stdout


def test_validate_without_a_providers_file_says_how_the_cli_finds_it(project: Project) -> None:
    done = harness("validate", cwd=project.path)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    (line,) = [line for line in done.stdout.splitlines() if "no providers file" in line]
    assert line.startswith("providers.yaml: no providers file here")
    assert "--providers" in line and "HARNESS_PROVIDERS" in line
    assert "--harness-providers" not in line


def test_validate_passes_a_clean_file_with_images_tools_and_globs(project: Project) -> None:
    project.providers(PROVIDERS)
    (project.path / "images").mkdir()
    (project.path / "images" / "pic.png").write_bytes(b"\x89PNG")
    project.scenario(
        "ok.yaml",
        """
        scenarios:
          - id: ok
            models: ["p/*"]
            requires: [vision]
            xfail: {"p/b": known}
            tools: [{type: function, function: {name: get_weather}}]
            steps:
              - user: [{image: ../images/pic.png}]
              - {user: hi, tool_results: {get_weather: sunny}}
        """,
    )
    done = harness("validate", cwd=project.path)
    assert done.stdout.endswith("checked 2 file(s): 0 problem(s)\n"), done.stdout
    assert done.returncode == 0


@pytest.mark.parametrize("command", ["validate", "list"])
@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_special_files_are_skipped_in_folders_and_refused_when_named(
    project: Project, command: str, kind: str
) -> None:
    project.providers(PROVIDERS)
    project.scenario("ok.yaml", "scenarios:\n  - id: ok\n    steps: [{user: hi}]\n")
    special = project.path / "scenarios" / "special.yaml"
    if kind == "fifo":
        os.mkfifo(special)
    else:
        special.symlink_to("/dev/zero")
    walked = harness(command, cwd=project.path)
    assert walked.returncode == 0, walked.stdout + walked.stderr
    assert "special" not in walked.stdout
    named = harness(command, "scenarios/special.yaml", cwd=project.path)
    assert named.returncode != 0
    output = named.stdout + named.stderr
    assert "scenarios/special.yaml:1:1: cannot read file: it is not a regular file" in output
    assert "Traceback" not in output
