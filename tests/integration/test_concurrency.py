"""Parallel record runs: xdist workers racing on identical requests leave one valid file each.

200 scenarios in four files share their requests: every scenario opens with the same user turn,
and neighbouring scenarios (which xdist hands to different workers at the same moment) share
their second turn. ``-n 2`` and ``-n 4`` record runs must leave exactly one file per distinct
request, all verify-clean; a ``-n 4`` replay run then writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from harness.cli.main import main as harness_main
from harness.replay.key import RequestKey
from support.fake_openai import serve
from support.project import Project

FILES = 4
PER_FILE = 50  # 200 scenarios
PAIR = 2  # neighbours sharing their second turn


def turns(file: int, number: int) -> list[str]:
    return ["the shared opening", f"second turn of pair {file}-{number // PAIR}"]


def scenario_file(file: int) -> str:
    lines = ["scenarios:"]
    for number in range(PER_FILE):
        lines += [f"  - id: s{number:03d}", "    steps:"]
        for text in turns(file, number):
            lines += [f"      - user: {text}", f"        expect: [{{equals: 'echo: {text}'}}]"]
    return "\n".join(lines) + "\n"


def expected_files() -> set[str]:
    """The file name of every distinct request the scenarios send (echo replies)."""
    names: set[str] = set()
    for file in range(FILES):
        for number in range(PER_FILE):
            messages: list[dict[str, Any]] = []
            for text in turns(file, number):
                messages.append({"role": "user", "content": text})
                body = {"model": "m1", "messages": list(messages)}
                key = RequestKey(
                    provider="fake", method="POST", endpoint="/v1/chat/completions", body=body
                )
                names.add(key.filename)
                messages.append({"role": "assistant", "content": f"echo: {text}"})
    return names


def tree(folder: Path) -> dict[str, tuple[int, str]]:
    """mtime and hash of every file under ``folder``."""
    return {
        str(p.relative_to(folder)): (
            p.stat().st_mtime_ns,
            hashlib.sha256(p.read_bytes()).hexdigest(),
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def verify(capsys: pytest.CaptureFixture[str], folder: str) -> tuple[int, str]:
    capsys.readouterr()
    code = harness_main(["recordings", "verify", "--recordings", folder])
    return code, capsys.readouterr().out


def test_parallel_record_runs_leave_one_file_per_distinct_request(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scenarios = FILES * PER_FILE
    requests_per_run = scenarios * 2
    expected = expected_files()
    assert scenarios >= 200 and len(expected) == 1 + scenarios // PAIR
    monkeypatch.setenv("FAKE_KEY", "k")
    with serve() as server:
        project.providers(server.providers_yaml())
        for file in range(FILES):
            project.scenario(f"part{file}.yaml", scenario_file(file))
        seen = 0
        for workers in (2, 4):
            folder = f"rec-n{workers}"
            result = project.pytester.runpytest_subprocess(
                "-n",
                str(workers),
                "-p",
                "no:cacheprovider",
                "--harness-record-mode=record-missing",
                f"--harness-recordings={folder}",
            )
            result.assert_outcomes(passed=scenarios)
            sent = len(server.requests) - seen
            seen = len(server.requests)
            # Racing workers may both send a shared request; never more than one per scenario.
            assert len(expected) <= sent <= requests_per_run
            files = [p for p in sorted((project.path / folder).rglob("*")) if p.is_file()]
            assert sorted(p.name for p in files) == sorted(expected)  # no duplicates, no extras
            assert all(p.parent == project.path / folder / "fake" for p in files)
            for path in files:
                json.loads(path.read_text(encoding="utf-8"))
            code, out = verify(capsys, folder)
            assert code == 0, out
            assert f"checked {len(expected)} recordings: 0 problem(s)" in out
            with capsys.disabled():  # the figures, for the record (visible with -s)
                print(
                    f"\n-n {workers}: {scenarios} scenarios, {len(expected)} distinct requests, "
                    f"{len(files)} files, {sent} requests sent, verify: 0 problems"
                )

    # The provider is gone: a -n 4 replay answers everything and writes nothing.
    monkeypatch.delenv("FAKE_KEY")
    before = {name: tree(project.path / name) for name in ("rec-n4", "scenarios")}
    result = project.pytester.runpytest_subprocess(
        "-n", "4", "-p", "no:cacheprovider", "--harness-recordings=rec-n4"
    )
    result.assert_outcomes(passed=scenarios)
    assert {name: tree(project.path / name) for name in before} == before
    usage = json.loads((project.path / ".harness" / "usage.json").read_text())
    assert usage["complete"] is True
    assert {Path(p).name for p in usage["used"]} == expected
