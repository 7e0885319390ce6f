"""Recordings in the seed (llama-stack/OGX) format, imported, replay for matching scenarios."""

from __future__ import annotations

import json
import subprocess
import sys

from support.project import SEEDS, Project


def test_imported_recording_replays_for_a_matching_scenario(
    project: Project, tmp_path_factory
) -> None:
    # A recording the repo has never seen: a seed with a new question and answer, new file name.
    seed = json.loads((SEEDS / "earth-multi-turn.json").read_text())
    seed["request"]["body"]["messages"][-1]["content"] = "Which planet is the third from the Sun?"
    for chunk in seed["response"]["body"]:
        for choice in chunk["__data__"]["choices"]:
            if choice["delta"].get("content"):
                choice["delta"]["content"] = choice["delta"]["content"].replace("Earth", "Terra")
    seed["test_id"] = "tests/x.py::test_y[txt=acme/gpt-4o-earth]"
    incoming = tmp_path_factory.mktemp("incoming")
    (incoming / "whatever-name.json").write_text(json.dumps(seed))

    project.providers(
        "providers:\n  - id: acme\n    base_url: https://acme.test/v1\n    models: [gpt-4o]\n"
    )
    project.scenario(
        "third.yaml",
        """
        scenarios:
          - id: third-planet
            messages:
              - {role: user, content: "Which planet do humans live on?"}
              - {role: assistant, content: "Humans live on Earth."}
            steps:
              - user: "Which planet is the third from the Sun?"
                stream: true
                expect: [{contains: Terra}]
        """,
    )
    before = project.pytester.runpytest()
    before.assert_outcomes(failed=1)
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "recordings", "import", str(incoming)],
        cwd=project.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith("read 1 recording: 1 written, ")
    [path] = project.recordings()
    assert path.parent.name == "acme" and path.name.startswith("chat-completions-")
    project.pytester.runpytest().assert_outcomes(passed=1)
