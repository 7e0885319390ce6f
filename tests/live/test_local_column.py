"""The local column end to end: record live from the tiny model server, replay offline."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from harness.outputs.report import load_report
from harness.servers.localmodel import LocalModelServer
from support.project import REPO, Project

LOCAL = ("--harness-models", "local/*", "-p", "no:cacheprovider")
TOOL_CALL_ID = re.compile(r"[0-9a-f-]{36}_tool_call_\d+")
# A request that carries a tool-call id has its own digest, and so its own normalized reply id.
REPLY_ID = re.compile(r"rec-[0-9a-f]{12}")


@pytest.fixture
def local_project(
    project: Project, local_model_server: LocalModelServer, monkeypatch: pytest.MonkeyPatch
) -> Project:
    """The repo's providers and local examples, with no recordings, pointed at the server."""
    shutil.copy(REPO / "providers.yaml", project.path / "providers.yaml")
    (project.path / "scenarios").mkdir()
    shutil.copy(REPO / "scenarios" / "local.yaml", project.path / "scenarios" / "local.yaml")
    monkeypatch.setenv("HARNESS_LOCAL_BASE_URL", local_model_server.base_url)
    return project


def steps_of(path: Path) -> dict[str, list[dict[str, object]]]:
    return {r["nodeid"]: r["steps"] for r in load_report(path)}


def masked(folder: Path) -> list[str]:
    """Every recording's text with tool-call ids masked (the server makes new ones each time)."""
    texts = (TOOL_CALL_ID.sub("<id>", p.read_text()) for p in folder.glob("*/*.json"))
    return sorted(REPLY_ID.sub("rec-<digest>", text) for text in texts)


def test_record_live_then_replay_offline_gives_the_same_results(
    local_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = local_project.pytester.runpytest
    recorded = run(
        *LOCAL,
        "--harness-record-mode=rewrite",
        "--snapshot-update",
        "--harness-report",
        "recorded.json",
    )
    recorded.assert_outcomes(passed=8)
    assert len(local_project.recordings()) >= 8
    monkeypatch.setenv("HARNESS_LOCAL_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens
    replayed = run(*LOCAL, "--harness-report", "replayed.json")
    replayed.assert_outcomes(passed=8)
    live = load_report(local_project.path / "recorded.json")
    assert {r["mode"] for r in live} == {"recorded"}
    assert {r["mode"] for r in load_report(local_project.path / "replayed.json")} == {"replayed"}
    assert steps_of(local_project.path / "replayed.json") == steps_of(
        local_project.path / "recorded.json"
    )
    assert any(s["reply"] == "Hello! How can I help you today?" for r in live for s in r["steps"])


def test_record_missing_only_fills_gaps(local_project: Project) -> None:
    run = local_project.pytester.runpytest
    run(*LOCAL, "--harness-record-mode=rewrite", "--snapshot-update").assert_outcomes(passed=8)
    files = local_project.recordings()
    gone = [p for p in files if "tool" not in p.read_text()][:2]
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in files if p not in gone}
    for path in gone:
        path.unlink()
    run(*LOCAL, "--harness-record-mode=record-missing").assert_outcomes(passed=8)
    assert local_project.recordings() == files
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in before} == before


def test_recording_twice_is_identical_but_for_tool_call_ids(local_project: Project) -> None:
    run = local_project.pytester.runpytest
    for folder in ("first", "second"):
        result = run(
            *LOCAL,
            "--harness-record-mode=rewrite",
            "--harness-recordings",
            folder,
            "--snapshot-update",
        )
        result.assert_outcomes(passed=8)
    first, second = local_project.path / "first", local_project.path / "second"
    assert masked(first) == masked(second)
    plain = {p.name for p in first.glob("*/*.json") if not TOOL_CALL_ID.search(p.read_text())}
    assert plain, "some recordings carry no tool-call id"
    for name in plain:
        assert (first / "local" / name).read_bytes() == (second / "local" / name).read_bytes()


DIALOGUES = {
    "greeting": "    steps:\n      - user: Hello!\n{opts}",
    "arithmetic": "    steps:\n      - user: What is 2 + 2?\n{opts}",
    "identity": "    messages: [{{role: system, content: You are a helpful assistant.}}]\n"
    "    steps:\n      - user: Who are you?\n{opts}",
    "follow-up": "    steps:\n      - user: Hello!\n{opts}      - user: What is 2 + 2?\n{opts}",
}


def many_scenarios(count: int) -> tuple[str, int]:
    """``count`` scenarios over the trained prompts, and how many distinct requests they make.

    A follow-up's first request is the greeting's with the same options: shared, not new.
    """
    lines = ["scenarios:"]
    distinct = 0
    for i in range(count):
        name = list(DIALOGUES)[i % 4]
        stream = "true" if (i // 4) % 2 else "false"
        opts = f"        stream: {stream}\n        params: {{max_tokens: {20 + (i // 8) % 13}}}\n"
        lines.append(f"  - id: s{i:03d}-{name}\n    models: ['local/*']\n")
        lines.append(DIALOGUES[name].format(opts=opts))
        distinct += 1  # greeting, arithmetic, identity: one each; follow-up: its second turn
    return "".join(f"{line}\n" if line == "scenarios:" else line for line in lines), distinct


def test_parallel_record_run_of_many_scenarios_writes_exactly_one_file_per_request(
    local_project: Project,
) -> None:
    count = 104
    text, distinct = many_scenarios(count)
    (local_project.path / "scenarios" / "local.yaml").unlink()
    local_project.scenario("many.yaml", text)
    result = local_project.pytester.runpytest_subprocess(
        *LOCAL, "-n", "2", "--harness-record-mode=record-missing"
    )
    result.assert_outcomes(passed=count)
    files = local_project.recordings()
    assert len(files) == distinct
    for path in files:
        assert json.loads(path.read_text())["response"]["body"]
    assert list(local_project.path.glob("recordings/*/.*.tmp")) == []
    verify = local_project.pytester.run(sys.executable, "-m", "harness.cli", "recordings", "verify")
    assert verify.ret == 0, verify.stdout.str()
    assert f"checked {distinct} recordings: 0 problem(s)" in verify.stdout.str()
