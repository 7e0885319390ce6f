"""`harness list`, `validate` and `schema`: the matrix and the files, without running pytest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from support.project import REPO, Project


def harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def same_meaning(schema: Any) -> Any:
    """``schema`` without what pydantic releases differ on and JSON Schema implies anyway:
    ``additionalProperties: true`` (the default) and a ``type`` beside a ``const``."""
    if isinstance(schema, list):
        return [same_meaning(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        key: same_meaning(value)
        for key, value in schema.items()
        if not (key == "additionalProperties" and value is True)
        and not (key == "type" and "const" in schema)
    }


def test_committed_schema_is_the_generated_one() -> None:
    done = harness("schema", cwd=REPO)
    assert done.returncode == 0, done.stderr
    committed = json.loads((REPO / "harness-scenario.schema.json").read_text())
    generated = json.loads(done.stdout)
    # (The committed file is written by pydantic >= 2.11, which spells both out.)
    assert same_meaning(generated) == same_meaning(committed)


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "scenarios").glob("*.yaml")))
def test_example_scenarios_satisfy_the_schema(name: str) -> None:
    schema = json.loads((REPO / "harness-scenario.schema.json").read_text())
    jsonschema.validate(yaml.safe_load((REPO / "scenarios" / name).read_text()), schema)


def test_schema_rejects_what_the_loader_rejects() -> None:
    schema = json.loads((REPO / "harness-scenario.schema.json").read_text())
    for bad in (
        {"scenarios": [{"id": "a", "stpes": [{"user": "hi"}]}]},
        {"scenarios": [{"id": "a", "steps": [{"user": "hi", "expect": [{"icontain": "x"}]}]}]},
        {"scenarios": [{"id": "a", "steps": [{"user": "hi", "stream": "maybe"}]}]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_list_shows_columns_and_skip_reasons(project: Project) -> None:
    project.providers(
        "providers:\n  - id: p\n    base_url: https://p.test/v1\n"
        "    models: [a, {name: b, capabilities: [vision]}]\n"
    )
    project.scenario(
        "s.yaml",
        "scenarios:\n  - id: look\n    requires: [vision]\n    steps: [{user: hi}]\n"
        "  - id: known\n    xfail: {'p/b': 'b forgets'}\n    steps: [{user: hi}]\n",
    )
    done = harness("list", cwd=project.path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "scenarios/s.yaml::look[txt=p/a]  "
        "(skip: p/a lacks capability vision required by scenario 'look')",
        "scenarios/s.yaml::look[txt=p/b]",
        "scenarios/s.yaml::known[txt=p/a]",
        "scenarios/s.yaml::known[txt=p/b]  (xfail: b forgets)",
    ]


def test_validate_reports_every_bad_file_and_exits_non_zero(project: Project) -> None:
    project.providers("providers:\n  - id: p\n    base_url: https://p.test/v1\n    models: [a]\n")
    project.scenario("good.yaml", "scenarios:\n  - id: a\n    steps: [{user: hi}]\n")
    project.scenario("bad.yaml", "scenarios:\n  - id: a\n    stpes: [{user: hi}]\n")
    project.scenario("worse.yaml", "scenarios: [\n")
    text = harness("validate", cwd=project.path)
    assert text.returncode == 1
    assert "scenarios/bad.yaml:3:5: unknown key 'stpes' (did you mean 'steps'?)" in text.stdout
    assert "checked 4 file(s): 2 problem(s)" in text.stdout
    machine = harness("validate", "--format", "json", cwd=project.path)
    assert machine.returncode == 1
    problems = json.loads(machine.stdout)
    assert {(p["path"], p["line"], p["col"]) for p in problems} == {
        ("scenarios/bad.yaml", 3, 5),
        ("scenarios/worse.yaml", 2, 1),
    }
    assert "Traceback" not in text.stderr + machine.stderr
