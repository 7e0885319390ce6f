"""Ctrl-C while a stateful scenario is being recorded (record-missing): the recordings already
written are whole files, nothing is half-written, and the usage file says why the run is
partial without guessing that nothing was asked to run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

from support.fake_openai import Fault, serve
from support.project import Project

SCENARIO = """
scenarios:
  - id: chained
    api: responses
    steps:
      - input: first
      - input: second
      - input: third
"""


def test_ctrl_c_mid_recording_leaves_whole_files_and_an_honest_reason(project: Project) -> None:
    with serve() as server:
        answer = server.next_fault

        def slow(body: dict[str, Any]) -> Fault | None:
            if "second" in json.dumps(body):
                time.sleep(20)  # the second step's reply hangs until the signal
            return answer(body)

        server.next_fault = slow  # type: ignore[method-assign]
        project.providers(server.providers_yaml(key_env=None))
        project.scenario("s.yaml", SCENARIO)
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "scenarios"],
            cwd=project.path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "HARNESS_RECORD_MODE": "record-missing"},
        )
        deadline = time.monotonic() + 60
        while len(server.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(server.requests) == 2, server.requests
        process.send_signal(signal.SIGINT)  # Ctrl-C
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 2 and "KeyboardInterrupt" in output, output
    files = [p for p in (project.path / "recordings").rglob("*") if p.is_file()]
    assert all(p.suffix == ".json" for p in files), files  # no temp file left behind
    for path in files:
        json.loads(path.read_text(encoding="utf-8"))  # whole, parseable
    usage = json.loads((project.path / ".harness" / "usage.json").read_text(encoding="utf-8"))
    assert usage["complete"] is False
    reasons = usage["partial_reasons"]
    assert "the run was interrupted" in reasons, reasons
    assert not any("--collect-only" in reason for reason in reasons), reasons
