"""The usage record says what *ran*: a run that ran nothing, was interrupted or could not see
every scenario file is partial, and ``harness recordings prune`` (even ``--dry-run``) then
deletes nothing and says why."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.cli.main import main as harness_main
from support.fake_openai import serve
from support.project import Project

MAIN = """
scenarios:
  - id: plain
    steps:
      - user: hello plain
        expect: [{equals: "echo: hello plain"}]
  - id: other
    steps:
      - user: hello other
"""


def usage(project: Project) -> dict[str, object]:
    data: dict[str, object] = json.loads((project.path / ".harness" / "usage.json").read_text())
    return data


def prune(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = harness_main(["recordings", "prune", *args])
    out, err = capsys.readouterr()
    return code, out + err


@pytest.fixture
def recorded(project: Project) -> Project:
    with serve() as server:
        project.providers(server.providers_yaml(key_env=None))
        project.scenario("main.yaml", MAIN)
        project.pytester.runpytest("--harness-record-mode=record-missing").assert_outcomes(passed=2)
    assert len(project.recordings()) == 2
    assert usage(project)["complete"] is True
    return project


@pytest.mark.parametrize("option", ["--collect-only", "--setup-only", "--setup-plan", "--fixtures"])
def test_a_run_that_ran_no_scenario_is_partial_and_prune_deletes_nothing(
    recorded: Project, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    before = recorded.recordings()
    recorded.pytester.runpytest(option)
    record = usage(recorded)
    assert record["complete"] is False and record["used"] == []
    for args in [("--dry-run",), ()]:
        code, text = prune(capsys, *args)
        assert code == 2, text
        assert "refusing to prune after a partial run (nothing was deleted" in text
        assert "did not run" in text or "no scenario item ran" in text, text
    assert recorded.recordings() == before


def test_an_empty_scenario_file_does_not_make_every_run_partial(
    recorded: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded.scenario("empty.yaml", "scenarios: []\n")
    recorded.pytester.runpytest().assert_outcomes(passed=2)
    assert usage(recorded)["complete"] is True, usage(recorded)
    assert prune(capsys, "--dry-run")[0] == 0
    capsys.readouterr()
    assert harness_main(["validate"]) == 0
    assert "scenarios/empty.yaml:1:1: warning: no scenarios in this file" in capsys.readouterr().out


def test_a_scenario_file_pytest_does_not_collect_is_reported_and_makes_the_run_partial(
    recorded: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded.scenario("build/hidden.yaml", MAIN)
    result = recorded.pytester.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["harness: scenarios/build/hidden.yaml: not collected*norecursedirs*"]
    )
    code, text = prune(capsys)
    assert code == 2 and "norecursedirs), e.g. scenarios/build/hidden.yaml" in text, text
    for command in ("list", "validate"):
        capsys.readouterr()
        harness_main([command])
        out = capsys.readouterr().out
        assert "scenarios/build/hidden.yaml:1:1: warning: pytest does not collect this file" in out


INTERRUPTIBLE = """
import time


def test_zz_slow():
    print("slow test started", flush=True)
    time.sleep(60)
"""


def test_a_run_interrupted_by_sigint_is_partial(
    recorded: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded.write("test_slow.py", INTERRUPTIBLE)
    before = recorded.recordings()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-s",
            "-p",
            "no:cacheprovider",
            "scenarios",
            "test_slow.py",
        ],
        cwd=recorded.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    lines = []
    deadline = time.monotonic() + 60
    for line in process.stdout:
        lines.append(line)
        if "slow test started" in line or time.monotonic() > deadline:
            break
    process.send_signal(signal.SIGINT)  # Ctrl-C
    rest, _ = process.communicate(timeout=60)
    output = "".join(lines) + rest
    assert "KeyboardInterrupt" in output, output
    record = usage(recorded)
    assert record["complete"] is False
    assert "the run was interrupted" in record["partial_reasons"], record  # type: ignore[operator]
    code, text = prune(capsys, "--dry-run")
    assert code == 2 and "the run was interrupted" in text
    assert recorded.recordings() == before


def test_a_complete_run_still_lets_prune_work(
    recorded: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = recorded.recordings()[0].with_name("chat-completions-0000000000000000.json")
    stale.write_text(recorded.recordings()[0].read_text())
    recorded.pytester.runpytest().assert_outcomes(passed=2)
    code, text = prune(capsys, "--dry-run")
    assert code == 0 and f"would delete {Path('recordings/fake') / stale.name}" in text, text
